import { createServer } from "node:net";
import { EXIT_CHECK_MISSING, EXIT_STARTUP_FAILED } from "@gangway/core";
import {
  connectClient,
  type EjabberdServer,
  type ProsodyServer,
  registerAccount,
  runSlixmppClient,
  startEjabberd,
  startProsody,
} from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { runBin } from "./gateway-process.js";
import { Cleanups, GW, registerWithGateway, startDemoGateway, tempDataDir } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * What the server grants the gateway, as an operator sees it: `gangway-demo --check` (the built
 * executable) against real Prosody and ejabberd configurations, and the `doctor` admin command by
 * chat and ad-hoc from real clients.
 */

const ADMIN = "admin@localhost";
const MAM = "urn:xmpp:mam:2";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

type Server = ProsodyServer | EjabberdServer;

async function check(server: Server, port = server.componentPort) {
  const home = await tempDataDir(cleanups);
  const args = ["--check", "--jid", GW, "--secret", server.componentSecret, "--port", String(port)];
  const run = await runBin([...args, "--home-dir", home], {}, 30_000);
  return { ...run, lines: run.stdout.trim().split("\n") };
}

/** The report's line for `name`, or "" when there is none. */
const lineOf = (lines: readonly string[], name: string) =>
  lines.find((l) => l.slice(2).startsWith(`${name}:`)) ?? "";

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe("gangway-demo --check", () => {
  it("is listed in --help with its exit codes", async () => {
    const run = await runBin(["--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/--check {2}connect, print what the XMPP server grants/);
    expect(run.stdout).toContain("0 everything granted, 4 something missing, 3 cannot connect");
  });

  it("Prosody granting everything: every line ✓ but MAM, which it cannot tell without a user; exit 0", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    const run = await check(prosody);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lines[0]).toBe(`Gangway doctor for ${GW}`);
    expect(run.lines.slice(1, 8)).toEqual([
      `✓ Component connection: online as ${GW} at 127.0.0.1:${prosody.componentPort}`,
      "✓ Database: sqlite answers; its schema was brought up to date when the gateway opened it",
      "✓ XEP-0356 roster privilege: both",
      "✓ XEP-0356 message privilege: outgoing",
      "✓ XEP-0356 pubsub IQ privilege (bookmarks): http://jabber.org/protocol/pubsub: both",
      "✓ XEP-0356 upload IQ privilege: urn:xmpp:http:upload:0: get",
      `✓ XEP-0363 upload service: ${prosody.uploadDomain} (listed by localhost, files up to 10 MiB)`,
    ]);
    expect(lineOf(run.lines, "MAM (XEP-0313) for users")).toMatch(/^\? /);
    expect(run.lines.at(-1)).toBe("Everything the gateway uses is granted (1 check(s) could not tell).");
    // The report is stdout; the logs went to stderr.
    expect(run.stdout).not.toContain('"level"');
    expect(run.stderr).toContain('"msg":"store open and migrated"');
  });

  it("Prosody without mod_privilege grants or an upload service: each ✗ with its fix; exit 4", async () => {
    const prosody = await startProsody({ componentDomain: GW, privileges: false, upload: false });
    cleanups.add(() => prosody.stop());
    const run = await check(prosody);
    expect(run.code).toBe(EXIT_CHECK_MISSING);
    const roster = lineOf(run.lines, "XEP-0356 roster privilege");
    expect(roster).toMatch(/^✗ .*the server sent no XEP-0356 advertisement.*subscription requests/);
    expect(roster).toContain(`Prosody: privileged_entities = { ["${GW}"] = { roster = "both" } }`);
    expect(roster).toContain("ejabberd: modules: mod_privilege: roster: both: gateway_priv");
    expect(lineOf(run.lines, "XEP-0356 message privilege")).toMatch(/^✗ .*message = "outgoing"/);
    expect(lineOf(run.lines, "XEP-0356 pubsub IQ privilege (bookmarks)")).toMatch(/^✗ .*XEP-0249 invitation/);
    expect(lineOf(run.lines, "XEP-0363 upload service")).toMatch(
      /^✗ .*none: localhost lists none.*Prosody: Component "upload\.localhost" "http_file_share"/,
    );
    expect(run.lines.at(-1)).toBe("5 of 8 checks found something missing.");
  });

  it("ejabberd 23.01: roster and message ✓ (privilege:1), no IQ permission ✗; exit 4", async () => {
    const ejabberd = await startEjabberd({ componentDomain: GW });
    cleanups.add(() => ejabberd.stop());
    const run = await check(ejabberd);
    expect(run.code, run.stdout + run.stderr).toBe(EXIT_CHECK_MISSING);
    expect(lineOf(run.lines, "XEP-0356 roster privilege")).toBe("✓ XEP-0356 roster privilege: both");
    expect(lineOf(run.lines, "XEP-0356 message privilege")).toBe("✓ XEP-0356 message privilege: outgoing");
    const pubsub = lineOf(run.lines, "XEP-0356 pubsub IQ privilege (bookmarks)");
    expect(pubsub).toMatch(/^✗ .*urn:xmpp:privilege:1, which has no IQ permission/);
    expect(pubsub).toContain(
      'ejabberd 24.10 or later: modules: mod_privilege: iq: "http://jabber.org/protocol/pubsub": both',
    );
    expect(lineOf(run.lines, "XEP-0363 upload service")).toMatch(
      /^✓ XEP-0363 upload service: upload\.localhost/,
    );
  });

  it("while the gateway itself is connected: says so and exits 3", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    await startDemoGateway(prosody, cleanups, { database: await createTestDatabase("sqlite", cleanups) });
    const run = await check(prosody);
    expect(run.code).toBe(EXIT_STARTUP_FAILED);
    expect(run.stdout).toMatch(
      /^✗ Component connection: cannot connect .*another component is already connected/,
    );
  });

  it("a database that does not answer: its line, without the URL's password, and exit 3", async () => {
    const home = await tempDataDir(cleanups);
    const run = await runBin(["--check", "--jid", GW, "--secret", "s", "--home-dir", home], {
      GANGWAY_DB_URL: `postgres://gw:hunter2@127.0.0.1:${await closedPort()}/gw`,
    });
    expect(run.code).toBe(EXIT_STARTUP_FAILED);
    expect(run.stdout).toMatch(/^✗ Database: could not open it: postgres database at .* is unavailable/);
    expect(run.stdout + run.stderr).not.toContain("hunter2");
  });

  it("a server nobody listens on: says it cannot connect and exits 3 instead of retrying forever", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    const run = await check(prosody, await closedPort());
    expect(run.code).toBe(EXIT_STARTUP_FAILED);
    expect(run.stdout).toMatch(
      /^✗ Component connection: cannot connect as demo\.localhost to 127\.0\.0\.1:\d+: no connection within 10 s/,
    );
  });
});

