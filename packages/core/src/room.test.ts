import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { drain, startTestGateway } from "./testing/index.js";

/** Rooms in the core: joins from one or two resources, history, subject, messages both ways, pings, errors. */

const GW = "net.localhost";
const USER = "romeo@localhost";
const ROOM = `lobby@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

const calls: string[] = [];

class TestRoom extends LegacyRoom {
  override async updateInfo() {
    this.name = "Lobby";
    this.subject = "Welcome";
    this.userNick = "romeo";
    this.addParticipant("alice", { role: "moderator", affiliation: "owner" });
    this.addParticipant("bob");
  }
}

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = TestRoom;
  override async *listRooms() {
    yield this.rooms.byLegacyId("lobby");
  }
  override async onMessage(chat: LegacyContact | LegacyRoom, message: OutgoingMessage) {
    calls.push(`${chat.legacyId} ${message.body}`);
    return `L-${message.xmppId}`;
  }
  override async onReact(chat: LegacyContact | LegacyRoom, legacyId: string, emojis: readonly string[]) {
    calls.push(`${chat.legacyId} react ${legacyId} ${emojis.join("")}`);
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  static override GROUPS = true;
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const statusCodes = (stanza: Element) =>
  stanza
    .getChild("x", MUC_USER)
    ?.getChildren("status")
    .map((s) => Number(s.attrs.code));

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  beforeEach(async () => {
    calls.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(TestGateway, store, { domain: GW }));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const room = () => gateway.sessionFor(USER)!.rooms.known("lobby")!;
  const join = (resource = "pc", nick = "romeo", history = "") =>
    transport.inject(
      `<presence id="j-${resource}" from="${USER}/${resource}" to="${ROOM}/${nick}"><x xmlns="${MUC}">${history}</x></presence>`,
    );
  const say = (body: string, id: string, resource = "pc") =>
    transport.inject(
      `<message type="groupchat" id="${id}" from="${USER}/${resource}" to="${ROOM}"><body>${body}</body><origin-id xmlns="urn:xmpp:sid:0" id="${id}"/></message>`,
    );

  describe("joining", () => {
    it("answers occupants, then the self-presence (110, 100, 210 for another nick), then the subject", async () => {
      await join("pc", "rom");
      const [alice, bob, self, subject] = drain(transport);
      expect(alice!.attrs).toMatchObject({ from: `${ROOM}/alice`, to: `${USER}/pc` });
      expect(alice!.getChild("x", MUC_USER)!.getChild("item")!.attrs).toMatchObject({
        affiliation: "owner",
        role: "moderator",
      });
      expect(bob!.attrs.from).toBe(`${ROOM}/bob`);
      expect(self!.attrs).toMatchObject({ from: `${ROOM}/romeo`, to: `${USER}/pc`, id: "j-pc" });
      expect(statusCodes(self!)).toEqual([100, 110, 210]);
      expect(subject!.getChildText("subject")).toBe("Welcome");
      transport.expectNothingSent();
    });

    it("replays the kept history with delays, as much as <history maxstanzas> asks", async () => {
      const alice = room().participants.get("alice")!;
      await alice.sendText("one", { id: "A1" });
      await alice.sendText("two", { id: "A2" });
      transport.expectNothingSent(); // nobody is joined yet
      await join("pc", "romeo", `<history maxstanzas="1"/>`);
      const sent = drain(transport);
      const history = sent.filter((s) => s.getChildText("body") !== null);
      expect(history.map((s) => s.getChildText("body"))).toEqual(["two"]);
      expect(history[0]!.attrs).toMatchObject({ type: "groupchat", from: `${ROOM}/alice` });
      expect(history[0]!.getChild("delay", "urn:xmpp:delay")!.attrs.from).toBe(ROOM);
      // The self-presence comes before the history, the subject after it.
      expect(statusCodes(sent[2]!)).toEqual([100, 110]);
      expect(sent.at(-1)!.getChildText("subject")).toBe("Welcome");
    });

    it("works from two resources: both get the room's messages; a leave answers that resource only", async () => {
      await join("pc");
      await join("phone");
      drain(transport);
      await room().participants.get("bob")!.sendText("hello", { id: "B1" });
      const [toPc, toPhone] = drain(transport);
      expect([toPc!.attrs.to, toPhone!.attrs.to]).toEqual([`${USER}/pc`, `${USER}/phone`]);
      expect(toPc!.getChild("stanza-id", "urn:xmpp:sid:0")!.attrs).toMatchObject({
        by: ROOM,
        id: toPc!.attrs.id,
      });
      await transport.inject(
        `<presence type="unavailable" id="l1" from="${USER}/phone" to="${ROOM}/romeo"/>`,
      );
      const left = transport.nextSent();
      expect(left.attrs).toMatchObject({ type: "unavailable", to: `${USER}/phone`, id: "l1" });
      expect(statusCodes(left)).toEqual([110]);
      await room().participants.get("bob")!.sendText("again", { id: "B2" });
      expect(drain(transport).map((s) => s.attrs.to)).toEqual([`${USER}/pc`]);
    });
  });

  describe("messages", () => {
    it("passes the user's groupchat message to onMessage(room) and reflects it with its id", async () => {
      await join("pc");
      await join("phone");
      drain(transport);
      await say("hi all", "m1");
      expect(calls).toEqual(["lobby hi all"]);
      const reflections = drain(transport);
      expect(reflections.map((s) => s.attrs.to)).toEqual([`${USER}/pc`, `${USER}/phone`]);
      for (const r of reflections) {
        expect(r.attrs).toMatchObject({ type: "groupchat", id: "m1", from: `${ROOM}/romeo` });
        expect(r.getChild("origin-id", "urn:xmpp:sid:0")!.attrs.id).toBe("m1");
        expect(r.getChildText("body")).toBe("hi all");
      }
      // A reaction to the reflected message finds its legacy id.
      await transport.inject(
        `<message type="groupchat" id="r1" from="${USER}/pc" to="${ROOM}"><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions></message>`,
      );
      expect(calls).toEqual(["lobby hi all", "lobby react L-m1 👍"]);
    });

    it("shows participants' corrections, retractions and reactions in the room", async () => {
      await join("pc");
      drain(transport);
      const alice = room().participants.get("alice")!;
      await alice.sendText("helo", { id: "A1" });
      const first = transport.nextSent();
      // The room's stanza-id identifies it; an origin-id is only for the user's own reflections.
      expect(first.getChild("origin-id", "urn:xmpp:sid:0")).toBeUndefined();
      expect(first.getChild("stanza-id", "urn:xmpp:sid:0")!.attrs.id).toBe(first.attrs.id);
      await alice.correct("A1", "hello");
      expect(transport.nextSent().getChild("replace", "urn:xmpp:message-correct:0")!.attrs.id).toBe(
        first.attrs.id,
      );
      await alice.react("A1", ["❤️"]);
      expect(transport.nextSent().getChild("reactions", "urn:xmpp:reactions:0")!.attrs.id).toBe(
        first.attrs.id,
      );
      await alice.retract("A1");
      const retraction = transport.nextSent();
      expect(retraction.attrs).toMatchObject({ type: "groupchat", from: `${ROOM}/alice` });
      expect(retraction.getChild("retract", "urn:xmpp:message-retract:1")!.attrs.id).toBe(first.attrs.id);
    });

    it("leaves 1:1 chats as they were, and refuses a non-groupchat message to the room", async () => {
      await transport.inject(
        `<message type="chat" id="c1" from="${USER}/pc" to="alice@${GW}"><body>hello alice</body></message>`,
      );
      expect(calls).toEqual(["alice hello alice"]);
      drain(transport);
      await transport.inject(
        `<message type="chat" id="c2" from="${USER}/pc" to="${ROOM}"><body>x</body></message>`,
      );
      const error = transport.nextSent();
      expect(error.attrs).toMatchObject({ type: "error", id: "c2" });
      expect(error.getChild("error")!.getChild("feature-not-implemented", STANZAS)).toBeDefined();
      expect(calls).toEqual(["alice hello alice"]);
    });

    it("refuses a message from a resource that has not joined (not-acceptable)", async () => {
      await say("hi", "m1");
      const error = transport.nextSent();
      expect(error.attrs).toMatchObject({ type: "error", id: "m1" });
      expect(error.getChild("error")!.getChild("not-acceptable", STANZAS)).toBeDefined();
      expect(calls).toEqual([]);
    });
  });

  describe("occupants and subject from the network", () => {
    it("sends joins, leaves, nick changes (303) and subject changes to the joined resources", async () => {
      await join("pc");
      drain(transport);
      await room().leave("alice");
      const left = transport.nextSent();
      expect(left.attrs).toMatchObject({ type: "unavailable", from: `${ROOM}/alice` });
      await room().join("alice");
      expect(transport.nextSent().attrs.type).toBeUndefined();
      await room().rename("bob", "robert");
      const [gone, back] = drain(transport);
      expect(statusCodes(gone!)).toEqual([303]);
      expect(gone!.getChild("x", MUC_USER)!.getChild("item")!.attrs.nick).toBe("robert");
      expect(back!.attrs.from).toBe(`${ROOM}/robert`);
      await room().setSubject("New topic", "alice");
      const subject = transport.nextSent();
      expect(subject.attrs.from).toBe(`${ROOM}/alice`);
      expect(subject.getChildText("subject")).toBe("New topic");
    });
  });

  describe("a channel (open, semi-anonymous)", () => {
    it("hides real JIDs: no 100 on the self-presence, no jid on occupants, muc_semianonymous", async () => {
      const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      room().type = "channel";
      await room().join("carol", { contact });
      await join("pc");
      const [alice, , carol, self] = drain(transport);
      expect(alice!.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBeUndefined();
      expect(carol!.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBeUndefined();
      expect(statusCodes(self!)).toEqual([110]);
      await transport.inject(
        `<iq type="get" id="d1" from="${USER}/pc" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
      );
      const features = transport
        .nextSent()
        .getChild("query")!
        .getChildren("feature")
        .map((f) => f.attrs.var);
      expect(features).toEqual(expect.arrayContaining(["muc_open", "muc_semianonymous"]));
    });
  });

  describe("discovery, pings and errors", () => {
    it("describes the room (disco#info) and lists it on the gateway (disco#items)", async () => {
      await transport.inject(
        `<iq type="get" id="d1" from="${USER}/pc" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
      );
      const info = transport.nextSent().getChild("query")!;
      expect(info.getChild("identity")!.attrs).toMatchObject({
        category: "conference",
        type: "text",
        name: "Lobby",
      });
      const features = info.getChildren("feature").map((f) => f.attrs.var);
      expect(features).toEqual(expect.arrayContaining([MUC, "muc_membersonly", "muc_nonanonymous"]));
      await transport.inject(
        `<iq type="get" id="d2" from="${USER}/pc" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
      );
      const items = transport.nextSent().getChild("query")!.getChildren("item");
      expect(items.map((i) => i.attrs)).toEqual([{ jid: ROOM, name: "Lobby" }]);
    });

    it("serves the group's name and picture as its vCard (XEP-0486), without making the room a contact", async () => {
      const vcard = async (id: string, payload = `<vCard xmlns="vcard-temp"/>`) => {
        await transport.inject(`<iq type="get" id="${id}" from="${USER}/pc" to="${ROOM}">${payload}</iq>`);
        return transport.nextSent();
      };
      const plain = (await vcard("v1")).getChild("vCard", "vcard-temp")!;
      expect(plain.getChildText("FN")).toBe("Lobby");
      expect(plain.getChild("PHOTO")).toBeUndefined();

      await join("pc");
      drain(transport);
      const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
      await room().setAvatar(png, "image/png");
      const update = transport.nextSent();
      expect(update.attrs).toMatchObject({ from: ROOM, to: `${USER}/pc` });
      const hash = update.getChild("x", "vcard-temp:x:update")!.getChildText("photo");
      expect(hash).toMatch(/^[0-9a-f]{40}$/);
      await room().setAvatar(png, "image/png"); // the same picture: nothing to tell
      transport.expectNothingSent();
      const photo = (await vcard("v2")).getChild("vCard", "vcard-temp")!.getChild("PHOTO")!;
      expect(Buffer.from(photo.getChildText("BINVAL")!, "base64")).toEqual(Buffer.from(png));
      expect(photo.getChildText("TYPE")).toBe("image/png");
      await transport.inject(
        `<iq type="get" id="d1" from="${USER}/pc" to="${ROOM}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
      );
      expect(transport.nextSent().toString()).toContain(hash!);

      const vcard4 = await vcard("v3", `<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/>`);
      expect(vcard4.getChild("error")!.getChild("item-not-found", STANZAS)).toBeDefined();
      expect(gateway.sessionFor(USER)!.contacts.known("lobby")).toBeUndefined();
    });

    it("answers self-pings: a result when joined, not-acceptable when not (XEP-0410)", async () => {
      const ping = (id: string) =>
        transport.inject(
          `<iq type="get" id="${id}" from="${USER}/pc" to="${ROOM}/romeo"><ping xmlns="urn:xmpp:ping"/></iq>`,
        );
      await ping("p1");
      const refused = transport.nextSent();
      expect(refused.attrs.type).toBe("error");
      expect(refused.getChild("error")!.getChild("not-acceptable", STANZAS)).toBeDefined();
      await join("pc");
      drain(transport);
      await ping("p2");
      expect(transport.nextSent().attrs).toMatchObject({ type: "result", id: "p2" });
    });

    it("refuses joins from strangers (registration-required) and to unknown rooms (item-not-found)", async () => {
      await transport.inject(
        `<presence id="s1" from="juliet@localhost/pc" to="${ROOM}/juliet"><x xmlns="${MUC}"/></presence>`,
      );
      const stranger = transport.nextSent();
      expect(stranger.attrs).toMatchObject({ type: "error", id: "s1" });
      expect(stranger.getChild("x", MUC)).toBeDefined();
      expect(stranger.getChild("error")!.getChild("registration-required", STANZAS)).toBeDefined();
      await transport.inject(
        `<presence id="u1" from="${USER}/pc" to="nowhere@${GW}/romeo"><x xmlns="${MUC}"/></presence>`,
      );
      const unknown = transport.nextSent();
      expect(unknown.attrs).toMatchObject({ type: "error", id: "u1" });
      expect(unknown.getChild("error")!.getChild("item-not-found", STANZAS)).toBeDefined();
    });
  });
});
