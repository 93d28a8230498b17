import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import type { ChatState, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { startTestGateway } from "./testing/index.js";

/**
 * The messaging core with two hand-written session classes: one that implements no chat hook
 * (every hook must answer feature-not-implemented, never silence) and one that records what it got.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

const calls: string[] = [];

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    calls.push(`message ${message.body}${message.replyTo ? ` reply-to ${message.replyTo.legacyId}` : ""}`);
    return `L-${message.xmppId}`;
  }
  override async onDisplayed(_chat: LegacyContact, legacyId: string) {
    calls.push(`displayed ${legacyId}`);
  }
  override async onReact(_chat: LegacyContact, legacyId: string, emojis: readonly string[]) {
    calls.push(`react ${legacyId} ${emojis.join("")}`);
  }
  override async availableReactions() {
    return new Set(["👍", "❤️"]);
  }
  override async onChatState(_chat: LegacyContact, state: ChatState) {
    calls.push(`state ${state}`);
  }
}

class BareSession extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  static override MARK_ALL_MESSAGES = true;
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

class BareGateway extends TestGateway {
  static override MARK_ALL_MESSAGES = false;
  override readonly Session = BareSession;
}

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  async function start(Gateway: typeof TestGateway = TestGateway) {
    ({ gateway, transport } = await startTestGateway(Gateway, store, { domain: GW }));
  }
  beforeEach(async () => {
    calls.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const send = (inner: string, id: string, to = `alice@${GW}`) =>
    transport.inject(`<message type="chat" id="${id}" from="${USER}/pc" to="${to}">${inner}</message>`);

  function expectError(id: string, condition: string, text: string) {
    const reply = transport.nextSent();
    expect(reply.attrs).toMatchObject({ type: "error", id, to: `${USER}/pc` });
    expect(canonicalXml(reply.getChild("error")!)).toBe(
      canonicalXml(`<error type="${condition === "feature-not-implemented" ? "cancel" : reply.getChild("error")!.attrs.type}">
        <${condition} xmlns="${STANZAS}"/><text xmlns="${STANZAS}" xml:lang="en">${text}</text></error>`),
    );
  }

  describe("a session class that implements no chat hook", () => {
    it("answers every kind of message with feature-not-implemented and its reason", async () => {
      await start(BareGateway);
      const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      await contact.sendText("hello", { id: "L1" });
      const shown = transport.nextSent();
      await send(`<body>hi</body>`, "m1");
      expectError(
        "m1",
        "feature-not-implemented",
        "This gateway cannot send messages to this contact on this network.",
      );
      await send(`<composing xmlns="http://jabber.org/protocol/chatstates"/>`, "m2");
      expectError(
        "m2",
        "feature-not-implemented",
        "This gateway cannot send typing notifications on this network.",
      );
      await send(
        `<reactions xmlns="urn:xmpp:reactions:0" id="${shown.attrs.id}"><reaction>👍</reaction></reactions>`,
        "m3",
      );
      expectError("m3", "feature-not-implemented", "This gateway cannot send reactions on this network.");
      await send(`<retract xmlns="urn:xmpp:message-retract:1" id="${shown.attrs.id}"/>`, "m4");
      expectError("m4", "feature-not-implemented", "This gateway cannot retract messages on this network.");
      await send(`<displayed xmlns="urn:xmpp:chat-markers:0" id="${shown.attrs.id}"/>`, "m5");
      expectError("m5", "feature-not-implemented", "This gateway cannot send read markers on this network.");
      transport.expectNothingSent();
    });
  });

  describe("a session class that implements some chat hooks", () => {
    it("acks a sent message itself when the network has no receipts (PROPER_RECEIPTS false)", async () => {
      await start();
      await send(`<body>hi</body><request xmlns="urn:xmpp:receipts"/>`, "m1");
      transport.expectSent(`<message from="alice@${GW}/gangway" to="${USER}" type="chat" id="gw1">
        <received xmlns="urn:xmpp:receipts" id="m1"/><received xmlns="urn:xmpp:chat-markers:0" id="m1"/>
        <store xmlns="urn:xmpp:hints"/></message>`);
      expect(calls).toEqual(["message hi"]);
      // Without a receipt request or markable, nothing is acked.
      await send(`<body>again</body>`, "m2");
      transport.expectNothingSent();
    });

    it("passes the legacy id of the replied message, and a chat state riding along", async () => {
      await start();
      await send(`<body>first</body>`, "m1");
      await send(
        `<body>&gt; first\nsecond</body><reply xmlns="urn:xmpp:reply:0" id="m1"/>
         <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="8"/></fallback>
         <active xmlns="http://jabber.org/protocol/chatstates"/>`,
        "m2",
      );
      expect(calls).toEqual(["message first", "message second reply-to L-m1", "state active"]);
    });

    it("refuses reactions the network does not have, with the ones it has", async () => {
      await start();
      const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      await contact.sendText("hello", { id: "L1" });
      const shown = transport.nextSent();
      await send(
        `<reactions xmlns="urn:xmpp:reactions:0" id="${shown.attrs.id}"><reaction>🦄</reaction></reactions>`,
        "r1",
      );
      const error = transport.nextSent().getChild("error")!;
      expect(error.getChild("not-acceptable", STANZAS)).toBeDefined();
      expect(error.getChildText("text", STANZAS)).toBe(
        "This network does not have the reaction 🦄. Available: 👍 ❤️",
      );
      await send(
        `<reactions xmlns="urn:xmpp:reactions:0" id="${shown.attrs.id}"><reaction>👍</reaction></reactions>`,
        "r2",
      );
      expect(calls).toEqual(["react L1 👍"]);
    });

    it("advertises the reaction restrictions in disco (XEP-0444)", async () => {
      await start();
      await transport.inject(
        `<iq type="get" id="i1" from="${USER}/pc" to="alice@${GW}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
      );
      const form = transport.nextSent().getChild("query")!.getChild("x", "jabber:x:data")!;
      expect(canonicalXml(form)).toBe(
        canonicalXml(`<x xmlns="jabber:x:data" type="result">
          <field var="FORM_TYPE" type="hidden"><value>urn:xmpp:reactions:0:restrictions</value></field>
          <field var="allowlist" type="text-multi"><value>👍</value><value>❤️</value></field></x>`),
      );
    });

    it("MARK_ALL_MESSAGES: one read marker marks every message up to it, once", async () => {
      await start();
      const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      for (const id of ["L1", "L2", "L3"]) await contact.sendText(id, { id });
      const [, second] = [transport.nextSent(), transport.nextSent(), transport.nextSent()];
      await send(`<displayed xmlns="urn:xmpp:chat-markers:0" id="${second!.attrs.id}"/>`, "d1");
      expect(calls).toEqual(["displayed L1", "displayed L2"]);
      await send(`<displayed xmlns="urn:xmpp:chat-markers:0" id="${second!.attrs.id}"/>`, "d2");
      expect(calls).toEqual(["displayed L1", "displayed L2", "displayed L2"]);
    });
  });

  describe("carbons: what the user did from the network's own app", () => {
    it("are privileged messages from the user when the server grants it (both namespaces)", async () => {
      await start();
      for (const ns of ["urn:xmpp:privilege:2", "urn:xmpp:privilege:1"]) {
        await transport.inject(
          `<message from="localhost" to="${GW}"><privilege xmlns="${ns}"><perm access="message" type="outgoing"/></privilege></message>`,
        );
        const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
        await contact.sendText("sent from my phone", { id: `C-${ns}`, carbon: true });
        const out = transport.nextSent();
        expect(canonicalXml(out)).toBe(
          canonicalXml(`<message from="${GW}" to="localhost"><privilege xmlns="${ns}">
            <forwarded xmlns="urn:xmpp:forward:0"><message xmlns="jabber:client" from="${USER}" to="alice@${GW}" type="chat" id="${out.getChild("privilege")!.getChild("forwarded")!.getChild("message")!.attrs.id}">
              <body>sent from my phone</body><origin-id xmlns="urn:xmpp:sid:0" id="${out.getChild("privilege")!.getChild("forwarded")!.getChild("message")!.attrs.id}"/>
            </message></forwarded></privilege></message>`),
        );
      }
    });

    it("fall back to a message from the contact, marked as the user's, without the privilege", async () => {
      await start();
      const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      await contact.sendText("sent from my phone", { id: "C1", carbon: true });
      const out = transport.nextSent();
      expect(out.attrs).toMatchObject({ from: `alice@${GW}/gangway`, to: USER });
      expect(out.getChildText("body")).toBe("You: sent from my phone");
      // A read marker cannot be shown honestly from the contact: it is dropped.
      await contact.displayed("C1", { carbon: true });
      transport.expectNothingSent();
    });
  });
});
