import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { DEMO_STATE_FILE } from "@gangway/demo-gateway";
import {
  connectClient,
  type ProsodyServer,
  registerAccount,
  startProsody,
  type TestClient,
} from "@gangway/testing";
import type { Element } from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, registerWithGateway } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * Nothing lost in silence across a crash, with the real executable.
 *
 * 1. The user sends a burst to echo and the gateway is SIGKILLed mid-stream, then restarted:
 *    every message must be echoed (before the kill, or after the restart from the demo network's
 *    replay) or answered with an error (the gateway's "gateway stopped" for what it had read and not
 *    passed on, or the server's for what reached it while the gateway was down). Silent: none.
 * 2. Echo speaks while Prosody is down; the gateway holds the messages and is SIGKILLed; Prosody
 *    and the gateway come back: the demo network replays from the stored cursor, and each held
 *    message reaches the user once.
 */

const ECHO = `echo@${GW}`;
const ECHO_FULL = `${ECHO}/gangway`;
const RUNNING = /"msg":"gateway running"/;
const BURST = 200;
/**
 * Echoes seen before the SIGKILL: the gateway has then read the whole burst and is busy with it.
 * KILL_AFTER=0 kills it while the burst is still on its way to it (see the report in the output).
 */
const KILL_AFTER_ECHOES = Number(process.env.KILL_AFTER ?? 30);
const HELD = 5;
const STOPPED_TEXT = /^The gateway stopped before this message was passed on; it may not have reached echo@/;

const burstId = (i: number) => `burst-${i}`;

/** The first stanza received after the first `mark` ones that matches. */
function waitAfter(client: TestClient, mark: number, match: (s: Element) => boolean, timeoutMs = 15_000) {
  return client.waitFor((s) => client.stanzas.indexOf(s) >= mark && match(s), timeoutMs);
}

const loggedIn = (user: string) => (s: Element) =>
  s.is("presence") && s.attrs.from === GW && s.getChildText("status") === `Logged in as ${user}`;

let users = 0;

const errorText = (s: Element) => s.getChild("error")?.getChildText("text") ?? "";

/** What became of each message of the burst, as the user's client saw it. */
function outcomes(client: TestClient) {
  const tally = {
    sent: BURST,
    echoed: 0,
    bouncedByGateway: 0,
    refusedByGateway: 0,
    bouncedByServer: 0,
    silent: 0,
    echoedAndBounced: 0,
  };
  const silent: number[] = [];
  const echoedTwice: number[] = [];
  for (let i = 0; i < BURST; i++) {
    const echoed = client.stanzas.filter(
      (s) => s.is("message") && s.attrs.from === ECHO_FULL && s.getChildText("body") === `echo: burst ${i}`,
    );
    // The same message twice under one id is a duplicate a client drops; under two, a real one.
    if (new Set(echoed.map((s) => s.attrs.id)).size > 1) echoedTwice.push(i);
    const errors = client.stanzas.filter(
      (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === burstId(i),
    );
    const stopped = errors.filter((s) => STOPPED_TEXT.test(errorText(s)));
    // Passed on, but killed before its record's removal was written: told it "may not have" arrived.
    if (echoed.length > 0 && stopped.length > 0) tally.echoedAndBounced++;
    if (echoed.length > 0) tally.echoed++;
    else if (stopped.length > 0) tally.bouncedByGateway++;
    else if (errors.some((s) => s.attrs.from === ECHO)) tally.refusedByGateway++;
    else if (errors.length > 0) tally.bouncedByServer++;
    else {
      tally.silent++;
      silent.push(i);
    }
  }
  return { tally, silent, echoedTwice };
}

function report(driver: string, what: string, { tally, silent }: ReturnType<typeof outcomes>): void {
  console.info(
    `${driver}, ${what}: sent ${tally.sent}, echoed ${tally.echoed}, answered "gateway stopped" ${tally.bouncedByGateway} ` +
      `(${tally.echoedAndBounced} of the echoed too), refused at once ${tally.refusedByGateway}, bounced by the server ` +
      `${tally.bouncedByServer}, silent ${tally.silent}${silent.length ? ` (#${silent[0]}–#${silent.at(-1)})` : ""}`,
  );
}

onEachDriver((driver) => {
  const serverCleanups = new Cleanups();
  const cleanups = new Cleanups();
  let prosody: ProsodyServer;
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
    serverCleanups.add(() => prosody.stop());
  });
  afterEach(() => cleanups.run());
  afterAll(() => serverCleanups.run());

  const gatewayOn =
    (database: TestDatabase) =>
    (args: readonly string[] = []): GatewayProcess =>
      startGatewayProcess(cleanups, [...database.cliArgs, ...args], {
        GANGWAY_JID: GW,
        GANGWAY_SECRET: prosody.componentSecret,
        GANGWAY_PORT: String(prosody.componentPort),
      });

  async function newUser(): Promise<{ user: string; client: TestClient }> {
    const user = `journal${++users}`;
    await registerAccount(prosody, user, "pw");
    const client = await connectClient({ server: prosody, username: user, password: "pw" });
    cleanups.add(() => client.stop());
    await registerWithGateway(client, user);
    return { user, client };
  }

  it(`SIGKILL in the middle of ${BURST} messages: what the gateway read is echoed or answered with an error`, async () => {
    const database = await createTestDatabase(driver, cleanups);
    const start = gatewayOn(database);
    const first = start();
    await first.waitForOutput(RUNNING);
    const { user, client } = await newUser();

    let echoes = 0;
    const killNow = client.waitFor((s) => {
      if (s.is("message") && s.attrs.from === ECHO_FULL && s.getChildText("body")?.startsWith("echo: burst "))
        echoes++;
      return echoes >= KILL_AFTER_ECHOES;
    }, 30_000);
    for (let i = 0; i < BURST; i++) {
      await client.send(
        `<message type="chat" to="${ECHO}" id="${burstId(i)}"><body>burst ${i}</body></message>`,
      );
    }
    await killNow;
    first.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    const mark = client.stanzas.length;
    const second = start();
    await second.waitForOutput(RUNNING, 15_000);
    await waitAfter(client, mark, loggedIn(user));
    // The user's messages to echo are handled in order, and replays come right after the login:
    // once this one is echoed, anything still to come from the burst has come.
    await client.send(`<message type="chat" to="${ECHO}" id="sentinel"><body>sentinel</body></message>`);
    await waitAfter(client, mark, (s) => s.getChildText("body") === "echo: sentinel");
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const { tally, silent, echoedTwice } = outcomes(client);
    const bounce = client.stanzas.find(
      (s) => s.attrs.type === "error" && STOPPED_TEXT.test(s.getChild("error")?.getChildText("text") ?? ""),
    );
    report(driver, `SIGKILL after ${KILL_AFTER_ECHOES} echoes`, { tally, silent, echoedTwice });
    expect(echoedTwice).toEqual([]);
    // What the gateway read was passed on (echoed, at the latest from the replay) or answered; what
    // it lost in silence can only be the end of the burst, still in the socket when it died (a
    // component stream has no acknowledgements): never a message before one it accounted for.
    const lastAccounted = Math.max(-1, ...[...Array(BURST).keys()].filter((i) => !silent.includes(i)));
    expect(
      silent.filter((i) => i < lastAccounted),
      second.output(),
    ).toEqual([]);
    // The gateway's answer: from the chat, to the client that sent it, type wait, no body.
    if (bounce) {
      expect(bounce.attrs.from).toBe(ECHO);
      expect(bounce.getChild("error")?.attrs.type).toBe("wait");
      expect(bounce.getChild("body")).toBeUndefined();
    }
    expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });
  });

  it(`SIGKILL while ${BURST} messages wait for a login: every one is answered, none lost in silence`, async () => {
    const database = await createTestDatabase(driver, cleanups);
    const start = gatewayOn(database);
    const first = start();
    await first.waitForOutput(RUNNING);
    const { user, client } = await newUser();
    expect(await first.stop()).toEqual({ code: 0, signal: null });

    // The login takes 5 s: what the user sends meanwhile is read and held in memory (up to 100; the
    // rest is refused at once, with an error that says so).
    // The slow gateway's own "Logging in…": the first gateway's, from the registration, is in the
    // client's stanzas already, and matching it sent the burst before the sessions existed.
    const beforeSlow = client.stanzas.length;
    const slow = start(["--login-delay", "5"]);
    await slow.waitForOutput(/"msg":"component online"/);
    await waitAfter(
      client,
      beforeSlow,
      (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === "Logging in…",
    );
    for (let i = 0; i < BURST; i++) {
      await client.send(
        `<message type="chat" to="${ECHO}" id="${burstId(i)}"><body>burst ${i}</body></message>`,
      );
    }
    // The refusals of the last ones came back: the gateway has read the whole burst.
    await client.waitFor((s) => s.attrs.type === "error" && s.attrs.id === burstId(BURST - 1));
    await new Promise((resolve) => setTimeout(resolve, 200));
    slow.kill("SIGKILL");
    expect(await slow.exited).toEqual({ code: null, signal: "SIGKILL" });

    const mark = client.stanzas.length;
    const second = start();
    await second.waitForOutput(RUNNING, 15_000);
    await waitAfter(client, mark, loggedIn(user));
    const result = outcomes(client);
    report(driver, "SIGKILL during a login", result);
    expect(result.silent, second.output()).toEqual([]);
    expect(result.tally.echoed).toBe(0);
    expect(result.tally.bouncedByGateway).toBeGreaterThan(0);
    const bounce = client.stanzas.find((s) => s.attrs.type === "error" && STOPPED_TEXT.test(errorText(s)));
    expect(bounce?.attrs.from).toBe(ECHO);
    expect(bounce?.getChild("error")?.attrs.type).toBe("wait");
    expect(bounce?.getChild("body")).toBeUndefined();
    expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });
  });

  it("echo speaks while Prosody is down, the gateway holding it is SIGKILLed: after both restart, each message arrives once", async () => {
    const database = await createTestDatabase(driver, cleanups);
    const start = gatewayOn(database);
    const first = start();
    await first.waitForOutput(RUNNING);
    const { user, client } = await newUser();

    // Shown before the outage: the cursor passes it, and it must not come again.
    await client.send(`<message type="chat" to="${ECHO}" id="before"><body>before</body></message>`);
    await client.waitFor((s) => s.getChildText("body") === "echo: before");
    // Echo answers these in 3 s: by then Prosody is down.
    for (let i = 0; i < HELD; i++) {
      await client.send(
        `<message type="chat" to="${ECHO}" id="held-${i}"><body>/delay 3 held ${i}</body></message>`,
      );
    }
    // Echo's receipt for the last: the gateway passed every one to the network.
    await client.waitFor((s) => s.getChild("received", "urn:xmpp:receipts")?.attrs.id === `held-${HELD - 1}`);
    const back = prosody.restart({ downMs: 8000 });
    // The network delivered all of them (it saved its log), and the gateway holds them.
    const stateFile = join(database.homeDir, DEMO_STATE_FILE);
    const deadline = Date.now() + 15_000;
    while (!(await readFile(stateFile, "utf8").catch(() => "")).includes(`echo: held ${HELD - 1}`)) {
      if (Date.now() > deadline) throw new Error(`echo never answered\n${first.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    first.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
    await back;

    const again = await connectClient({ server: prosody, username: user, password: "pw" });
    cleanups.add(() => again.stop());
    const second = start();
    await second.waitForOutput(RUNNING, 15_000);
    await again.waitFor(loggedIn(user), 15_000);
    await again.send(`<message type="chat" to="${ECHO}" id="sentinel"><body>sentinel</body></message>`);
    await again.waitFor((s) => s.getChildText("body") === "echo: sentinel", 15_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));

    const bodies = again.stanzas
      .filter((s) => s.is("message") && s.attrs.from === ECHO_FULL)
      .map((s) => s.getChildText("body"))
      .filter((body): body is string => body !== null && body !== "echo: sentinel");
    console.info(`${driver}: after the restart the user got ${JSON.stringify(bodies)}`);
    expect(bodies.sort()).toEqual(Array.from({ length: HELD }, (_, i) => `echo: held ${i}`));
    // Delivered: the network keeps no text once the cursor is stored.
    await expect
      .poll(async () => (await readFile(stateFile, "utf8")).includes("held"), { timeout: 5000 })
      .toBe(false);
    expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });
  });
});
