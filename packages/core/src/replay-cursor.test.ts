import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { legacyContact, startTestGateway } from "./testing/index.js";

/** The replay cursor: saved after what was sent, read back at the next login; replays shown once. */

const GW = "net.localhost";
const USER = "romeo@localhost";

/** What each login found as the cursor. */
const seenAtLogin: Array<string | undefined> = [];

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async login() {
    seenAtLogin.push(this.cursor);
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  let store: Store;
  const gateways: TestGateway[] = [];
  async function start() {
    const started = await startTestGateway(TestGateway, store, { domain: GW });
    gateways.push(started.gateway);
    return started;
  }
  beforeEach(async () => {
    seenAtLogin.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    for (const gateway of gateways.splice(0)) await gateway.stop();
  });

  describe("replay cursor", () => {
    it("is read at login: the one saved after the events sent, in call order", async () => {
      const { gateway, transport } = await start();
      expect(seenAtLogin).toEqual([undefined]);
      const session = gateway.requireSession(USER);
      const alice = await legacyContact(gateway, USER, "alice");
      const saves = [1, 2, 3].map((seq) =>
        session.saveCursorAfter(alice.sendText(`event ${seq}`, { id: `L${seq}` }), String(seq)),
      );
      await Promise.all(saves);
      expect(
        transport.sent.filter((stanza) => stanza.getChildText("body")?.startsWith("event")),
      ).toHaveLength(3);
      expect(await store.replayCursors.get(session.user.id)).toBe("3");
      expect(session.cursor).toBe("3");

      await gateway.restartSession(USER);
      expect(seenAtLogin).toEqual([undefined, "3"]);
    });

    it("stops moving once an event could not be sent, so that it is replayed", async () => {
      const { gateway } = await start();
      const session = gateway.requireSession(USER);
      await session.saveCursor("1");
      await session.saveCursorAfter(Promise.reject(new Error("server gone")), "2");
      await session.saveCursorAfter(Promise.resolve(), "3");
      expect(await store.replayCursors.get(session.user.id)).toBe("1");
    });

    it("writes the last cursor when the session stops", async () => {
      const { gateway } = await start();
      const session = gateway.requireSession(USER);
      void session.saveCursor("41");
      void session.saveCursor("42");
      await gateway.stop();
      gateways.length = 0;
      expect(await store.replayCursors.get(session.user.id)).toBe("42");
    });

    it("sends a replayed message that is already mapped again under its XMPP id, never as a new message", async () => {
      const { gateway, transport } = await start();
      const alice = await legacyContact(gateway, USER, "alice");
      await alice.sendText("first", { id: "L1" });
      const firstId = transport.sent.at(-1)?.attrs.id;
      const before = transport.sent.length;
      await alice.sendText("first", { id: "L1", replayed: true });
      await alice.sendText("second", { id: "L2", replayed: true });
      const shown = transport.sent
        .slice(before)
        .map((stanza) => [stanza.getChildText("body"), stanza.attrs.id]);
      expect(shown[0]).toEqual(["first", firstId]);
      expect(shown[1]?.[0]).toBe("second");
      expect(shown[1]?.[1]).not.toBe(firstId);
      expect(await store.messageIds.xmppIds(gateway.requireSession(USER).user.id, "alice", "L1")).toEqual([
        firstId,
      ]);
      // Live messages are not looked up: a network that reuses an id gets a new message.
      await alice.sendText("again", { id: "L1" });
      expect(transport.sent.at(-1)?.attrs.id).not.toBe(firstId);
    });
  });
});
