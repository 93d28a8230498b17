import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ALICE,
  BOB,
  FAMILY,
  MESSENGER,
  type MessengerStack,
  rawRun,
  startWithCarol,
  why,
} from "./messenger-support.js";
import { Cleanups } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * The group thread Family as a MUC room of the real `gangway-messenger --backend fake`, through a
 * real Prosody, from slixmpp: listed in disco, joined with Alice and Bob as occupants (their
 * contact JIDs shown), alice.fb's "seen: X" answer in the room as a reply, her typing and her
 * mirror of a correction and a reaction.
 */

const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const ALICE_NICK = `${FAMILY}/Alice Facebook`;

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;

  beforeAll(async () => {
    stack = await startWithCarol(cleanups, driver);
  }, 150_000);
  afterAll(() => cleanups.run());

  it("Family is listed, joined with Alice and Bob as occupants; alice.fb answers in the room and follows a correction, a reaction and typing", async () => {
    const say = (id: string, inner: string) =>
      `<message type="groupchat" to="${FAMILY}" id="${id}">${inner}</message>`;
    const run = await rawRun(stack.server, "carol", [
      {
        send: `<iq type="get" id="i1" to="${MESSENGER}"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
      },
      { expect: { stanza: "iq", id: "i1", type: "result" }, timeoutMs: 30_000 },
      // Asks for another nick: the gateway names the user after their email's local part.
      { send: `<presence to="${FAMILY}/Caroline"><x xmlns="${MUC}"/></presence>` },
      { expect: { stanza: "presence", from: ALICE_NICK }, timeoutMs: 30_000 },
      { expect: { stanza: "presence", from: `${FAMILY}/Bob Facebook` }, timeoutMs: 30_000 },
      {
        expect: {
          stanza: "presence",
          from: FAMILY,
          has: [
            `{${MUC_USER}}x/{${MUC_USER}}status[@code='110']`,
            `{${MUC_USER}}x/{${MUC_USER}}status[@code='210']`,
          ],
        },
        capture: { self: "@from" },
        timeoutMs: 30_000,
      },
      { send: say("g1", "<body>hi family</body>") },
      {
        expect: { stanza: "message", type: "groupchat", from: ALICE_NICK, body: "^seen: hi family$" },
        capture: { answer: "@id", replyTo: "{urn:xmpp:reply:0}reply@id" },
        timeoutMs: 30_000,
      },
      { send: say("g2", `<body>hello family</body><replace xmlns="urn:xmpp:message-correct:0" id="g1"/>`) },
      {
        expect: { stanza: "message", from: ALICE_NICK, body: "^seen: hello family$" },
        capture: { corrected: "{urn:xmpp:message-correct:0}replace@id" },
        timeoutMs: 30_000,
      },
      {
        send: say(
          "x1",
          `<reactions xmlns="urn:xmpp:reactions:0" id="{last:answer}"><reaction>❤️</reaction></reactions>`,
        ),
      },
      {
        expect: { stanza: "message", from: ALICE_NICK, has: "{urn:xmpp:reactions:0}reactions[@id='g1']" },
        timeoutMs: 30_000,
      },
      { send: say("s1", `<composing xmlns="http://jabber.org/protocol/chatstates"/>`) },
      {
        expect: {
          stanza: "message",
          from: ALICE_NICK,
          has: "{http://jabber.org/protocol/chatstates}composing",
        },
        timeoutMs: 30_000,
      },
    ]);
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const [items, alice, bob] = run.rawMatches.map((m) => parseXml(m.xml));
    expect(
      items!
        .getChild("query")!
        .getChildren("item")
        .map((i) => i.attrs),
    ).toEqual([{ jid: FAMILY, name: "Family" }]);
    expect(alice!.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBe(ALICE);
    expect(bob!.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBe(BOB);
    const { answer, replyTo, corrected, self } = run.captured;
    expect(self).toBe(`${FAMILY}/carol`);
    expect(replyTo).toBe("g1");
    expect(corrected).toBe(answer);
    expect(run.stanzas.filter((s) => s.xml.includes('type="error"'))).toEqual([]);
  }, 180_000);
});
