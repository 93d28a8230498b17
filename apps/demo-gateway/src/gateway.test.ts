import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, startTestGateway } from "./test-support/gateway.js";

const USER = "romeo@localhost";

const REGISTER_SET = (password: string) => `
  <iq type="set" id="reg1" from="${USER}/phone" to="${GW}">
    <query xmlns="jabber:iq:register">
      <x xmlns="jabber:x:data" type="submit">
        <field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
        <field var="username"><value>romeo</value></field>
        <field var="password"><value>${password}</value></field>
      </x>
    </query>
  </iq>`;

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  async function startGateway(args: string[] = []) {
    ({ gateway, transport } = await startTestGateway(store, args));
  }

  beforeEach(async () => {
    store = await driver.openStore();
    await startGateway();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  /** Registers romeo and consumes everything the login sends (no privileges: subscription requests). */
  async function register() {
    await transport.inject(REGISTER_SET("S3cr3t-Xy7q"));
    transport.expectSent(`<iq type="result" id="reg1" from="${GW}" to="${USER}/phone"/>`);
    await transport.waitForSent((s) => s.is("presence") && s.getChildText("status") === "Logged in as romeo");
  }

  it("answers disco#info with the gateway identity and what it supports", async () => {
    await transport.inject(
      `<iq type="get" id="d1" from="${USER}/phone" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
    );
    transport.expectSent(`
      <iq type="result" id="d1" from="${GW}" to="${USER}/phone">
        <query xmlns="http://jabber.org/protocol/disco#info">
          <identity category="gateway" type="demo" name="Demo (Gangway)"/>
          <feature var="http://jabber.org/protocol/disco#info"/>
          <feature var="http://jabber.org/protocol/disco#items"/>
          <feature var="urn:xmpp:ping"/>
          <feature var="jabber:iq:register"/>
          <feature var="http://jabber.org/protocol/commands"/>
          <feature var="jabber:iq:search"/>
          <feature var="jabber:iq:gateway"/>
        </query>
      </iq>`);
    transport.expectNothingSent();
  });

  it("serves the XEP-0077 form with FORM_TYPE and the registration fields", async () => {
    await transport.inject(
      `<iq type="get" id="r1" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`,
    );
    transport.expectSent(`
      <iq type="result" id="r1" from="${GW}" to="${USER}/phone">
        <query xmlns="jabber:iq:register">
          <instructions>Any username works. Any password logs in, except 'wrong'.</instructions>
          <username/>
          <password/>
          <x xmlns="jabber:x:data" type="form">
            <title>Registration to 'Demo (Gangway)'</title>
            <instructions>Any username works. Any password logs in, except 'wrong'.</instructions>
            <field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
            <field var="username" type="text-single" label="Username"><required/></field>
            <field var="password" type="text-private" label="Password"><required/></field>
          </x>
        </query>
      </iq>`);
    transport.expectNothingSent();
  });

  it("refuses the password 'wrong' with not-authorized and stores nothing", async () => {
    await transport.inject(REGISTER_SET("wrong"));
    transport.expectSent(`
      <iq type="error" id="reg1" from="${GW}" to="${USER}/phone">
        <error type="auth">
          <not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
          <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">Wrong password</text>
        </error>
      </iq>`);
    transport.expectNothingSent();
    expect(await store.users.get(USER)).toBeUndefined();
  });

  it("answers a missing required field with not-acceptable naming it", async () => {
    await transport.inject(
      `<iq type="set" id="reg2" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register"><username>romeo</username></query></iq>`,
    );
    const reply = transport.nextSent();
    expect(reply.attrs.type).toBe("error");
    const error = reply.getChild("error");
    expect(error?.getChild("not-acceptable", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(/Password/);
    expect(await store.users.get(USER)).toBeUndefined();
  });

  it("refuses JIDs outside the allowed domain with not-allowed", async () => {
    await transport.inject(
      `<iq type="get" id="r9" from="mallory@evil.example/x" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`,
    );
    const error = transport.nextSent().getChild("error");
    expect(error?.attrs.type).toBe("cancel");
    expect(error?.getChild("not-allowed", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe(
      "Your account is not allowed to use this gateway.",
    );
  });

  it("registers, welcomes, logs in and offers the three contacts", async () => {
    await transport.inject(REGISTER_SET("S3cr3t-Xy7q"));
    transport.expectSent(`<iq type="result" id="reg1" from="${GW}" to="${USER}/phone"/>`);
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    transport.expectSent(`<presence from="${GW}" to="${USER}" type="subscribe"/>`);
    transport.expectSent(`
      <message from="${GW}" to="${USER}" type="chat" id="gw1">
        <body>Welcome to the Gangway demo! Say hi to echo, it repeats everything.</body>
      </message>`);
    transport.expectSent(
      `<presence from="${GW}" to="${USER}"><show>dnd</show><status>Logging in…</status></presence>`,
    );
    transport.expectSent(
      `<presence from="echo@${GW}" to="${USER}" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">Echo Bot</nick></presence>`,
    );
    transport.expectSent(
      `<presence from="alice@${GW}" to="${USER}" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">Alice Demo</nick></presence>`,
    );
    transport.expectSent(
      `<presence from="bob@${GW}" to="${USER}" type="subscribe"><nick xmlns="http://jabber.org/protocol/nick">Bob Demo</nick></presence>`,
    );
    // Every puppet presence carries its XEP-0115 capabilities (the demo contacts share one set)
    // and its XEP-0153 picture hash (empty: echo has none).
    const session = gateway.sessionFor(USER)!;
    const caps = (await session.contacts.byLegacyId("echo")).capabilities!.caps().toString();
    const alice = await session.contacts.byLegacyId("alice");
    const bob = await session.contacts.byLegacyId("bob");
    transport.expectSent(
      `<presence from="echo@${GW}/gangway" to="${USER}"><status>I repeat everything</status>${caps}
        <x xmlns="vcard-temp:x:update"><photo/></x></presence>`,
    );
    transport.expectSent(
      `<presence from="alice@${GW}/gangway" to="${USER}"><show>away</show>${caps}
        <x xmlns="vcard-temp:x:update"><photo>${alice.avatar!.id}</photo></x></presence>`,
    );
    // The group lobby: without the XEP-0356 pubsub privilege, an XEP-0249 invitation (once).
    transport.expectSent(`
      <message from="${GW}" to="${USER}" id="gw2">
        <body>You are in the group Lobby (lobby@${GW}): join it at xmpp:lobby@${GW}?join</body>
        <x xmlns="jabber:x:conference" jid="lobby@${GW}" reason="Your group on Demo (Gangway)"/>
      </message>`);
    // XEP-0084: the pictures announced as PEP events from the puppets' bare JIDs.
    for (const contact of [alice, bob]) {
      const event = transport.nextSent();
      expect(canonicalXml(event)).toBe(
        canonicalXml(`<message from="${contact.jid}" to="${USER}" type="headline" id="${event.attrs.id}">
          <event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:avatar:metadata">
            <item id="${contact.avatar!.id}"><metadata xmlns="urn:xmpp:avatar:metadata">
              <info bytes="${contact.avatar!.data.byteLength}" height="32" id="${contact.avatar!.id}" type="image/png" width="32"/>
            </metadata></item></items></event></message>`),
      );
    }
    transport.expectNothingSent(); // "Logged in as romeo" was consumed by waitForSent above
    const user = await store.users.get(USER);
    expect(user?.registration).toEqual({ username: "romeo", password: "S3cr3t-Xy7q" });
    expect((await store.contacts.listForUser(user!.id)).map((c) => c.legacyId).sort()).toEqual([
      "alice",
      "bob",
      "echo",
    ]);
  });

  it("tells the admins when someone registers", async () => {
    await gateway.stop();
    await startGateway(["--admins", "root@localhost"]);
    await register();
    const notice = transport.sent.find((s) => s.attrs.to === "root@localhost");
    expect(notice?.toString()).toBe(
      `<message from="${GW}" to="root@localhost" type="chat" id="gw1"><body>${USER} has registered</body></message>`,
    );
  });

  it("relays text both ways: hi → echo: hi, and maps the ids", async () => {
    await register();
    while (transport.uncheckedCount > 0) transport.nextSent();
    await transport.inject(
      `<message type="chat" id="m1" from="${USER}/phone" to="echo@${GW}"><body>hi</body></message>`,
    );
    const reply = await transport.waitForSent(
      (s) => s.is("message") && s.getChildText("body") === "echo: hi",
    );
    expect(reply.attrs.from).toBe(`echo@${GW}/gangway`);
    expect(reply.attrs.to).toBe(USER);
    expect(reply.attrs.type).toBe("chat");
    const user = (await store.users.get(USER))!;
    expect(await store.messageIds.legacyId(user.id, "echo", "m1")).toMatch(/^demo-romeo-/);
    const echoLegacyId = await store.messageIds.legacyId(user.id, "echo", reply.attrs.id!);
    expect(echoLegacyId).toMatch(/^demo-romeo-/);
    expect(await store.messageIds.xmppIds(user.id, "echo", echoLegacyId!)).toEqual([reply.attrs.id]);
  });

  it("bounces a message from an unregistered JID with registration-required", async () => {
    await transport.inject(
      `<message type="chat" id="x1" from="juliet@localhost/r" to="echo@${GW}"><body>hi</body></message>`,
    );
    transport.expectSent(`
      <message type="error" id="x1" from="echo@${GW}" to="juliet@localhost/r">
        <error type="auth">
          <registration-required xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
          <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">You are not registered to this gateway.</text>
        </error>
      </message>`);
    transport.expectNothingSent();
  });

  it("answers a message to an unknown contact with item-not-found", async () => {
    await register();
    while (transport.uncheckedCount > 0) transport.nextSent();
    await transport.inject(
      `<message type="chat" id="u1" from="${USER}/phone" to="mallory@${GW}"><body>hi</body></message>`,
    );
    const error = transport.nextSent().getChild("error");
    expect(error?.getChild("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    transport.expectNothingSent();
  });

  it("logs stored users in again after a restart, re-offering only contacts not yet accepted", async () => {
    await register();
    await transport.inject(`<presence type="subscribed" from="${USER}" to="echo@${GW}"/>`);
    await gateway.stop();
    await startGateway();
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    expect(gateway.sessionFor(USER)?.isLoggedIn).toBe(true);
    const offered = transport.sent.filter((s) => s.attrs.type === "subscribe").map((s) => s.attrs.from);
    expect(offered).toEqual([`alice@${GW}`, `bob@${GW}`]);
  });

  it("unregisters through <remove/>: contacts unsubscribe and the rows are gone", async () => {
    await register();
    while (transport.uncheckedCount > 0) transport.nextSent();
    await transport.inject(
      `<iq type="set" id="rm1" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register"><remove/></query></iq>`,
    );
    const sent = transport.sent;
    for (const contact of ["echo", "alice", "bob"]) {
      for (const type of ["unsubscribe", "unsubscribed"]) {
        expect(sent.some((s) => s.attrs.from === `${contact}@${GW}` && s.attrs.type === type)).toBe(true);
      }
    }
    expect(sent.at(-1)?.toString()).toBe(`<iq from="${GW}" to="${USER}/phone" id="rm1" type="result"/>`);
    expect(await store.users.get(USER)).toBeUndefined();
    expect(gateway.sessionFor(USER)).toBeUndefined();
  });
});
