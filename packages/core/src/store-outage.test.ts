import { STORE_UNAVAILABLE_TEXT, type Store, StoreUnavailableError } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { MESSAGE_NOT_SENT_TEXT } from "./store-outage.js";
import { startTestGateway } from "./testing/index.js";

/**
 * When the database stays unreachable past the store's retries, the sender of a message hears
 * that it was not sent and why (service-unavailable, type wait), not a generic failure nor nothing.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const sent: string[] = [];

class Session extends BaseSession<OutageGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    // The app's own hook needing the database once the message is in its hands.
    if (message.body === "hook needs the store") throw unavailable();
    sent.push(message.body);
    return `L-${message.xmppId}`;
  }
  override async onCorrect(_chat: LegacyContact, _legacyId: string, body: string) {
    sent.push(`corrected: ${body}`);
  }
}

class OutageGateway extends BaseGateway<BaseSession<OutageGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<OutageGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const unavailable = () => new StoreUnavailableError("postgres", "db:5432/gangway", "connect ECONNREFUSED");

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: OutageGateway;

  beforeEach(async () => {
    sent.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(OutageGateway, store, { domain: GW }));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await gateway.stop();
  });

  const send = (inner: string, id: string, to = `alice@${GW}`) =>
    transport.inject(`<message type="chat" id="${id}" from="${USER}/pc" to="${to}">${inner}</message>`);

  function expectNotSent(id: string) {
    const reply = transport.nextSent();
    expect(reply.attrs).toMatchObject({ type: "error", id, to: `${USER}/pc` });
    const error = reply.getChild("error")!;
    expect(error.attrs.type).toBe("wait");
    expect(error.getChild("service-unavailable", STANZAS)).toBeDefined();
    expect(error.getChildText("text", STANZAS)).toBe(MESSAGE_NOT_SENT_TEXT);
  }

  describe("the database unavailable at login", () => {
    it("does not undo a login that succeeded when only recording it failed", async () => {
      await gateway.stop();
      vi.spyOn(store.users, "update").mockRejectedValue(unavailable());
      ({ gateway, transport } = await startTestGateway(OutageGateway, store, { domain: GW }));
      await vi.waitFor(() => expect(gateway.sessionFor(USER)?.isConnected).toBe(true));
      await send(`<body>hello</body>`, "m0");
      expect(sent).toEqual(["hello"]);
    });

    it("says the database is unavailable, not the driver's error, when the login needed it", async () => {
      await gateway.stop();
      vi.spyOn(store.contacts, "listForUser").mockRejectedValue(unavailable());
      ({ gateway, transport } = await startTestGateway(OutageGateway, store, { domain: GW }));
      await send(`<body>hello</body>`, "m0");
      const error = transport.sent.find((s) => s.attrs.id === "m0" && s.attrs.type === "error");
      const text = error?.getChild("error")?.getChildText("text", STANZAS) ?? "";
      expect(text).toContain("The gateway's database is unavailable right now");
      expect(text).not.toMatch(/ECONNREFUSED|5432/);
      expect(sent).toEqual([]);
    });
  });

  describe("the database unavailable", () => {
    it("answers a correction whose lookup failed: not sent, try again", async () => {
      await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      vi.spyOn(store.messageIds, "legacyId").mockRejectedValue(unavailable());
      await send(`<body>fixed</body><replace xmlns="urn:xmpp:message-correct:0" id="old"/>`, "c1");
      expectNotSent("c1");
      expect(sent).toEqual([]);
    });

    it("answers a message to a contact it could not record: not sent, try again", async () => {
      vi.spyOn(store.contacts, "upsert").mockRejectedValue(unavailable());
      await send(`<body>hello</body>`, "m1", `bob@${GW}`);
      expectNotSent("m1");
      expect(sent).toEqual([]);
    });

    it("does not claim 'not sent' once the message reached the hook, yet names the database", async () => {
      await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      await send(`<body>hook needs the store</body>`, "h1");
      const error = transport.nextSent().getChild("error")!;
      expect(error.attrs.type).toBe("wait");
      expect(error.getChild("service-unavailable", STANZAS)).toBeDefined();
      expect(error.getChildText("text", STANZAS)).toBe(STORE_UNAVAILABLE_TEXT);
    });

    it("still sends what it can send without the database", async () => {
      await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      vi.spyOn(store.messageIds, "legacyId").mockRejectedValue(unavailable());
      await send(`<body>hello</body>`, "m2");
      expect(sent).toEqual(["hello"]);
    });
  });
});
