import type { Element } from "@gangway/core";
import { drain } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { MessengerGateway } from "./gateway.js";
import { ALICE_JID, ROMEO, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const HINTS = "urn:xmpp:hints";
const MARKERS = "urn:xmpp:chat-markers:0";

/**
 * A 1:1 chat with alice.fb on the fake cloud, as exact stanzas: she reads the message, answers
 * "seen: X" as a reply, and mirrors corrections, retractions, reactions and typing.
 */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MessengerGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  async function userSends(inner: string, id: string, to = ALICE_JID): Promise<void> {
    await transport.inject(
      `<message type="chat" id="${id}" from="${ROMEO}/phone" to="${to}">${inner}</message>`,
    );
  }

  /** `actual` must be `expected`, where `{id}` stands for the id the gateway chose. */
  function expectStanza(actual: Element, expected: string): Element {
    expect(canonicalXml(actual)).toBe(canonicalXml(expected.replaceAll("{id}", String(actual.attrs.id))));
    return actual;
  }

  /** The next stanza must be `expected`. */
  const expectNext = (expected: string) => expectStanza(transport.nextSent(), expected);

  /** Waits for the stanza that has a child `name` (consuming it), which must be `expected`. */
  async function expectArriving(name: string, expected: string): Promise<Element> {
    return expectStanza(await transport.waitForSent((s) => s.getChild(name) !== undefined), expected);
  }

  /** alice.fb's side of "X": the read marker, then "seen: X" as a reply. Returns her message's XMPP id. */
  async function expectAnswerTo(userId: string, text: string): Promise<string> {
    const answer = await transport.waitForSent((s) => s.getChildText("body") === `seen: ${text}`);
    expectNext(`<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <received xmlns="urn:xmpp:receipts" id="${userId}"/><received xmlns="${MARKERS}" id="${userId}"/>
      <store xmlns="${HINTS}"/></message>`);
    expectNext(`<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <displayed xmlns="${MARKERS}" id="${userId}"/><store xmlns="${HINTS}"/></message>`);
    expectStanza(
      answer,
      `<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <body>seen: ${text}</body><reply xmlns="urn:xmpp:reply:0" to="${ROMEO}" id="${userId}"/>
      <markable xmlns="${MARKERS}"/><origin-id xmlns="urn:xmpp:sid:0" id="{id}"/></message>`,
    );
    return String(answer.attrs.id);
  }

  it("alice.fb reads a message and answers 'seen: X' as a reply to it", async () => {
    await userSends(`<body>hi</body><markable xmlns="${MARKERS}"/>`, "m1");
    await expectAnswerTo("m1", "hi");
    transport.expectNothingSent();
  });

  it("a correction of the user's message corrects alice.fb's answer", async () => {
    await userSends(`<body>hi</body><markable xmlns="${MARKERS}"/>`, "m1");
    const answerId = await expectAnswerTo("m1", "hi");
    await userSends(`<body>hello</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/>`, "m2");
    await expectArriving(
      "replace",
      `<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <body>seen: hello</body><replace xmlns="urn:xmpp:message-correct:0" id="${answerId}"/></message>`,
    );
    transport.expectNothingSent();
  });

  it("a retraction of the user's message unsends alice.fb's answer", async () => {
    await userSends(`<body>hi</body><markable xmlns="${MARKERS}"/>`, "m1");
    const answerId = await expectAnswerTo("m1", "hi");
    await userSends(`<retract xmlns="urn:xmpp:message-retract:1" id="m1"/>`, "r1");
    const retraction = await transport.waitForSent(
      (s) => s.getChild("retract", "urn:xmpp:message-retract:1") !== undefined,
    );
    expect(retraction.attrs.from).toBe(`${ALICE_JID}/gangway`);
    expect(retraction.getChild("retract", "urn:xmpp:message-retract:1")!.attrs.id).toBe(answerId);
    drain(transport);
  });

  it("a reaction to alice.fb's answer comes back on the user's message; the last emoji is the one kept", async () => {
    await userSends(`<body>hi</body><markable xmlns="${MARKERS}"/>`, "m1");
    const answerId = await expectAnswerTo("m1", "hi");
    await userSends(
      `<reactions xmlns="urn:xmpp:reactions:0" id="${answerId}"><reaction>😮</reaction><reaction>👍</reaction></reactions>`,
      "x1",
    );
    await expectArriving(
      "reactions",
      `<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions><store xmlns="${HINTS}"/></message>`,
    );
    transport.expectNothingSent();
  });

  it("an edit the user made in the official app shows as their own correction", async () => {
    await userSends(`<body>hi</body><markable xmlns="${MARKERS}"/>`, "m1");
    await expectAnswerTo("m1", "hi");
    const session = gateway.sessionFor(ROMEO)!;
    const alice = await session.contacts.byLegacyId("alice.fb");
    const legacyId = (await alice.legacyIdOf("m1"))!;
    session.client.emit("messageEdit", {
      threadId: "alice.fb",
      messageId: legacyId,
      senderId: "romeo@example.org",
      newText: "hi (edited on the phone)",
    });
    // Without the XEP-0356 privilege, the carbon fallback: the puppet tells what the user did.
    const shown = await transport.waitForSent((s) => s.is("message"));
    expectStanza(
      shown,
      `<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <replace xmlns="urn:xmpp:message-correct:0" id="m1"/><body>You: hi (edited on the phone)</body></message>`,
    );
  });

  it("typing comes back from alice.fb as chat states", async () => {
    await userSends(`<composing xmlns="http://jabber.org/protocol/chatstates"/>`, "s1");
    await expectArriving(
      "composing",
      `<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <composing xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="${HINTS}"/></message>`,
    );
    await userSends(`<paused xmlns="http://jabber.org/protocol/chatstates"/>`, "s2");
    await expectArriving(
      "paused",
      `<message from="${ALICE_JID}/gangway" to="${ROMEO}" type="chat" id="{id}">
      <paused xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="${HINTS}"/></message>`,
    );
    transport.expectNothingSent();
  });

  it("a read marker for alice.fb's answer marks the thread read, silently", async () => {
    await userSends(`<body>hi</body><markable xmlns="${MARKERS}"/>`, "m1");
    const answerId = await expectAnswerTo("m1", "hi");
    const client = gateway.sessionFor(ROMEO)!.client;
    const read: [string, string][] = [];
    const markAsRead = client.markAsRead.bind(client);
    client.markAsRead = async (threadId, upTo) => {
      read.push([threadId, upTo]);
      return markAsRead(threadId, upTo);
    };
    await userSends(`<displayed xmlns="${MARKERS}" id="${answerId}"/>`, "d1");
    const alice = await gateway.sessionFor(ROMEO)!.contacts.byLegacyId("alice.fb");
    const answerLegacyId = await alice.legacyIdOf(answerId);
    expect(answerLegacyId).toMatch(/^mid\./);
    expect(read).toEqual([["alice.fb", answerLegacyId]]);
    transport.expectNothingSent();
  });
});
