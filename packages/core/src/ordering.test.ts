import type { MessageIdRepository, Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { startTestGateway } from "./testing/index.js";

const GW = "net.localhost";

/**
 * What the message path promises now that it does not wait for the database: order in both
 * directions, nothing shown before its id map is committed, no writes for unchanged contacts,
 * and a bounded number of logins at once.
 */

const USER = "romeo@localhost";
const calls: string[] = [];
/** Resolves the pending `onMessage` of the slow contact. */
let releaseMessage: () => void = () => {};

let loginsRunning = 0;
let mostLoginsAtOnce = 0;

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async login() {
    mostLoginsAtOnce = Math.max(mostLoginsAtOnce, ++loginsRunning);
    await new Promise((resolve) => setTimeout(resolve, 10));
    loginsRunning--;
  }
  override async *listContacts() {
    for (const id of ["alice", "bob"]) yield this.contacts.byLegacyId(id);
  }
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    await new Promise<void>((resolve) => {
      releaseMessage = resolve;
    });
    calls.push(`message ${message.body}`);
    return `L-${message.xmppId}`;
  }
  override async onCorrect(_chat: LegacyContact, legacyId: string, body: string) {
    calls.push(`correct ${legacyId} ${body}`);
  }
}

class TestGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  static override LOGIN_CONCURRENCY = 2;
  readonly Session = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

/** The store, with id map commits held until `release()`: shows what waits for them. */
function withHeldCommits(store: Store) {
  const held: Array<() => void> = [];
  const recorded: string[] = [];
  const messageIds: MessageIdRepository = {
    ...store.messageIds,
    add(userId, pair) {
      recorded.push(pair.legacyId);
      return store.messageIds.add(userId, pair);
    },
    flush() {
      return new Promise<void>((resolve) => held.push(resolve)).then(() => store.messageIds.flush());
    },
  };
  return {
    store: { ...store, messageIds } as Store,
    recorded,
    release: () => {
      for (const resolve of held.splice(0)) resolve();
    },
  };
}

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  async function start(storeForGateway: Store = store) {
    ({ gateway, transport } = await startTestGateway(TestGateway, storeForGateway));
  }
  beforeEach(async () => {
    calls.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const bodies = () => transport.sent.filter((s) => s.is("message")).map((s) => s.getChildText("body"));

  describe("the message path", () => {
    it("hands a correction to the network after the message it corrects, even when sent together", async () => {
      await start();
      const inject = (inner: string, id: string) =>
        transport.inject(
          `<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}">${inner}</message>`,
        );
      const first = inject("<body>helo</body>", "m1");
      const correction = inject(
        `<body>hello</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/>`,
        "m2",
      );
      await new Promise((resolve) => setImmediate(resolve));
      expect(calls).toEqual([]); // the message is still with the network
      releaseMessage();
      await Promise.all([first, correction]);
      expect(calls).toEqual(["message helo", "correct L-m1 hello"]);
      expect(transport.sent.filter((s) => s.attrs.type === "error")).toEqual([]);
    });

    it("shows a contact's messages only once their id maps are committed, preparing the next ones meanwhile", async () => {
      const held = withHeldCommits(store);
      await start(held.store);
      const alice = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      const shown = Promise.all([
        alice.sendText("one", { id: "1" }),
        alice.sendText("two", { id: "2" }),
        alice.sendText("three", { id: "3" }),
      ]);
      for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(held.recorded).toEqual(["1", "2", "3"]);
      expect(bodies()).toEqual([]);
      held.release();
      await shown;
      expect(bodies()).toEqual(["one", "two", "three"]);
      // The id maps are in the database, not only in memory.
      await store.messageIds.flush();
      const user = (await store.users.get(USER))!;
      expect(await store.messageIds.xmppIds(user.id, "alice", "3")).toEqual([
        transport.sent.at(-1)!.attrs.id,
      ]);
    });

    it("still shows a message whose id map could not be stored", async () => {
      await start();
      const alice = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      // The user's row is gone underneath the running session: the id map's insert must fail.
      await store.users.delete(USER);
      await alice.sendText("still here", { id: "x" });
      expect(bodies()).toEqual(["still here"]);
    });
  });

  describe("logins", () => {
    it("logs stored users in a bounded number at a time, and writes no unchanged contact again", async () => {
      for (let n = 0; n < 4; n++) await store.users.create({ jid: `user${n}@localhost`, registration: {} });
      mostLoginsAtOnce = 0;
      await start();
      expect(gateway.sessions.size).toBe(5);
      expect([...gateway.sessions.values()].every((session) => session.isLoggedIn)).toBe(true);
      expect(mostLoginsAtOnce).toBe(2);
      await gateway.stop();

      const upserts: string[] = [];
      const counting = {
        ...store,
        contacts: {
          ...store.contacts,
          upsert: (userId: number, contact: { legacyId: string; jidLocal: string }) => {
            upserts.push(contact.legacyId);
            return store.contacts.upsert(userId, contact);
          },
        },
      } as Store;
      await start(counting);
      expect(gateway.sessions.size).toBe(5);
      expect(upserts).toEqual([]);
    });
  });
});