onEachDriver((driver) => {
  describe("the doctor command", () => {
    /** The admin registers with the gateway, accepts its presence subscription, and says `doctor`. */
    async function doctorByChat(server: Server): Promise<string[]> {
      cleanups.add(() => server.stop());
      await registerAccount(server, "admin", "pw");
      await startDemoGateway(server, cleanups, {
        database: await createTestDatabase(driver, cleanups),
        args: ["--admins", ADMIN],
      });
      const client = await connectClient({ server, username: "admin", password: "pw" });
      cleanups.add(() => client.stop());
      await registerWithGateway(client, "admin");
      // The gateway asked for the admin's presence at registration: accepted, the server describes the account to it.
      await client.waitFor((s) => s.is("presence") && s.attrs.type === "subscribe" && s.attrs.from === GW);
      await client.send(`<presence type="subscribed" to="${GW}"/>`);
      await client.send(`<message type="chat" to="${GW}"><body>doctor</body></message>`);
      const answer = await client.waitFor(
        (s) =>
          s.is("message") &&
          s.attrs.from === GW &&
          (s.getChildText("body") ?? "").startsWith("Gangway doctor"),
        15_000,
      );
      return (answer.getChildText("body") ?? "").split("\n");
    }

    it("by chat on Prosody with mod_mam: MAM ✓ from the admin's account, everything granted", async () => {
      const lines = await doctorByChat(await startProsody({ componentDomain: GW, extraModules: ["mam"] }));
      expect(lineOf(lines, "MAM (XEP-0313) for users")).toBe(
        `✓ MAM (XEP-0313) for users: ${ADMIN}'s account lists ${MAM}`,
      );
      expect(lineOf(lines, "XEP-0356 roster privilege")).toBe("✓ XEP-0356 roster privilege: both");
      expect(lines.at(-1)).toBe("Everything the gateway uses is granted.");
    });

    it("by chat on ejabberd without mod_mam: MAM ✗ with its fix, read from the admin's account", async () => {
      const lines = await doctorByChat(await startEjabberd({ componentDomain: GW }));
      const mam = lineOf(lines, "MAM (XEP-0313) for users");
      expect(mam).toMatch(
        new RegExp(`^✗ MAM \\(XEP-0313\\) for users: ${ADMIN}'s account does not list ${MAM}`),
      );
      expect(mam).toContain("ejabberd: modules: mod_mam: default: always");
    });

    it("ad-hoc with slixmpp: the report for an admin, forbidden for anyone else", async () => {
      const prosody = await startProsody({ componentDomain: GW, privileges: false });
      cleanups.add(() => prosody.stop());
      await startDemoGateway(prosody, cleanups, {
        database: await createTestDatabase(driver, cleanups),
        args: ["--admins", ADMIN],
      });
      const adhoc = { jid: GW, node: "gangway:doctor", stages: [] };
      const admin = await runSlixmppClient({
        server: prosody,
        jid: `${ADMIN}/doctor`,
        password: "pw",
        registerAccount: true,
        timeoutMs: 30_000,
        adhoc,
      });
      expect(admin.errors).toEqual([]);
      const [done] = admin.adhocStages;
      expect(done?.status).toBe("completed");
      const report = done?.notes.map((note) => note.text).join("\n") ?? "";
      expect(report).toContain(`Gangway doctor for ${GW}`);
      expect(lineOf(report.split("\n"), "XEP-0356 message privilege")).toMatch(/^✗ .*not granted/);

      const stranger = await runSlixmppClient({
        server: prosody,
        jid: "mallory@localhost/doctor",
        password: "pw",
        registerAccount: true,
        timeoutMs: 30_000,
        adhoc,
        expectAdhocError: true,
      });
      expect(stranger.adhocError).toMatchObject({
        condition: "forbidden",
        text: "Only the gateway's administrators can run this command.",
      });
    });
  });
});
