import { createHash } from "node:crypto";
import { runSlixmppClient } from "@gangway/testing";
import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ALICE, FAMILY, type MessengerStack, rawRun, startWithCarol, why } from "./messenger-support.js";
import { Cleanups } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * Friends' profiles through the real `gangway-messenger --backend fake` and a real Prosody, from
 * slixmpp: alice.fb's vCard (name, picture) and XEP-0084 avatar, the picture's hash in her
 * presence (XEP-0153); then she changes her picture (`/picture`) and her name (`/rename <name>`)
 * on Messenger, and the user sees the new hash and photo, her new nick in Family, and after a
 * restart her new name in the roster.
 */

const VCARD_UPDATE = "vcard-temp:x:update";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const sha1 = (base64: string) => createHash("sha1").update(Buffer.from(base64, "base64")).digest("hex");
const vcardOf = (xml: string) => parseXml(xml).getChild("vCard", "vcard-temp")!;
const chat = (id: string, text: string) =>
  `<message type="chat" to="${ALICE}" id="${id}"><body>${text}</body></message>`;

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;

  beforeAll(async () => {
    stack = await startWithCarol(cleanups, driver);
  }, 150_000);
  afterAll(() => cleanups.run());

  it("alice.fb's vCard, avatar and presence hash; a new picture and a new name on Messenger reach the user", async () => {
    const first = await rawRun(stack.server, "carol", [
      { send: `<iq type="get" id="v1" to="${ALICE}"><vCard xmlns="vcard-temp"/></iq>` },
      { expect: { stanza: "iq", id: "v1", type: "result" }, timeoutMs: 30_000 },
      {
        send: `<iq type="get" id="a1" to="${ALICE}"><pubsub xmlns="${PUBSUB}"><items node="urn:xmpp:avatar:metadata"/></pubsub></iq>`,
      },
      { expect: { stanza: "iq", id: "a1", type: "result" }, timeoutMs: 30_000 },
    ]);
    expect(first.rawError, why(first, stack.gateway)).toBeUndefined();
    const card = vcardOf(first.rawMatches[0]!.xml);
    expect(card.getChildText("FN")).toBe("Alice Facebook");
    expect(card.getChild("PHOTO")!.getChildText("TYPE")).toBe("image/png");
    const photo = card.getChild("PHOTO")!.getChildText("BINVAL")!;
    expect(Buffer.from(photo, "base64").subarray(1, 4).toString()).toBe("PNG");
    const firstHash = sha1(photo);
    const info = parseXml(first.rawMatches[1]!.xml)
      .getChild("pubsub", PUBSUB)!
      .getChild("items")!
      .getChild("item")!
      .getChild("metadata")!
      .getChild("info")!;
    expect(info.attrs).toMatchObject({ id: firstHash, type: "image/png" });

    const photoIs = (hash: string) => `{${VCARD_UPDATE}}x/{${VCARD_UPDATE}}photo[.='${hash}']`;
    const run = await rawRun(stack.server, "carol", [
      // Her presence (the answer to the client's coming online) advertises that picture.
      { expect: { stanza: "presence", from: ALICE, has: photoIs(firstHash) }, timeoutMs: 30_000 },
      { send: chat("p1", "/picture") },
      {
        expect: {
          stanza: "presence",
          from: ALICE,
          has: `{${VCARD_UPDATE}}x/{${VCARD_UPDATE}}photo`,
          lacks: photoIs(firstHash),
        },
        timeoutMs: 30_000,
      },
      { send: `<iq type="get" id="v2" to="${ALICE}"><vCard xmlns="vcard-temp"/></iq>` },
      { expect: { stanza: "iq", id: "v2", type: "result" }, timeoutMs: 30_000 },
      // Her new name, seen in Family (joined first) as a nick change (303).
      { send: `<presence to="${FAMILY}/carol"><x xmlns="http://jabber.org/protocol/muc"/></presence>` },
      { expect: { stanza: "presence", from: `${FAMILY}/carol` }, timeoutMs: 30_000 },
      { send: chat("n1", "/rename Alice Renamed") },
      {
        expect: {
          stanza: "presence",
          from: `${FAMILY}/Alice Facebook`,
          type: "unavailable",
          has: [
            `{${MUC_USER}}x/{${MUC_USER}}status[@code='303']`,
            `{${MUC_USER}}x/{${MUC_USER}}item[@nick='Alice Renamed']`,
          ],
        },
        timeoutMs: 30_000,
      },
      {
        expect: { stanza: "presence", from: `${FAMILY}/Alice Renamed`, type: "available" },
        timeoutMs: 30_000,
      },
    ]);
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const [, changed, newCard] = run.rawMatches.map((m) => m.xml);
    const newHash = parseXml(changed!).getChild("x", VCARD_UPDATE)!.getChildText("photo")!;
    expect(newHash).not.toBe(firstHash);
    expect(sha1(vcardOf(newCard!).getChild("PHOTO")!.getChildText("BINVAL")!)).toBe(newHash);
    expect(vcardOf(newCard!).getChildText("FN")).toBe("Alice Facebook");

    // The roster takes the new name at the next login (the core has no roster rename yet): after
    // a restart of the gateway, whose startup waits for the user's login and its roster sync.
    const gateway = await stack.restartGateway();
    const roster = await runSlixmppClient({
      server: stack.server,
      jid: "carol@localhost",
      password: "pw",
      fetchRoster: true,
      timeoutMs: 60_000,
    });
    expect(roster.errors, why(roster, gateway)).toEqual([]);
    expect(roster.roster!.find((item) => item.jid === ALICE)?.name).toBe("Alice Renamed");
  }, 180_000);
});
