import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { type BiboumiServer, startBiboumi } from "./biboumi.js";
import { connectClient, registerAccount, type TestClient } from "./clients.js";
import { connectIrcBot, type IrcBot } from "./irc-bot.js";
import { type NgircdServer, startNgircd } from "./ngircd.js";
import { type ProsodyServer, startProsody } from "./prosody.js";

const DOMAIN = "biboumi.localhost";
const cleanups: Array<() => Promise<unknown>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});

async function setUp(options: { fixedIrcServer?: boolean; ircPassword?: string } = {}): Promise<{
  prosody: ProsodyServer;
  irc: NgircdServer;
  biboumi: BiboumiServer;
  alice: TestClient;
  bob: IrcBot;
}> {
  const prosody = await startProsody({
    upload: false,
    privileges: false,
    extraComponents: [{ domain: DOMAIN, privileges: false }],
  });
  cleanups.push(() => prosody.stop());
  const irc = await startNgircd(options.ircPassword ? { password: options.ircPassword } : {});
  cleanups.push(() => irc.stop());
  const biboumi = await startBiboumi({
    prosody,
    componentDomain: DOMAIN,
    ircServer: irc,
    ...(options.fixedIrcServer !== undefined && { fixedIrcServer: options.fixedIrcServer }),
  });
  cleanups.push(() => biboumi.stop());
  await registerAccount(prosody, "alice", "pw");
  const alice = await connectClient({ server: prosody, username: "alice", password: "pw" });
  cleanups.push(() => alice.stop());
  const bob = await connectIrcBot({ host: irc.host, port: irc.port, nick: "bob", password: irc.password });
  cleanups.push(() => bob.quit());
  return { prosody, irc, biboumi, alice, bob };
}

const body = (text: string) => (s: { is(n: string): boolean; getChildText(n: string): string | null }) =>
  s.is("message") && s.getChildText("body") === text;

// No skip when biboumi is missing: .ci/run installs it, and a missing server must fail loudly.
describe("startBiboumi (biboumi 9 as a component of a test Prosody)", () => {
  it("relays a private message XMPP → IRC and the IRC answer back, with fixed_irc_server JIDs nick@domain", async () => {
    const { irc, biboumi, alice, bob } = await setUp({ ircPassword: "letmein" });
    const config = readFileSync(biboumi.configPath, "utf8");
    expect(config).toContain(`hostname=${DOMAIN}`);
    expect(config).toContain(`fixed_irc_server=${irc.host}`);
    expect(config).toContain("identd_port=0");
    expect(config).toContain(`db_name=${biboumi.dbPath}`);
    expect(biboumi.serverJid).toBe(DOMAIN);
    expect(biboumi.jidFor("Bob")).toBe(`bob@${DOMAIN}`);

    // Before any channel join biboumi has no IRC connection for alice: the message bounces.
    await alice.send(`<message type="chat" to="${biboumi.jidFor("bob")}"><body>too early</body></message>`);
    const bounce = await alice.waitFor((s) => s.is("message") && s.attrs.type === "error");
    expect(bounce.attrs.from).toBe(`bob@${DOMAIN}`);
    expect(bounce.getChild("error")?.getChild("remote-server-not-found")).toBeDefined();
    expect(bounce.getChild("error")?.getChildText("text")).toContain("Not connected to IRC server");

    await biboumi.configureIrcServer(alice, { throttleLimit: -1 }); // port, no TLS, PASS letmein
    await biboumi.joinChannel(alice, "#lobby", "alice");
    await alice.send(`<message type="chat" to="${biboumi.jidFor("bob")}"><body>hi bob</body></message>`);
    const got = await bob.waitForMessage((m) => m.text === "hi bob");
    expect(got).toMatchObject({ from: "alice", target: "bob", kind: "privmsg" });
    expect(got.prefix).toBe("alice!~alice@127.0.0.1");

    await bob.say("alice", "hi alice");
    const reply = await alice.waitFor(body("hi alice"));
    expect(reply.attrs).toMatchObject({ from: `bob@${DOMAIN}`, type: "chat" });
    expect(biboumi.rssBytes()).toBeGreaterThan(1024 * 1024);
  });

  it("without fixed_irc_server, IRC users are nick%host@domain", async () => {
    const { irc, biboumi, alice, bob } = await setUp({ fixedIrcServer: false });
    expect(biboumi.serverJid).toBe(`${irc.host}@${DOMAIN}`);
    expect(biboumi.jidFor("bob")).toBe(`bob%${irc.host}@${DOMAIN}`);
    await biboumi.configureIrcServer(alice);
    await biboumi.joinChannel(alice, "#lobby", "alice");
    await alice.send(`<message type="chat" to="${biboumi.jidFor("bob")}"><body>via %</body></message>`);
    expect((await bob.waitForMessage((m) => m.text === "via %")).from).toBe("alice");
    await bob.say("alice", "back via %");
    expect((await alice.waitFor(body("back via %"))).attrs.from).toBe(`bob%${irc.host}@${DOMAIN}`);
  });

  it("stop() ends our biboumi by PID and removes its temp dir", async () => {
    const { biboumi } = await setUp();
    const { pid, dir } = biboumi;
    expect(existsSync(biboumi.dbPath)).toBe(true);
    await biboumi.stop();
    await biboumi.stop(); // idempotent
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(dir)).toBe(false);
  });
});
