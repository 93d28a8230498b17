import { readFile, stat, writeFile } from "node:fs/promises";
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
import { EXIT_STARTUP_FAILED } from "@gangway/core";
import { type GatewayProcess, runBin, startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, registerWithGateway } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * The demo network's "cloud" outlives the gateway's process, as a real network's does: the real
 * executable is stopped (SIGTERM, a clean shutdown) or killed (SIGKILL, a second after the last
 * change, which its coalesced writes have saved by then) and started again on the same home dir;
 * the user then reacts to echo's answer and corrects their own message from before, and echo
 * mirrors both, referring to the messages of the first run.
 */

const ECHO = `echo@${GW}`;
const ECHO_FULL = `${ECHO}/gangway`;
const RUNNING = /"msg":"gateway running"/;
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_CORRECT = "urn:xmpp:message-correct:0";

/** The first stanza received after the first `mark` ones that matches. */
function waitAfter(client: TestClient, mark: number, match: (s: Element) => boolean, timeoutMs = 10_000) {
  return client.waitFor((s) => client.stanzas.indexOf(s) >= mark && match(s), timeoutMs);
}

/** Sends `text` with stanza id `id` to echo and resolves with echo's answer. */
async function sayToEcho(client: TestClient, id: string, text: string): Promise<Element> {
  await client.send(`<message type="chat" to="${ECHO}" id="${id}"><body>${text}</body></message>`);
  return client.waitFor((s) => s.is("message") && s.getChildText("body") === `echo: ${text}`, 10_000);
}

let users = 0;

onEachDriver((driver) => {
  const serverCleanups = new Cleanups();
  /** Each test's gateways, client and database: a failed test leaves no gateway holding the component. */
  const cleanups = new Cleanups();
  let prosody: ProsodyServer;
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
    serverCleanups.add(() => prosody.stop());
  });
  afterEach(() => cleanups.run());
  afterAll(() => serverCleanups.run());

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`${signal}, then a restart on the same home dir: echo mirrors a reaction and a correction of messages from before`, async () => {
      const database = await createTestDatabase(driver, cleanups);
      const start = (): GatewayProcess =>
        startGatewayProcess(cleanups, database.cliArgs, {
          GANGWAY_JID: GW,
          GANGWAY_SECRET: prosody.componentSecret,
          GANGWAY_PORT: String(prosody.componentPort),
        });
      const first = start();
      await first.waitForOutput(RUNNING);
      const user = `restart${++users}`;
      await registerAccount(prosody, user, "pw");
      const client = await connectClient({ server: prosody, username: user, password: "pw" });
      cleanups.add(() => client.stop());
      await registerWithGateway(client, user);

      const hello = await sayToEcho(client, "hello", "hello");
      expect(hello.attrs.from).toBe(ECHO_FULL);
      await sayToEcho(client, "typo", "helo");
      const typoAnswer = client.stanzas.find((s) => s.getChildText("body") === "echo: helo")!;

      if (signal === "SIGTERM") {
        expect(await first.stop(), first.output()).toEqual({ code: 0, signal: null });
      } else {
        // Long after the coalesced write (within 100 ms of the change), well before anyone would stop it.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        first.kill("SIGKILL");
        expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });
      }
      const stateFile = join(database.homeDir, DEMO_STATE_FILE);
      expect((await stat(stateFile)).mode & 0o777).toBe(0o600);
      // Message ids, not what was said.
      expect(await readFile(stateFile, "utf8")).not.toContain("helo");

      const mark = client.stanzas.length;
      const second = start();
      await second.waitForOutput(RUNNING);
      await waitAfter(
        client,
        mark,
        (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === `Logged in as ${user}`,
      );

      // A reaction to echo's answer from the first run: echo reacts alike on the message it answered.
      await client.send(
        `<message type="chat" to="${ECHO}" id="react"><reactions xmlns="${NS_REACTIONS}" id="${hello.attrs.id}"><reaction>👍</reaction></reactions><store xmlns="urn:xmpp:hints"/></message>`,
      );
      const reaction = await waitAfter(
        client,
        mark,
        (s) => s.is("message") && s.getChild("reactions", NS_REACTIONS) !== undefined,
      );
      expect(reaction.attrs.from, second.output()).toBe(ECHO_FULL);
      expect(reaction.getChild("reactions", NS_REACTIONS)?.attrs.id).toBe("hello");
      expect(reaction.getChild("reactions", NS_REACTIONS)?.getChildText("reaction")).toBe("👍");

      // A correction of the user's message from the first run: echo corrects its answer to it.
      await client.send(
        `<message type="chat" to="${ECHO}" id="fix"><body>hello again</body><replace xmlns="${NS_CORRECT}" id="typo"/></message>`,
      );
      const correction = await waitAfter(
        client,
        mark,
        (s) => s.is("message") && s.getChild("replace", NS_CORRECT) !== undefined,
      );
      expect(correction.attrs.from).toBe(ECHO_FULL);
      expect(correction.getChildText("body")).toBe("echo: hello again");
      expect(correction.getChild("replace", NS_CORRECT)?.attrs.id).toBe(typoAnswer.attrs.id);

      const errors = client.stanzas.filter((s) => s.is("message") && s.attrs.type === "error");
      expect(errors.map(String)).toEqual([]);
      expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });
    });
  }

  it("a state file that cannot be read back stops the executable at startup, naming the file", async () => {
    const database = await createTestDatabase(driver, cleanups);
    const stateFile = join(database.homeDir, DEMO_STATE_FILE);
    await writeFile(stateFile, `{"version":1,"accounts":{`);
    const run = await runBin(database.cliArgs, {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    });
    expect(run.code, run.stdout + run.stderr).toBe(EXIT_STARTUP_FAILED);
    const fatal = run.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .find((entry) => entry.level === 60);
    expect(fatal?.err?.message).toMatch(`demo network state ${stateFile}: is not valid JSON`);
    // Left as it was, for the operator to look at.
    expect(await readFile(stateFile, "utf8")).toBe(`{"version":1,"accounts":{`);
  });
});
