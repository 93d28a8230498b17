import type { Element } from "@gangway/core";
import { drain } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { MessengerGateway } from "./gateway.js";
import { GW, ROMEO, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const FAMILY = `family@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";

/** The group thread Family as a room: its members, alice.fb's answers and mirrors in it. */
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

  async function join(): Promise<Element[]> {
    await transport.inject(
      `<presence id="j1" from="${ROMEO}/pc" to="${FAMILY}/romeo"><x xmlns="${MUC}"/></presence>`,
    );
    return drain(transport);
  }

  /** Says `inner` in Family; resolves with what the room sent until a stanza matching `until` came. */
  async function say(inner: string, id: string, until: (s: Element) => boolean): Promise<Element> {
    await transport.inject(
      `<message type="groupchat" id="${id}" from="${ROMEO}/pc" to="${FAMILY}">${inner}</message>`,
    );
    return transport.waitForSent(until);
  }

  it("is listed with its name, and joined with Alice and Bob in it", async () => {
    await transport.inject(
      `<iq type="get" id="d1" from="${ROMEO}/pc" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
    );
    const items = transport.sent
      .find((s) => s.attrs.id === "d1")!
      .getChild("query")!
      .getChildren("item");
    expect(items.map((i) => i.attrs)).toEqual([{ jid: FAMILY, name: "Family" }]);
    const sent = await join();
    const occupants = sent.filter((s) => s.is("presence")).map((s) => s.attrs.from);
    expect(occupants).toEqual([`${FAMILY}/Alice Facebook`, `${FAMILY}/Bob Facebook`, `${FAMILY}/romeo`]);
    const alice = sent.find((s) => s.attrs.from === `${FAMILY}/Alice Facebook`)!;
    expect(alice.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBe(`alice.fb@${GW}`);
  });

  it("alice.fb answers 'seen: X' in the room as a reply, and follows a correction", async () => {
    await join();
    const answer = await say("<body>hi all</body>", "m1", (s) => s.getChildText("body") === "seen: hi all");
    expect(answer.attrs).toMatchObject({
      from: `${FAMILY}/Alice Facebook`,
      type: "groupchat",
      to: `${ROMEO}/pc`,
    });
    expect(answer.getChild("reply", "urn:xmpp:reply:0")!.attrs.id).toBe("m1");
    const correction = await say(
      `<body>hello all</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/>`,
      "m2",
      (s) => s.getChildText("body") === "seen: hello all",
    );
    expect(correction.attrs.from).toBe(`${FAMILY}/Alice Facebook`);
    expect(correction.getChild("replace", "urn:xmpp:message-correct:0")!.attrs.id).toBe(answer.attrs.id);
  });

  it("a reaction to alice.fb's answer comes back from her on the user's message; typing too", async () => {
    await join();
    const answer = await say("<body>hi all</body>", "m1", (s) => s.getChildText("body") === "seen: hi all");
    drain(transport);
    const reaction = await say(
      `<reactions xmlns="urn:xmpp:reactions:0" id="${answer.attrs.id}"><reaction>❤️</reaction></reactions>`,
      "x1",
      (s) =>
        s.attrs.from === `${FAMILY}/Alice Facebook` &&
        s.getChild("reactions", "urn:xmpp:reactions:0") !== undefined,
    );
    // On the user's message m1, as alice.fb reacted on Messenger.
    expect(reaction.getChild("reactions", "urn:xmpp:reactions:0")!.toString()).toBe(
      `<reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>❤️</reaction></reactions>`,
    );
    const typing = await say(
      `<composing xmlns="http://jabber.org/protocol/chatstates"/>`,
      "s1",
      (s) => s.attrs.from === `${FAMILY}/Alice Facebook` && s.getChild("composing") !== undefined,
    );
    expect(typing.attrs.type).toBe("groupchat");
  });

  it("mentions of members and of the user in alice.fb's messages are XEP-0372 references", async () => {
    await join();
    const text = "Bob Facebook and romeo, dinner?";
    gateway.sessionFor(ROMEO)!.client.emit("message", {
      threadId: "family",
      messageId: "mid.mention.1",
      senderId: "alice.fb",
      text,
      timestampMs: Date.now(),
      mentions: [
        { id: "bob.fb", offset: 0, length: 12 },
        { id: "romeo@example.org", offset: 17, length: 5 },
        { id: "carol.fb", offset: 0, length: 3 }, // no member of the room: not a mention
      ],
      fromMe: false,
      attachments: [],
    });
    const message = await transport.waitForSent((s) => s.getChildText("body") === text);
    const references = message.getChildren("reference", "urn:xmpp:reference:0").map((r) => r.attrs);
    expect(references).toEqual([
      {
        xmlns: "urn:xmpp:reference:0",
        type: "mention",
        uri: `xmpp:${FAMILY}/Bob%20Facebook`,
        begin: "0",
        end: "12",
      },
      { xmlns: "urn:xmpp:reference:0", type: "mention", uri: `xmpp:${FAMILY}/romeo`, begin: "17", end: "22" },
    ]);
  });
});
