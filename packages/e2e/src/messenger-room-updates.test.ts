import { createHash } from "node:crypto";
import type { SlixmppRawStep } from "@gangway/testing";
import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BOB, FAMILY, type MessengerStack, rawRun, startWithCarol, why } from "./messenger-support.js";
import { Cleanups } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * Changes to the group thread Family made on Messenger, as the joined user sees them through the
 * real `gangway-messenger --backend fake` and a real Prosody: the fake cloud's members act on a
 * text in Family (`/rename <name>` and `/picture` by bob.fb; `/kick-bob`, `/add-bob`, `/admin-bob`
 * by alice.fb). The room's subject, its avatar (XEP-0153 hash in a presence, the vCard photo),
 * Bob leaving (kicked), coming back and becoming a moderator; and the user renaming it by subject.
 */

const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const VCARD_UPDATE = "vcard-temp:x:update";
const BOB_NICK = `${FAMILY}/Bob Facebook`;
const sha1 = (base64: string) => createHash("sha1").update(Buffer.from(base64, "base64")).digest("hex");

const join: SlixmppRawStep[] = [
  { send: `<presence to="${FAMILY}/carol"><x xmlns="${MUC}"/></presence>` },
  // Bob's presence on joining, consumed here: the one after /add-bob is another.
  { expect: { stanza: "presence", from: BOB_NICK }, timeoutMs: 30_000 },
  {
    expect: {
      stanza: "presence",
      from: `${FAMILY}/carol`,
      has: `{${MUC_USER}}x/{${MUC_USER}}status[@code='110']`,
    },
    timeoutMs: 30_000,
  },
];
const say = (id: string, text: string): SlixmppRawStep => ({
  send: `<message type="groupchat" to="${FAMILY}" id="${id}"><body>${text}</body></message>`,
});
const vcard = (id: string): SlixmppRawStep[] => [
  { send: `<iq type="get" id="${id}" to="${FAMILY}"><vCard xmlns="vcard-temp"/></iq>` },
  { expect: { stanza: "iq", id, type: "result" }, timeoutMs: 30_000 },
];

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;

  beforeAll(async () => {
    stack = await startWithCarol(cleanups, driver);
  }, 150_000);
  afterAll(() => cleanups.run());

  it("a rename, a new picture, Bob kicked, added back and made an admin, as the room shows them; the user's new subject renames it", async () => {
    // The picture Family has now: its vCard photo.
    const before = await rawRun(stack.server, "carol", vcard("v0"));
    expect(before.rawError, why(before, stack.gateway)).toBeUndefined();
    const firstPhoto = parseXml(before.rawMatches[0]!.xml)
      .getChild("vCard", "vcard-temp")!
      .getChild("PHOTO")!;
    expect(firstPhoto.getChildText("TYPE")).toBe("image/png");
    const firstHash = sha1(firstPhoto.getChildText("BINVAL")!);

    const run = await rawRun(stack.server, "carol", [
      ...join,
      say("c1", "/rename The Fakes"),
      {
        expect: {
          stanza: "message",
          type: "groupchat",
          from: BOB_NICK,
          has: "{jabber:client}subject[.='The Fakes']",
        },
        timeoutMs: 30_000,
      },
      say("c2", "/picture"),
      {
        // The room's own presence (no muc#user): a new photo hash for clients to fetch.
        expect: {
          stanza: "presence",
          from: FAMILY,
          has: `{${VCARD_UPDATE}}x/{${VCARD_UPDATE}}photo`,
          lacks: [`{${MUC_USER}}x`, `{${VCARD_UPDATE}}x/{${VCARD_UPDATE}}photo[.='${firstHash}']`],
        },
        timeoutMs: 30_000,
      },
      ...vcard("v1"),
      say("c3", "/kick-bob"),
      {
        expect: {
          stanza: "presence",
          from: BOB_NICK,
          type: "unavailable",
          has: `{${MUC_USER}}x/{${MUC_USER}}status[@code='307']`,
        },
        timeoutMs: 30_000,
      },
      say("c4", "/add-bob"),
      { expect: { stanza: "presence", from: BOB_NICK, type: "available" }, timeoutMs: 30_000 },
      say("c5", "/admin-bob"),
      {
        expect: {
          stanza: "presence",
          from: BOB_NICK,
          type: "available",
          has: `{${MUC_USER}}x/{${MUC_USER}}item[@affiliation='admin']`,
        },
        timeoutMs: 30_000,
      },
      // The user renames the group from XMPP: a subject, which Messenger's update shows back as theirs.
      { send: `<message type="groupchat" to="${FAMILY}" id="t1"><subject>Our Family</subject></message>` },
      {
        expect: {
          stanza: "message",
          type: "groupchat",
          from: `${FAMILY}/carol`,
          has: "{jabber:client}subject[.='Our Family']",
        },
        timeoutMs: 30_000,
      },
      {
        send: `<iq type="get" id="d1" to="${FAMILY}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
      },
      { expect: { stanza: "iq", id: "d1", type: "result" }, timeoutMs: 30_000 },
    ]);
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const [, , , avatarPresence, newCard, , added, admin, , info] = run.rawMatches.map((m) =>
      parseXml(m.xml),
    );
    const newHash = avatarPresence!.getChild("x", VCARD_UPDATE)!.getChildText("photo");
    expect(newHash).not.toBe(firstHash);
    const newPhoto = newCard!.getChild("vCard", "vcard-temp")!.getChild("PHOTO")!;
    expect(sha1(newPhoto.getChildText("BINVAL")!)).toBe(newHash);
    expect(added!.getChild("x", MUC_USER)!.getChild("item")!.attrs).toMatchObject({
      jid: BOB,
      affiliation: "member",
    });
    expect(admin!.getChild("x", MUC_USER)!.getChild("item")!.attrs).toMatchObject({
      jid: BOB,
      affiliation: "admin",
      role: "moderator",
    });
    const identity = info!.getChild("query")!.getChild("identity")!;
    expect(identity.attrs.name).toBe("Our Family");
  }, 180_000);
});
