import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { DEMO_STATE_FILE, type DemoMessageEvent, DemoNetwork, REPLAYABLE_MESSAGES } from "./network.js";
import { GW, startTestGateway, testHomeDir } from "./test-support/gateway.js";

/** The demo network replays what it delivered after a cursor; the gateway shows each message once. */

describe("DemoNetwork replay", () => {
  const dirs: string[] = [];
  afterEach(() => {
    vi.useRealTimers();
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function collect(client: ReturnType<DemoNetwork["login"]>): DemoMessageEvent[] {
    const seen: DemoMessageEvent[] = [];
    client.on("message", (e) => seen.push(e));
    return seen;
  }

  it("numbers what it delivers and delivers again, marked, what came after a cursor", async () => {
    const client = new DemoNetwork().login("romeo", "x");
    const seen = collect(client);
    for (const text of ["one", "two", "three"]) {
      client.sendMessage("echo", text);
      await once(client, "message");
    }
    expect(seen.map((e) => [e.seq, e.text, e.replayed])).toEqual([
      [1, "echo: one", undefined],
      [2, "echo: two", undefined],
      [3, "echo: three", undefined],
    ]);
    seen.length = 0;
    client.replay("1");
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((e) => [e.seq, e.text, e.replayed])).toEqual([
      [2, "echo: two", true],
      [3, "echo: three", true],
    ]);
  });

  it("forgets what the gateway acknowledged: the state file keeps a text only while it is on its way", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gangway-demo-replay-"));
    dirs.push(dir);
    const file = join(dir, DEMO_STATE_FILE);
    const network = new DemoNetwork({ stateFile: file });
    const client = network.login("romeo", "x");
    const seen = collect(client);
    for (const text of ["secret one", "secret two"]) {
      client.sendMessage("echo", text);
      await once(client, "message");
    }
    network.flush();
    expect(readFileSync(file, "utf8")).toContain("echo: secret two");
    client.acknowledge(String(seen[0]!.seq));
    network.flush();
    expect(readFileSync(file, "utf8")).not.toContain("echo: secret one");
    expect(readFileSync(file, "utf8")).toContain("echo: secret two");
    client.acknowledge(String(seen[1]!.seq));
    network.flush();
    expect(readFileSync(file, "utf8")).not.toContain("secret");
  });

  it("keeps the log in the state file and bounded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gangway-demo-replay-"));
    dirs.push(dir);
    const file = join(dir, DEMO_STATE_FILE);
    const network = new DemoNetwork({ stateFile: file });
    const client = network.login("romeo", "x");
    for (let n = 0; n < REPLAYABLE_MESSAGES + 5; n++) {
      client.sendMessage("echo", `m${n}`);
      await once(client, "message");
    }
    network.close();
    const after = new DemoNetwork({ stateFile: file }).login("romeo", "x");
    const seen = collect(after);
    after.replay(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toHaveLength(REPLAYABLE_MESSAGES);
    expect(seen[0]?.seq).toBe(6);
    expect(seen.at(-1)?.text).toBe(`echo: m${REPLAYABLE_MESSAGES + 4}`);
  });

  it("'/delay N text' makes echo answer N seconds later, logged even with nobody listening", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    const network = new DemoNetwork();
    const client = network.login("romeo", "x");
    const seen = collect(client);
    client.sendMessage("echo", "/delay 5 later");
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual([]);
    client.logout();
    vi.advanceTimersByTime(5000);
    const next = network.login("romeo", "x");
    const replayed = collect(next);
    next.replay(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(replayed.map((e) => [e.text, e.replayed])).toEqual([["echo: later", true]]);
  });
});

forEachDriver((driver) => {
  describe("demo gateway replay", () => {
    const USER = "romeo@localhost";
    const ECHO = `echo@${GW}`;
    let store: Store;
    let gateway: DemoGateway;
    let transport: MemoryTransport;

    async function start() {
      ({ gateway, transport } = await startTestGateway(store));
      await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    }
    const bodies = () =>
      transport.sent.filter((s) => s.attrs.from === `${ECHO}/gangway`).map((s) => s.getChildText("body"));

    beforeEach(async () => {
      store = await driver.openStore();
      await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
    });
    afterEach(async () => {
      await gateway.stop();
    });

    it("saves the cursor after what it showed; a restart sends what came after it, known ones under their ids", async () => {
      await start();
      const userId = (await store.users.get(USER))!.id;
      await transport.inject(
        `<message type="chat" id="u1" from="${USER}/phone" to="${ECHO}"><body>hi</body></message>`,
      );
      await expect.poll(() => store.replayCursors.get(userId)).toBe("1");
      expect(bodies().filter(Boolean)).toEqual(["echo: hi"]);
      const hiId = transport.sent.find((s) => s.getChildText("body") === "echo: hi")?.attrs.id;
      await gateway.stop();
      // While the gateway was away the network delivered one more message (as echo's delayed
      // answer does), and the cursor lost its last write interval: "echo: hi" comes again too.
      const file = join(testHomeDir(store), DEMO_STATE_FILE);
      const state = JSON.parse(readFileSync(file, "utf8"));
      // Acknowledged once its cursor was stored: the network no longer holds what was said.
      expect(state.accounts.romeo.log).toEqual([]);
      // As a kill before that acknowledgement leaves it, plus a message that never reached the user.
      const hiLegacyId = await store.messageIds.legacyId(userId, "echo", String(hiId));
      state.accounts.romeo.log.push(
        { seq: 1, from: "echo", id: hiLegacyId, text: "echo: hi", at: 0 },
        { seq: 2, from: "echo", id: "away-1", text: "echo: later", at: 0 },
      );
      state.accounts.romeo.nextSeq = 3;
      writeFileSync(file, JSON.stringify(state));
      await store.replayCursors.set(userId, "0");

      await start();
      await expect.poll(() => store.replayCursors.get(userId)).toBe("2");
      expect(bodies().filter(Boolean)).toEqual(["echo: hi", "echo: later"]);
      // Already in the id map: sent again under the id the user's client has, which drops it.
      expect(transport.sent.find((s) => s.getChildText("body") === "echo: hi")?.attrs.id).toBe(hiId);
      const later = transport.sent.find((s) => s.getChildText("body") === "echo: later");
      expect(later?.getChild("delay", "urn:xmpp:delay")).toBeDefined();
    });
  });
});
