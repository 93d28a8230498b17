import { loadGatewayConfig } from "@gangway/core";
import { IrcGateway } from "@gangway/irc-gateway";
import { openStore } from "@gangway/store";
import {
  connectIrcBot,
  type EjabberdServer,
  type IrcBot,
  type NgircdServer,
  type ProsodyServer,
  runSlixmppClient,
  startEjabberd,
  startNgircd,
  startProsody,
} from "@gangway/testing";
import { ComponentTransport } from "@gangway/xmpp";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { InteractiveMucClient, type MucEvent } from "./irc-muc-client.js";
import { Cleanups } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * IRC channels as rooms end to end: slixmpp's MUC plugin (a real client's MUC code) through a real
 * Prosody and a real ejabberd, our IRC gateway, a real ngIRCd and IRC bots in the channel. The user
 * joins #gangway@gateway; the occupants come from NAMES, the subject from the topic; messages go
 * both ways; a bot joins, is renamed, kicked, parts; the user leaves and the channel sees the PART.
 */

const GW = "irc.localhost";
const ROOM = `#gangway@${GW}`;
/** IRC_E2E_LOG=<file>: the gateway's debug log goes there (silent otherwise). */
const logger = process.env.IRC_E2E_LOG
  ? pino({ level: "debug" }, pino.destination(process.env.IRC_E2E_LOG))
  : pino({ level: "silent" });
type Server = ProsodyServer | EjabberdServer;

const SERVERS: readonly [string, () => Promise<Server>][] = [
  ["Prosody", () => startProsody({ componentDomain: GW })],
  ["ejabberd", () => startEjabberd({ componentDomain: GW })],
];

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function startIrcGateway(server: Server, ircd: NgircdServer, database: TestDatabase): Promise<void> {
  const config = loadGatewayConfig({
    appName: "irc",
    argv: [
      ...["--jid", GW, "--secret", server.componentSecret, "--port", String(server.componentPort)],
      ...["--irc-server", `127.0.0.1:${ircd.port}:plain`],
    ],
    env: {},
    appOptions: IrcGateway.OPTIONS,
  });
  const store = await openStore(database.options, logger);
  const transport = new ComponentTransport({
    service: `xmpp://127.0.0.1:${server.componentPort}`,
    domain: GW,
    password: server.componentSecret,
    logger,
  });
  const gateway = new IrcGateway({ config, store, transport, logger });
  cleanups.add(async () => {
    await gateway.stop();
    await store.close();
  });
  await gateway.start();
}

async function bot(ircd: NgircdServer, nick: string): Promise<IrcBot> {
  const connected = await connectIrcBot({ host: "127.0.0.1", port: ircd.port, nick });
  cleanups.add(() => connected.quit().catch(() => {}));
  return connected;
}

const presence =
  (from: string, test: (e: Extract<MucEvent, { event: "presence" }>) => boolean = () => true) =>
  (e: MucEvent): e is Extract<MucEvent, { event: "presence" }> =>
    e.event === "presence" && e.from === `${ROOM}/${from}` && test(e);

