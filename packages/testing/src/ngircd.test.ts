import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { connectIrcBot, type IrcBot, IrcConnectError } from "./irc-bot.js";
import { type NgircdServer, startNgircd } from "./ngircd.js";
import { acceptsConnections } from "./server-process.js";

// Every test starts its own ngircd (~10 ms) so restarts and stops cannot leak into other tests.
const servers: NgircdServer[] = [];
const bots: IrcBot[] = [];

async function server(options?: Parameters<typeof startNgircd>[0]): Promise<NgircdServer> {
  const started = await startNgircd(options);
  servers.push(started);
  return started;
}

async function bot(irc: NgircdServer, nick: string, password?: string): Promise<IrcBot> {
  const connected = await connectIrcBot({ host: irc.host, port: irc.port, nick, password });
  bots.push(connected);
  return connected;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.quit()));
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe("startNgircd", () => {
  it("runs its own ngircd on a loopback port with the test-friendly limits", async () => {
    const irc = await server();
    expect(irc.host).toBe("127.0.0.1");
    expect(irc.tlsPort).toBeUndefined();
    expect(irc.name).toBe("irc.localhost");
    expect(irc.password).toBeUndefined();
    expect(pidAlive(irc.pid)).toBe(true);

    const config = readFileSync(irc.configPath, "utf8");
    expect(config).toContain(`Ports = ${irc.port}`);
    expect(config).toContain("Listen = 127.0.0.1");
    expect(config).toContain("MaxPenaltyTime = 0");
    expect(config).not.toContain("Password =");

    const alice = await bot(irc, "alice");
    // What the server advertises is what the gateway will see: ngircd folds nicks ASCII-only.
    expect(alice.isupport).toMatchObject({ NICKLEN: "31", CASEMAPPING: "ascii", CHARSET: "UTF-8" });
    expect(alice.lines.find((l) => l.command === "001")?.prefix).toBe("irc.localhost");
    expect(irc.logs()).toContain(`Now listening on [127.0.0.1]:${irc.port}`);
  });

  it("offers no SASL: CAP LS lists only multi-prefix and AUTHENTICATE is an unknown command", async () => {
    const irc = await server();
    const alice = await bot(irc, "alice");
    alice.raw("CAP LS 302");
    const caps = await alice.waitForLine((l) => l.command === "CAP");
    expect(caps.params.at(-1)).toBe("multi-prefix");
    alice.raw("AUTHENTICATE PLAIN");
    const unknown = await alice.waitForLine((l) => l.command === "421");
    expect(unknown.params[1]).toBe("AUTHENTICATE");
  });

  it("accepts nicks up to maxNickLength (31) and refuses longer ones with 432", async () => {
    const irc = await server();
    const nick31 = `${"n".repeat(30)}1`;
    const long = await bot(irc, nick31);
    expect(long.nick).toBe(nick31);
    await expect(connectIrcBot({ host: irc.host, port: irc.port, nick: `${nick31}2` })).rejects.toMatchObject(
      { name: "IrcConnectError", code: "432" },
    );

    const short = await server({ maxNickLength: 9 });
    const bob = await bot(short, "bob");
    expect(bob.isupport.NICKLEN).toBe("9");
  });

  it("with a password: the right one logs in; a wrong or missing one gets ERROR (no 464) and is dropped", async () => {
    const irc = await server({ password: "s3cret;#x" });
    expect(irc.password).toBe("s3cret;#x");
    // ";" and "#" only start comments at the beginning of a config line.
    const alice = await bot(irc, "alice", "s3cret;#x");
    expect(alice.connected).toBe(true);

    for (const password of ["wrong", undefined]) {
      const error = await connectIrcBot({ host: irc.host, port: irc.port, nick: "mallory", password }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(IrcConnectError);
      const refused = error as IrcConnectError;
      // Measured on ngircd 26.1: it never sends ERR_PASSWDMISMATCH (464), only this ERROR line.
      expect(refused.serverError).toBe("Access denied: Bad password?");
      expect(refused.lines.map((l) => l.command)).toEqual(["ERROR"]);
    }
  });

  it("restart() keeps the port, drops clients with 'Server going down', and a new bot can connect", async () => {
    const irc = await server();
    const port = irc.port;
    const firstPid = irc.pid;
    const alice = await bot(irc, "alice");

    const restarted = irc.restart({ downMs: 300 });
    const closed = await alice.closed;
    expect(closed.serverError).toBe("Server going down");
    // Inside the down window the port refuses connections: what a reconnecting gateway sees.
    expect(await acceptsConnections(port)).toBe(false);
    await restarted;

    expect(irc.port).toBe(port);
    expect(irc.pid).not.toBe(firstPid);
    expect(pidAlive(firstPid)).toBe(false);
    const again = await bot(irc, "alice");
    expect(again.nick).toBe("alice");
    expect(irc.logs()).toContain("--- gangway: restarting ngircd ---");
  });

  it("stop() leaves no process and no temp dir, and is idempotent", async () => {
    const irc = await startNgircd();
    const pid = irc.pid;
    const alice = await connectIrcBot({ host: irc.host, port: irc.port, nick: "alice" });
    await irc.stop();
    expect(pidAlive(pid)).toBe(false);
    expect(existsSync(irc.dir)).toBe(false);
    expect(await acceptsConnections(irc.port)).toBe(false);
    expect((await alice.closed).serverError).toBe("Server going down");
    await irc.stop();
    expect(() => irc.pid).toThrow("not running");
    await expect(irc.restart()).rejects.toThrow("stopped");
  });

  it("rejects options ngircd would misread or silently clamp", async () => {
    await expect(startNgircd({ maxNickLength: 32 })).rejects.toThrow("1 to 31");
    await expect(startNgircd({ name: "localhost" })).rejects.toThrow("at least one dot");
    await expect(startNgircd({ password: "with space" })).rejects.toThrow("without spaces");
    await expect(startNgircd({ password: ":colon" })).rejects.toThrow("':'");
    await expect(startNgircd({ ngircdPath: "/nonexistent/ngircd" })).rejects.toMatchObject({
      name: "NgircdNotInstalledError",
    });
  });
});
