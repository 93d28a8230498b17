import type { Element } from "@gangway/core";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, startTestGateway } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const ECHO = `echo@${GW}`;
const HINTS = "urn:xmpp:hints";

/**
 * Every echo behaviour as exact stanzas: what the user's client sends in, exactly what the
 * gateway writes out, nothing else. Ids the gateway makes up are read from its output.
 */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  async function start() {
    ({ gateway, transport } = await startTestGateway(store));
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    while (transport.uncheckedCount > 0) transport.nextSent();
  }
  beforeEach(async () => {
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
    await start();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  /** Sends `inner` from the user's phone to `to` and waits until the gateway went quiet. */
  async function userSends(inner: string, id: string, to = ECHO): Promise<void> {
    await transport.inject(
      `<message type="chat" id="${id}" from="${USER}/phone" to="${to}">${inner}</message>`,
    );
    // The demo network answers on the next turn of the event loop, as a remote peer would.
    await new Promise((resolve) => setTimeout(resolve, 30));
  }

  /** The next stanza must be `expected`, where `{id}` stands for the id the gateway chose. */
  function expectNext(expected: string): Element {
    const actual = transport.nextSent();
    expect(canonicalXml(actual)).toBe(canonicalXml(expected.replaceAll("{id}", String(actual.attrs.id))));
    return actual;
  }

  /** echo's side of "hi": receipt, read marker, then "echo: hi". Returns echo's message id. */
  function expectEchoOf(userId: string, text: string, reply = ""): string {
    expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <received xmlns="urn:xmpp:receipts" id="${userId}"/><received xmlns="urn:xmpp:chat-markers:0" id="${userId}"/>
      <store xmlns="${HINTS}"/></message>`);
    expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <displayed xmlns="urn:xmpp:chat-markers:0" id="${userId}"/><store xmlns="${HINTS}"/></message>`);
    const echoed = expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <body>echo: ${text}</body>${reply}<markable xmlns="urn:xmpp:chat-markers:0"/>
      <origin-id xmlns="urn:xmpp:sid:0" id="{id}"/></message>`);
    return String(echoed.attrs.id);
  }

  it("text: echo marks the message received and displayed, then answers", async () => {
    await userSends(`<body>hi</body><markable xmlns="urn:xmpp:chat-markers:0"/>`, "m1");
    expectEchoOf("m1", "hi");
    transport.expectNothingSent();
  });

  it("a correction of the user's message corrects echo's answer (XEP-0308)", async () => {
    await userSends(`<body>hi</body>`, "m1");
    const echoId = expectEchoOf("m1", "hi");
    await userSends(`<body>hello</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/>`, "m2");
    expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <body>echo: hello</body><replace xmlns="urn:xmpp:message-correct:0" id="${echoId}"/></message>`);
    transport.expectNothingSent();
  });

  it("a retraction, in either namespace, retracts echo's answer (XEP-0424)", async () => {
    const retracted = `<body>This person attempted to retract a previous message, but it's unsupported by your client.</body>
      <retract xmlns="urn:xmpp:message-retract:1" id="{target}"/>
      <apply-to xmlns="urn:xmpp:fasten:0" id="{target}"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>
      <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/>
      <store xmlns="${HINTS}"/>`;
    await userSends(`<body>one</body>`, "m1");
    const first = expectEchoOf("m1", "one");
    await userSends(`<retract xmlns="urn:xmpp:message-retract:1" id="m1"/>`, "r1");
    const out = transport.nextSent();
    expect(canonicalXml(out)).toBe(
      canonicalXml(
        `<message from="${ECHO}/gangway" to="${USER}" type="chat" id="${out.attrs.id}">${retracted.replaceAll("{target}", first)}</message>`,
      ),
    );
    await userSends(`<body>two</body>`, "m2");
    const second = expectEchoOf("m2", "two");
    await userSends(
      `<apply-to xmlns="urn:xmpp:fasten:0" id="m2"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>`,
      "r2",
    );
    expect(transport.nextSent().getChild("retract", "urn:xmpp:message-retract:1")?.attrs.id).toBe(second);
    transport.expectNothingSent();
  });

  it("a reaction to echo's answer makes echo react the same on the user's message (XEP-0444)", async () => {
    await userSends(`<body>hi</body>`, "m1");
    const echoId = expectEchoOf("m1", "hi");
    await userSends(
      `<reactions xmlns="urn:xmpp:reactions:0" id="${echoId}"><reaction>👍</reaction></reactions>`,
      "x1",
    );
    expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions><store xmlns="${HINTS}"/></message>`);
    transport.expectNothingSent();
  });

  it("a reply to echo's message is answered as a reply to the user's (XEP-0461, fallback stripped)", async () => {
    await userSends(`<body>hi</body>`, "m1");
    const echoId = expectEchoOf("m1", "hi");
    await userSends(
      `<body>&gt; echo: hi\nand you?</body><reply xmlns="urn:xmpp:reply:0" to="${ECHO}" id="${echoId}"/>
       <fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="11"/></fallback>`,
      "m2",
    );
    expectEchoOf("m2", "and you?", `<reply xmlns="urn:xmpp:reply:0" to="${USER}" id="m2"/>`);
    transport.expectNothingSent();
  });

  it("composing and paused come back from echo (XEP-0085)", async () => {
    await userSends(`<composing xmlns="http://jabber.org/protocol/chatstates"/>`, "s1");
    expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <composing xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="${HINTS}"/></message>`);
    await userSends(`<paused xmlns="http://jabber.org/protocol/chatstates"/>`, "s2");
    expectNext(`<message from="${ECHO}/gangway" to="${USER}" type="chat" id="{id}">
      <paused xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="${HINTS}"/></message>`);
    transport.expectNothingSent();
  });

  it("a read marker for echo's message is accepted silently", async () => {
    await userSends(`<body>hi</body>`, "m1");
    const echoId = expectEchoOf("m1", "hi");
    await userSends(`<displayed xmlns="urn:xmpp:chat-markers:0" id="${echoId}"/>`, "d1");
    transport.expectNothingSent();
  });

  it("refers to unknown messages with item-not-found", async () => {
    await userSends(
      `<reactions xmlns="urn:xmpp:reactions:0" id="nope"><reaction>👍</reaction></reactions>`,
      "x1",
    );
    expectNext(`<message from="${ECHO}" to="${USER}/phone" type="error" id="x1"><error type="cancel">
      <item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
      <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">The gateway does not know the message you refer to (it may be older than your registration).</text>
    </error></message>`);
  });

  it("reacts to a message from before a gateway restart (ids are persisted)", async () => {
    await userSends(`<body>hi</body>`, "m1");
    const echoId = expectEchoOf("m1", "hi");
    await gateway.stop();
    await start();
    await userSends(
      `<reactions xmlns="urn:xmpp:reactions:0" id="${echoId}"><reaction>🎉</reaction></reactions>`,
      "x1",
    );
    expect(transport.nextSent().getChild("reactions", "urn:xmpp:reactions:0")?.toString()).toBe(
      `<reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>🎉</reaction></reactions>`,
    );
  });

  it("answers disco#info on a puppet with the features its class implements", async () => {
    await transport.inject(
      `<iq type="get" id="i1" from="${USER}/phone" to="${ECHO}/gangway"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
    );
    const features = transport
      .nextSent()
      .getChild("query")!
      .getChildren("feature")
      .map((f) => f.attrs.var)
      .sort();
    expect(features).toEqual([
      "http://jabber.org/protocol/chatstates",
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/pubsub#retrieve-items",
      "jabber:x:oob",
      "urn:ietf:params:xml:ns:vcard-4.0",
      "urn:xmpp:chat-markers:0",
      "urn:xmpp:idle:1",
      "urn:xmpp:message-correct:0",
      "urn:xmpp:message-retract:0",
      "urn:xmpp:message-retract:1",
      "urn:xmpp:ping",
      "urn:xmpp:reactions:0",
      "urn:xmpp:receipts",
      "urn:xmpp:reply:0",
      "urn:xmpp:sfs:0",
      "urn:xmpp:sid:0",
      "vcard-temp",
    ]);
  });
});