onEachDriver((driver) => {
  describe.each(SERVERS)(
    "an IRC channel as a room through %s, with slixmpp's MUC plugin",
    (_name, startServer) => {
      it("join with occupants and topic, messages both ways, bots joining, renamed, kicked, parting, the user leaving", async () => {
        const server = await startServer();
        cleanups.add(() => server.stop());
        const ircd = await startNgircd();
        cleanups.add(() => ircd.stop());
        await startIrcGateway(server, ircd, await createTestDatabase(driver, cleanups));

        // alice opened the channel (op) and set its topic; bob has voice.
        const alice = await bot(ircd, "alice");
        await alice.join("#gangway");
        alice.raw("TOPIC #gangway :Gangway talk");
        const bob = await bot(ircd, "bob");
        await bob.join("#gangway");
        alice.raw("MODE #gangway +v bob");
        await bob.waitForLine((line) => line.command === "MODE" && line.params.includes("+v"));

        const registration = await runSlixmppClient({
          server,
          jid: "romeo@localhost",
          password: "pw",
          registerAccount: true,
          registerGateway: GW,
          gatewayFields: { nickname: "romeo", password: "" },
          waitForPresence: { from: GW, status: "Connected to 127.0.0.1 as romeo" },
          timeoutMs: 20_000,
        });
        expect(registration.errors, registration.stderr).toEqual([]);
        const client = await InteractiveMucClient.start(server, "romeo@localhost/muc", "pw");
        cleanups.add(() => client.stop());

        // Join: the channel's names are the occupants, its topic the subject.
        const joinSeen = alice.waitForLine(
          (line) => line.command === "JOIN" && line.from === "romeo",
          20_000,
        );
        client.send({ cmd: "join", room: ROOM, nick: "romeo" });
        const joined = await client.waitFor(
          (e): e is Extract<MucEvent, { event: "joined" | "join-error" }> =>
            e.event === "joined" || e.event === "join-error",
          25_000,
        );
        if (joined.event === "join-error") throw new Error(joined.error);
        await joinSeen;
        expect(joined.self_nick).toBe("romeo");
        expect(joined.self_codes).toEqual([110]);
        expect(joined.subject).toBe("Gangway talk");
        expect(joined.occupants.filter((o) => o.nick !== "romeo")).toEqual([
          { nick: "alice", role: "moderator", affiliation: "admin" },
          { nick: "bob", role: "participant", affiliation: "member" },
        ]);

        // Messages both ways; the user's own comes back as the reflection.
        await alice.say("#gangway", "hello from IRC");
        const fromAlice = await client.waitFor((e) => e.event === "message" && e.body === "hello from IRC");
        expect(fromAlice).toMatchObject({ from: `${ROOM}/alice` });
        const heard = alice.waitForMessage((m) => m.target === "#gangway" && m.from === "romeo", 10_000);
        client.send({ cmd: "say", room: ROOM, body: "hello from XMPP" });
        expect((await heard).text).toBe("hello from XMPP");
        await client.waitFor(
          (e) => e.event === "message" && e.from === `${ROOM}/romeo` && e.body === "hello from XMPP",
        );

        // A bot joins, is renamed, made op; bob is kicked; carol parts.
        const carol = await bot(ircd, "carol");
        await carol.join("#gangway");
        await client.waitFor(presence("carol", (e) => e.type === "available"));
        await carol.changeNick("caroline");
        const renamed = await client.waitFor(presence("carol", (e) => e.type === "unavailable"));
        expect(renamed).toMatchObject({ codes: [303], new_nick: "caroline" });
        await client.waitFor(presence("caroline", (e) => e.type === "available"));
        alice.raw("MODE #gangway +o caroline");
        await client.waitFor(presence("caroline", (e) => e.role === "moderator"));
        alice.raw("KICK #gangway bob :be nice");
        const kicked = await client.waitFor(presence("bob", (e) => e.type === "unavailable"));
        expect(kicked).toMatchObject({ codes: [307], reason: "be nice" });
        await carol.part("#gangway", "bye");
        await client.waitFor(presence("caroline", (e) => e.type === "unavailable"));
        alice.raw("TOPIC #gangway :new topic");
        expect(await client.waitFor((e) => e.event === "subject" && e.subject === "new topic")).toMatchObject(
          {
            from: `${ROOM}/alice`,
          },
        );

        // The user leaves: the channel sees the PART, the client its own unavailable presence.
        const parted = alice.waitForLine((line) => line.command === "PART" && line.from === "romeo", 10_000);
        client.send({ cmd: "leave", room: ROOM, nick: "romeo" });
        await parted;
        const left = await client.waitFor(presence("romeo", (e) => e.type === "unavailable"));
        expect(left.codes).toContain(110);
      }, 90_000);
    },
  );
});
