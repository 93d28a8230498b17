import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import type { LegacyParticipant } from "./participant.js";
import { LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { drain, startTestGateway } from "./testing/index.js";

/** Rooms beyond plain text: mentions both ways, moderation, kicks, subject, roles, markers, private messages. */

const GW = "net.localhost";
const USER = "romeo@localhost";
const ROOM = `lobby@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const MUC_ADMIN = "http://jabber.org/protocol/muc#admin";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const REFERENCE = "urn:xmpp:reference:0";

const calls: string[] = [];
const mentions: OutgoingMessage["mentions"][] = [];

/** A room whose network lets its admins moderate, kick and set the subject, and confirms at once. */
class AdminRoom extends LegacyRoom {
  override async updateInfo() {
    this.userNick = "romeo";
    this.userRole = "moderator";
    this.userAffiliation = "admin";
    this.addParticipant("alice", { role: "moderator", affiliation: "owner" });
    this.addParticipant("bob");
    this.addParticipant("Carol Smith");
  }
  override async onModerate(legacyId: string, reason?: string) {
    calls.push(`moderate ${legacyId} ${reason ?? "-"}`);
    await this.moderate(legacyId, { by: this.userNick, ...(reason !== undefined && { reason }) });
  }
  override async onKick(participant: LegacyParticipant, reason?: string) {
    calls.push(`kick ${participant.nick} ${reason ?? "-"}`);
    await this.leave(participant.nick, { kicked: true, ...(reason !== undefined && { reason }) });
  }
  override async onSetSubject(subject: string) {
    calls.push(`subject ${subject}`);
    await this.setSubject(subject, this.userNick);
  }
}

/** A room without administration hooks, where the user is a plain participant. */
class PlainRoom extends LegacyRoom {
  override async updateInfo() {
    this.userNick = "romeo";
    this.addParticipant("alice", { contact: undefined });
  }
}

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = AdminRoom;
  override async *listRooms() {
    yield this.rooms.byLegacyId("lobby");
  }
  override async onMessage(chat: LegacyContact | LegacyRoom, message: OutgoingMessage) {
    calls.push(`${chat.legacyId} ${message.body}`);
    mentions.push(message.mentions);
    return `L-${message.xmppId}`;
  }
  override async onDisplayed(chat: LegacyContact | LegacyRoom, legacyId: string) {
    calls.push(`${chat.legacyId} displayed ${legacyId}`);
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  static override GROUPS = true;
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const errorCondition = (stanza: Element) =>
  stanza
    .getChild("error")
    ?.getChildElements()
    .find((child) => child.attrs.xmlns === STANZAS)?.name;

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  beforeEach(async () => {
    calls.length = 0;
    mentions.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(TestGateway, store, { domain: GW }));
    await transport.inject(
      `<presence id="j1" from="${USER}/pc" to="${ROOM}/romeo"><x xmlns="${MUC}"><history maxstanzas="0"/></x></presence>`,
    );
    drain(transport);
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const room = () => gateway.sessionFor(USER)!.rooms.known("lobby")!;
  const iq = (id: string, type: "get" | "set", payload: string) =>
    transport.inject(`<iq type="${type}" id="${id}" from="${USER}/pc" to="${ROOM}">${payload}</iq>`);

  describe("mentions", () => {
    it("sends a participant's mentions as XEP-0372 references in code points", async () => {
      const body = "🎉 romeo and bob: look";
      await room()
        .participants.get("alice")!
        .sendText(body, {
          id: "A1",
          mentions: [
            { nick: "romeo", begin: body.indexOf("romeo"), end: body.indexOf("romeo") + 5 },
            { nick: "bob", begin: body.indexOf("bob"), end: body.indexOf("bob") + 3 },
            { nick: "ghost", begin: 40, end: 45 }, // past the text: dropped, the message still goes
          ],
        });
      const references = transport.nextSent().getChildren("reference", REFERENCE);
      expect(references.map((r) => r.attrs)).toEqual([
        expect.objectContaining({ type: "mention", uri: `xmpp:${ROOM}/romeo`, begin: "2", end: "7" }),
        expect.objectContaining({ type: "mention", uri: `xmpp:${ROOM}/bob`, begin: "12", end: "15" }),
      ]);
    });

    it("gives the app the user's references, else the nicks found in the text", async () => {
      await transport.inject(
        `<message type="groupchat" id="m1" from="${USER}/pc" to="${ROOM}"><body>hey 🎉 bob</body>` +
          `<reference xmlns="${REFERENCE}" type="mention" begin="6" end="9" uri="xmpp:${ROOM}/bob"/></message>`,
      );
      await transport.inject(
        `<message type="groupchat" id="m2" from="${USER}/pc" to="${ROOM}"><body>Carol Smith: ask alice, not eve</body></message>`,
      );
      expect(mentions).toEqual([
        [{ nick: "bob", begin: 7, end: 10 }],
        [
          { nick: "Carol Smith", begin: 0, end: 11 },
          { nick: "alice", begin: 17, end: 22 },
        ],
      ]);
    });
  });

  describe("moderation (XEP-0425)", () => {
    it("passes a moderator's request to onModerate and shows the moderated retraction", async () => {
      await room().participants.get("bob")!.sendText("spam", { id: "B1" });
      const spam = transport.nextSent();
      await iq(
        "mod1",
        "set",
        `<moderate xmlns="urn:xmpp:message-moderate:1" id="${spam.attrs.id}"><retract xmlns="urn:xmpp:message-retract:1"/><reason>Spam</reason></moderate>`,
      );
      expect(calls).toEqual(["moderate B1 Spam"]);
      const [retraction, result] = drain(transport);
      expect(retraction!.attrs).toMatchObject({ from: ROOM, to: `${USER}/pc`, type: "groupchat" });
      const retract = retraction!.getChild("retract", "urn:xmpp:message-retract:1")!;
      expect(retract.attrs.id).toBe(spam.attrs.id);
      expect(retract.getChild("moderated", "urn:xmpp:message-moderate:1")!.attrs.by).toBe(`${ROOM}/romeo`);
      expect(retract.getChildText("reason")).toBe("Spam");
      expect(result!.attrs).toMatchObject({ type: "result", id: "mod1" });
    });

    it("shows a legacy admin's deletion; refuses unknown ids and non-moderators", async () => {
      await room().participants.get("bob")!.sendText("oops", { id: "B2" });
      const oops = transport.nextSent();
      await room().moderate("B2", { by: "alice" });
      const retract = transport.nextSent().getChild("retract", "urn:xmpp:message-retract:1")!;
      expect(retract.attrs.id).toBe(oops.attrs.id);
      expect(retract.getChild("moderated", "urn:xmpp:message-moderate:1")!.attrs.by).toBe(`${ROOM}/alice`);
      // Archived as a moderation: a later join's history shows it as one.
      await transport.inject(
        `<presence id="j2" from="${USER}/phone" to="${ROOM}/romeo"><x xmlns="${MUC}"><history maxstanzas="5"/></x></presence>`,
      );
      const replayed = drain(transport).find((s) => s.getChild("retract", "urn:xmpp:message-retract:1"));
      const moderated = replayed!.getChild("retract", "urn:xmpp:message-retract:1")!;
      expect(moderated.attrs.id).toBe(oops.attrs.id);
      expect(moderated.getChild("moderated", "urn:xmpp:message-moderate:1")!.attrs.by).toBe(`${ROOM}/alice`);
      await transport.inject(`<presence type="unavailable" from="${USER}/phone" to="${ROOM}/romeo"/>`);
      drain(transport);

      const moderate = (id: string) =>
        iq(
          id,
          "set",
          `<moderate xmlns="urn:xmpp:message-moderate:1" id="nope"><retract xmlns="urn:xmpp:message-retract:1"/></moderate>`,
        );
      await moderate("mod2");
      expect(errorCondition(transport.nextSent())).toBe("item-not-found");
      await room().setRole("romeo", { role: "participant" });
      const self = transport.nextSent();
      expect(self.getChild("x", MUC_USER)!.getChild("item")!.attrs.role).toBe("participant");
      await moderate("mod3");
      expect(errorCondition(transport.nextSent())).toBe("forbidden");
      expect(calls).toEqual([]);
    });
  });

  describe("administration", () => {
    it("kicks through onKick (status 307 with the reason) and lists moderators", async () => {
      await iq(
        "k1",
        "set",
        `<query xmlns="${MUC_ADMIN}"><item nick="bob" role="none"><reason>bye</reason></item></query>`,
      );
      expect(calls).toEqual(["kick bob bye"]);
      const [gone, result] = drain(transport);
      expect(gone!.attrs).toMatchObject({ from: `${ROOM}/bob`, type: "unavailable" });
      expect(
        gone!
          .getChild("x", MUC_USER)!
          .getChildren("status")
          .map((s) => s.attrs.code),
      ).toEqual(["307"]);
      expect(result!.attrs.type).toBe("result");
      expect(room().participants.has("bob")).toBe(false);

      await iq("l1", "get", `<query xmlns="${MUC_ADMIN}"><item role="moderator"/></query>`);
      const list = transport.nextSent().getChild("query", MUC_ADMIN)!;
      expect(list.getChildren("item").map((i) => i.attrs.nick)).toEqual(["romeo", "alice"]);
    });

    it("refuses kicks of unknown nicks and other changes, quoting nothing", async () => {
      await iq("k2", "set", `<query xmlns="${MUC_ADMIN}"><item nick="&lt;zed&gt;" role="none"/></query>`);
      const unknown = transport.nextSent();
      expect(errorCondition(unknown)).toBe("item-not-found");
      expect(unknown.toString()).not.toContain("zed&gt;</text");
      await iq(
        "k3",
        "set",
        `<query xmlns="${MUC_ADMIN}"><item jid="eve@localhost" affiliation="outcast"/></query>`,
      );
      expect(errorCondition(transport.nextSent())).toBe("feature-not-implemented");
      expect(calls).toEqual([]);
    });

    it("shows the network renaming the user (303 then 110), a parting word, and the user kicked (307)", async () => {
      await room().renameUser("romy");
      const [gone, back] = drain(transport);
      expect(gone!.attrs).toMatchObject({ from: `${ROOM}/romeo`, type: "unavailable" });
      expect(gone!.getChild("x", MUC_USER)!.getChild("item")!.attrs.nick).toBe("romy");
      expect(gone!.getChild("x", MUC_USER)!.getChildren("status").map((c) => c.attrs.code)).toEqual(["110", "303"]);
      expect(back!.attrs.from).toBe(`${ROOM}/romy`);
      expect(room().joinedNick(`${USER}/pc`)).toBe("romy");

      await room().leave("bob", { status: "off to bed" });
      expect(transport.nextSent().getChildText("status")).toBe("off to bed");

      await room().userKicked({ reason: "flood", by: "alice" });
      const kicked = transport.nextSent();
      expect(kicked.attrs).toMatchObject({ from: `${ROOM}/romy`, type: "unavailable" });
      const x = kicked.getChild("x", MUC_USER)!;
      expect(x.getChildren("status").map((c) => c.attrs.code)).toEqual(["110", "307"]);
      expect(x.getChild("item")!.getChildText("reason")).toBe("flood");
      expect(x.getChild("item")!.getChild("actor")!.attrs.nick).toBe("alice");
      expect(room().joinedNick(`${USER}/pc`)).toBeUndefined();
      await room().participants.get("alice")!.sendText("after the kick", { id: "A7" });
      transport.expectNothingSent();
    });

    it("passes a subject change to onSetSubject, which shows it", async () => {
      await transport.inject(
        `<message type="groupchat" id="s1" from="${USER}/pc" to="${ROOM}"><subject>New topic</subject></message>`,
      );
      expect(calls).toEqual(["subject New topic"]);
      const subject = transport.nextSent();
      expect(subject.attrs.from).toBe(`${ROOM}/romeo`);
      expect(subject.getChildText("subject")).toBe("New topic");
    });

    it("shows role changes as presences and advertises moderation only to moderators", async () => {
      await room().participants.get("bob")!.setRole({ role: "moderator", affiliation: "admin" });
      const item = transport.nextSent().getChild("x", MUC_USER)!.getChild("item")!;
      expect(item.attrs).toMatchObject({ role: "moderator", affiliation: "admin" });
      const features = async () => {
        await iq("d1", "get", `<query xmlns="http://jabber.org/protocol/disco#info"/>`);
        return transport
          .nextSent()
          .getChild("query")!
          .getChildren("feature")
          .map((f) => f.attrs.var);
      };
      expect(await features()).toContain("urn:xmpp:message-moderate:1");
      await room().setRole("romeo", { role: "participant" });
      transport.nextSent();
      expect(await features()).not.toContain("urn:xmpp:message-moderate:1");
    });
  });

  describe("markers and private messages", () => {
    it("shows a participant's read marker and passes the user's to onDisplayed", async () => {
      await transport.inject(
        `<message type="groupchat" id="m1" from="${USER}/pc" to="${ROOM}"><body>hi</body><markable xmlns="urn:xmpp:chat-markers:0"/></message>`,
      );
      drain(transport);
      await room().participants.get("alice")!.displayed("L-m1");
      const marker = transport.nextSent();
      expect(marker.attrs).toMatchObject({ from: `${ROOM}/alice`, type: "groupchat" });
      expect(marker.getChild("displayed", "urn:xmpp:chat-markers:0")!.attrs.id).toBe("m1");

      await room().participants.get("alice")!.sendText("read this", { id: "A9" });
      const message = transport.nextSent();
      await transport.inject(
        `<message type="groupchat" id="d1" from="${USER}/pc" to="${ROOM}"><displayed xmlns="urn:xmpp:chat-markers:0" id="${message.attrs.id}"/></message>`,
      );
      expect(calls).toContain("lobby displayed A9");
    });

    it("keeps a room's id maps apart from a contact's with the same legacy id", async () => {
      await room().participants.get("alice")!.sendText("in the room", { id: "X1" });
      const inRoom = transport.nextSent();
      const namesake = await gateway.sessionFor(USER)!.contacts.byLegacyId("lobby");
      expect(await namesake.xmppId("X1")).toBeUndefined();
      expect(await room().xmppId("X1")).toBe(inRoom.attrs.id);
    });

    it("shows what the user wrote from the network's own app as theirs (carbon: from their nick)", async () => {
      await room().sendText("sent from my phone", { id: "U1", carbon: true });
      const own = transport.nextSent();
      expect(own.attrs).toMatchObject({ type: "groupchat", from: `${ROOM}/romeo`, to: `${USER}/pc` });
      expect(own.getChildText("body")).toBe("sent from my phone");
      expect(own.getChild("occupant-id", "urn:xmpp:occupant-id:0")!.attrs.id).toBe("occ-self");
    });

    it("refuses private messages to occupants with where to write instead", async () => {
      await transport.inject(
        `<message type="chat" id="p1" from="${USER}/pc" to="${ROOM}/alice"><body>psst</body></message>`,
      );
      const error = transport.nextSent();
      expect(errorCondition(error)).toBe("feature-not-implemented");
      expect(error.getChild("error")!.getChildText("text", STANZAS)).not.toContain("psst");
      expect(calls).toEqual([]);
    });
  });
});

describe("a room without administration hooks", () => {
  it("is a plain room: nothing to override", () => {
    const room = Object.create(PlainRoom.prototype) as PlainRoom;
    expect(room.overrides("onModerate")).toBe(false);
    expect(room.overrides("onKick")).toBe(false);
    expect(new AdminRoom(undefined as never, "x", "x").overrides("onKick")).toBe(true);
  });
});
