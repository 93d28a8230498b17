import { registerUser, sayToGateway } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { MessengerGateway } from "./gateway.js";
import { GW, ROMEO, startTestGateway, startWithRomeoLoggedIn } from "./test-support/gateway.js";

/** The gateway's identity, the friends in the roster with their presence, and search over friends. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MessengerGateway;

  beforeEach(async () => {
    store = await driver.openStore();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  it("is a Facebook gateway in service discovery", async () => {
    ({ gateway, transport } = await startTestGateway(store));
    await transport.inject(
      `<iq type="get" id="d1" from="${ROMEO}/phone" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
    );
    const identity = transport.sent
      .find((s) => s.attrs.id === "d1")!
      .getChild("query")!
      .getChild("identity")!;
    expect(identity.attrs).toEqual({
      category: "gateway",
      type: "facebook",
      name: "Facebook Messenger (Gangway)",
    });
  });

  it("offers both friends with their names; alice.fb (active) is online, bob.fb (inactive) is not", async () => {
    await registerUser(store, { jid: ROMEO, registration: { email: "romeo@example.org", password: "pw" } });
    ({ gateway, transport } = await startTestGateway(store));
    const offers = transport.sent
      .filter((s) => s.is("presence") && s.attrs.type === "subscribe" && s.attrs.from !== GW)
      .map((s) => canonicalXml(s));
    expect(offers).toEqual(
      [
        ["alice.fb", "Alice Facebook"],
        ["bob.fb", "Bob Facebook"],
      ].map(([id, name]) =>
        canonicalXml(
          `<presence from="${id}@${GW}" to="${ROMEO}" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">${name}</nick></presence>`,
        ),
      ),
    );
    const available = transport.sent
      .filter((s) => s.is("presence") && s.attrs.type === undefined && s.attrs.from !== GW)
      .map((s) => s.attrs.from);
    expect(available).toEqual([`alice.fb@${GW}/gangway`]);
    const session = gateway.sessionFor(ROMEO)!;
    expect((await session.contacts.byLegacyId("bob.fb")).name).toBe("Bob Facebook");
  });

  it("follows presence events: bob.fb becomes active", async () => {
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
    const client = gateway.sessionFor(ROMEO)!.client;
    client.emit("presence", { userId: "bob.fb", active: true });
    const presence = await transport.waitForSent(
      (s) => s.is("presence") && s.attrs.from === `bob.fb@${GW}/gangway`,
    );
    expect(presence.attrs.type).toBeUndefined();
    expect(presence.getChild("show")).toBeUndefined();
    client.emit("presence", { userId: "bob.fb", active: false, lastActiveMs: Date.UTC(2026, 0, 2, 3, 4, 5) });
    const gone = await transport.waitForSent(
      (s) => s.is("presence") && s.attrs.from === `bob.fb@${GW}/gangway`,
    );
    expect(gone.attrs.type).toBe("unavailable");
    expect(gone.getChildText("status")).toBe("Last active 2026-01-02T03:04:05.000Z");
  });

  it("finds Alice by her first name, by chat and over XEP-0055", async () => {
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
    expect(await sayToGateway(transport, ROMEO, "find alice")).toEqual([
      `1 contact found.\nJID: alice.fb@${GW}, Name: Alice Facebook`,
    ]);
    await transport.inject(`<iq type="set" id="s1" from="${ROMEO}/phone" to="${GW}">
      <query xmlns="jabber:iq:search"><x xmlns="jabber:x:data" type="submit">
        <field var="FORM_TYPE" type="hidden"><value>jabber:iq:search</value></field>
        <field var="query"><value>Bob</value></field></x></query></iq>`);
    const result = transport.sent.find((s) => s.attrs.id === "s1")!.getChild("query", "jabber:iq:search")!;
    const rows = result
      .getChild("x", "jabber:x:data")!
      .getChildren("item")
      .map((item) => item.getChildren("field").map((f) => f.getChildText("value")));
    expect(rows).toEqual([[`bob.fb@${GW}`, "Bob Facebook"]]);
  });

  it("a message the user wrote in the official app shows as theirs (without privileges: the carbon fallback)", async () => {
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
    gateway.sessionFor(ROMEO)!.client.emit("message", {
      threadId: "alice.fb",
      messageId: "mid.phone.1",
      senderId: "romeo@example.org",
      text: "from my phone",
      timestampMs: Date.now(),
      mentions: [],
      fromMe: true,
      attachments: [],
    });
    const carbon = await transport.waitForSent((s) => s.is("message"));
    expect(carbon.attrs.from).toBe(`alice.fb@${GW}/gangway`);
    expect(carbon.getChildText("body")).toBe("You: from my phone");
  });

  it("XEP-0077 alone cannot carry the checkpoint step: it points to the command and the chat bot", async () => {
    ({ gateway, transport } = await startTestGateway(store));
    await transport.inject(
      `<iq type="get" id="r1" from="${ROMEO}/phone" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`,
    );
    const reply = transport.sent.find((s) => s.attrs.id === "r1")!;
    expect(reply.getChild("query")!.getChildText("instructions")).toBe(
      `Registering with this gateway takes more than one form. Use its "Register" command, or send "register" to ${GW}.`,
    );
    expect(await sayToGateway(transport, ROMEO, "register")).toEqual([
      "Registration to 'Facebook Messenger (Gangway)'\nEnter the email (or phone number) and password of your Facebook account, or leave them empty and paste a cookie export (app state) of a browser logged in to Facebook. Chats with end-to-end encryption are not visible through this gateway.",
      "Email or phone? (or 'abort')",
    ]);
  });

  it("a friend that does not exist is item-not-found, without echoing the id", async () => {
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
    await transport.inject(
      `<message type="chat" id="m1" from="${ROMEO}/phone" to="carol.fb@${GW}"><body>hi</body></message>`,
    );
    const error = transport.sent.find((s) => s.attrs.id === "m1" && s.attrs.type === "error")!;
    expect(
      error.getChild("error")!.getChild("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas"),
    ).toBeDefined();
    expect(error.getChild("error")!.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe(
      "There is no Messenger friend with this id.",
    );
  });
});
