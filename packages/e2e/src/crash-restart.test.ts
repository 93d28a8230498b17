import { generateKeyMaterial, openStore, SecretBox } from "@gangway/store";
import {
  connectClient,
  type ProsodyServer,
  registerAccount,
  startProsody,
  type TestClient,
} from "@gangway/testing";
import type { Element } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import { startSlowLink } from "./slow-link.js";
import { Cleanups, GW, registerWithGateway } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * A crash of the real executable in the middle of a conversation. The gateway shows a message
 * to the user only once its id map is committed, so whatever the user has seen can be reacted
 * to, corrected or retracted after a SIGKILL and an immediate restart: nothing they refer to may
 * answer item-not-found. SQLite's lock dies with the process, so the restart needs no cleanup.
 *
 * What shows here that the restarted gateway found the id maps is that none is refused (a control
 * shows that a lost one would be), and the rows in the database afterwards. (That echo itself
 * remembers messages from before a restart is demo-restart.test.ts's subject.)
 */

const USER = "crash";
const ECHO = `echo@${GW}`;
const ECHO_FULL = `${ECHO}/gangway`;
/** Messages in the burst: echo answers each one; the gateway is killed right after the last answer. */
const BURST = 150;
const RUNNING = /"msg":"gateway running"/;
/** Each way between the killed gateway and PostgreSQL. */
const DATABASE_DELAY_MS = 15;
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_CORRECT = "urn:xmpp:message-correct:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";

const sentId = (i: number) => `burst-${i}`;

function reaction(id: string, to: string, emoji: string): string {
  return `<message type="chat" to="${ECHO}" id="${id}"><reactions xmlns="${NS_REACTIONS}" id="${to}"><reaction>${emoji}</reaction></reactions><store xmlns="urn:xmpp:hints"/></message>`;
}

/** The defined condition of an error stanza (`item-not-found`, …). */
function errorCondition(stanza: Element): string | undefined {
  return stanza
    .getChild("error")
    ?.getChildElements()
    .find((child) => child.name !== "text")?.name;
}

/** The first stanza received after the first `mark` ones that matches. */
function waitAfter(client: TestClient, mark: number, match: (s: Element) => boolean, timeoutMs = 10_000) {
  return client.waitFor((s) => client.stanzas.indexOf(s) >= mark && match(s), timeoutMs);
}

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let prosody: ProsodyServer;
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
  });
  afterAll(() => cleanups.run());

  it("SIGKILL right after the last echo, restart at once: reactions, a correction and a retraction of the last messages all find them", async () => {
    const database = await createTestDatabase(driver, cleanups);
    // Given, not generated into the home dir, so the test can read the users it stored.
    const key = generateKeyMaterial();
    const start = (args = database.cliArgs): GatewayProcess =>
      startGatewayProcess(cleanups, args, {
        GANGWAY_JID: GW,
        GANGWAY_SECRET: prosody.componentSecret,
        GANGWAY_PORT: String(prosody.componentPort),
        GANGWAY_SECRET_KEY: key,
      });

    const first = start(await firstRunArgs(database, cleanups));
    await first.waitForOutput(RUNNING);
    await registerAccount(prosody, USER, "pw");
    const client = await connectClient({ server: prosody, username: USER, password: "pw" });
    cleanups.add(() => client.stop());
    await registerWithGateway(client, USER);

    // The burst: every message sent at once, echo's answers counted as they come.
    const echoes: Element[] = [];
    const allEchoed = client.waitFor((s) => {
      const body = s.is("message") && s.attrs.from === ECHO_FULL ? s.getChildText("body") : null;
      if (!body?.startsWith("echo: burst ")) return false;
      echoes.push(s);
      return echoes.length === BURST;
    }, 30_000);
    const burstStarted = performance.now();
    for (let i = 0; i < BURST; i++) {
      await client.send(
        `<message type="chat" to="${ECHO}" id="${sentId(i)}"><body>burst ${i}</body></message>`,
      );
    }
    await allEchoed;
    first.kill("SIGKILL");
    const killedAt = performance.now();
    const mark = client.stanzas.length;
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

    const second = start();
    const spawnedMs = performance.now() - killedAt;
    await second.waitForOutput(RUNNING, 10_000);
    const restartMs = performance.now() - killedAt;
    const startup = second.logEntries().find((entry) => entry.msg === "gateway running");
    expect(startup, second.output()).toMatchObject({ users: 1 });
    console.info(
      `${driver}: ${BURST} echoes in ${(killedAt - burstStarted).toFixed(0)} ms; restarted ${spawnedMs.toFixed(0)} ms ` +
        `after the SIGKILL, "gateway running" ${restartMs.toFixed(0)} ms after it (startupMs ${String(startup?.startupMs)})`,
    );
    // The restart logged the user in again, and the client hears it.
    await waitAfter(
      client,
      mark,
      (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === `Logged in as ${USER}`,
    );

    // Echo answered in order: the last answers are those of the last messages.
    expect(echoes.map((s) => s.getChildText("body"))).toEqual(
      Array.from({ length: BURST }, (_, i) => `echo: burst ${i}`),
    );
    const echoId = (i: number) => String(echoes[i]!.attrs.id);
    const last = BURST - 1;
    const actions = [
      reaction("react-echo-1", echoId(last), "👍"),
      reaction("react-echo-2", echoId(last - 1), "❤️"),
      reaction("react-echo-3", echoId(last - 2), "🎉"),
      reaction("react-own", sentId(last - 2), "👀"),
      `<message type="chat" to="${ECHO}" id="correct-own"><body>burst ${last}, corrected</body><replace xmlns="${NS_CORRECT}" id="${sentId(last)}"/></message>`,
      `<message type="chat" to="${ECHO}" id="retract-own"><retract xmlns="${NS_RETRACT}" id="${sentId(last - 1)}"/></message>`,
      // The control: an id the gateway never saw is refused, so a lost one would be too.
      reaction("react-unknown", "never-delivered", "👍"),
    ];
    for (const action of actions) await client.send(action);
    // The user's messages to a contact are handled in order: the control's answer comes last.
    await waitAfter(
      client,
      mark,
      (s) => s.is("message") && s.attrs.id === "react-unknown" && s.attrs.type === "error",
    );

    // The restarted gateway works on: a new message is echoed, and a reaction to that echo
    // comes back from echo on the message it answered.
    await client.send(
      `<message type="chat" to="${ECHO}" id="after-restart"><body>after restart</body></message>`,
    );
    const answer = await waitAfter(
      client,
      mark,
      (s) => s.is("message") && s.getChildText("body") === "echo: after restart",
    );
    await client.send(reaction("react-new", String(answer.attrs.id), "👍"));
    const echoed = await waitAfter(
      client,
      mark,
      (s) => s.is("message") && s.getChild("reactions", NS_REACTIONS)?.attrs.id === "after-restart",
    );
    expect(echoed.attrs.from).toBe(ECHO_FULL);

    // Nothing the user sent, before the kill or after it, was refused but the control.
    const errors = client.stanzas
      .filter((s) => s.is("message") && s.attrs.type === "error")
      .map((s) => ({ id: s.attrs.id, condition: errorCondition(s), from: s.attrs.from }));
    expect(errors, second.output()).toEqual([
      { id: "react-unknown", condition: "item-not-found", from: ECHO },
    ]);
    expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });

    await expectIdMapsStored(database, key, echoes);
  });
});

/**
 * The executable's database options for the run that is killed. On PostgreSQL it reaches its
 * database through a slow link: a commit takes a while, and what it had sent but the server had not
 * received is lost with it, so a message shown before its id map was committed would be lost.
 * (On SQLite a commit is a write to a file the next process reads, and takes well under a millisecond.)
 */
async function firstRunArgs(database: TestDatabase, cleanups: Cleanups): Promise<readonly string[]> {
  if (database.options.driver !== "postgres") return database.cliArgs;
  const url = new URL(database.options.url);
  const link = await startSlowLink({ host: url.hostname, port: Number(url.port || 5432) }, DATABASE_DELAY_MS);
  cleanups.add(() => link.close());
  url.host = `127.0.0.1:${link.port}`;
  return ["--home-dir", database.homeDir, "--db-url", url.toString()];
}

/**
 * Every message of the burst, both ways, is in the database that survived the kill, and the
 * correction the restarted gateway handled points at the same legacy message as the original.
 */
async function expectIdMapsStored(database: TestDatabase, key: string, echoes: Element[]): Promise<void> {
  const store = await openStore({ ...database.options, secretBox: SecretBox.fromMaterial(key) });
  try {
    const user = await store.users.get(`${USER}@localhost`);
    expect(user).toBeDefined();
    const legacyId = (xmppId: string) => store.messageIds.legacyId(user!.id, "echo", xmppId);
    const missing: string[] = [];
    const legacyIds = new Set<string>();
    for (let i = 0; i < BURST; i++) {
      for (const xmppId of [sentId(i), String(echoes[i]!.attrs.id)]) {
        const found = await legacyId(xmppId);
        if (found === undefined) missing.push(xmppId);
        else legacyIds.add(found);
      }
    }
    expect(missing).toEqual([]);
    expect(legacyIds.size).toBe(2 * BURST);
    expect(await legacyId("correct-own")).toBe(await legacyId(sentId(BURST - 1)));
  } finally {
    await store.close();
  }
}
