import { type Store, StoreUnavailableError } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { drain, startTestGateway } from "./testing/index.js";

/** A room's archive: history on join and XEP-0313 queries, from the store, across restarts. */

const GW = "net.localhost";
const USER = "romeo@localhost";
const ROOM = `lobby@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MAM = "urn:xmpp:mam:2";
const RSM = "http://jabber.org/protocol/rsm";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

class TestRoom extends LegacyRoom {
  override async updateInfo() {
    this.name = "Lobby";
    this.userNick = "romeo";
    this.addParticipant("alice");
    this.addParticipant("bob");
  }
}

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = TestRoom;
  override async *listRooms() {
    yield this.rooms.byLegacyId("lobby");
  }
  override async onMessage(_chat: LegacyContact | LegacyRoom, message: OutgoingMessage) {
    return `L-${message.xmppId}`;
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  static override GROUPS = true;
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const stanzaId = (stanza: Element) => stanza.getChild("stanza-id", "urn:xmpp:sid:0")?.attrs.id;
const condition = (stanza: Element) =>
  (stanza.getChild("error")?.children.find((child) => typeof child !== "string") as Element | undefined)
    ?.name;
const forwarded = (result: Element) =>
  result.getChild("result", MAM)!.getChild("forwarded", "urn:xmpp:forward:0")!;
const forwardedBody = (result: Element) => forwarded(result).getChild("message")!.getChildText("body");

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  const start = async (args: readonly string[] = []) => {
    ({ gateway, transport } = await startTestGateway(TestGateway, store, { domain: GW, args }));
  };
  beforeEach(async () => {
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    await start();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const room = () => gateway.sessionFor(USER)!.rooms.known("lobby")!;
  const join = async (history = "", resource = "pc") => {
    await transport.inject(
      `<presence id="j-${resource}" from="${USER}/${resource}" to="${ROOM}/romeo"><x xmlns="${MUC}">${history}</x></presence>`,
    );
    // The subject ends a join: what came before it is the join's answer.
    await transport.waitForSent((stanza) => stanza.getChild("subject") !== undefined);
    return drain(transport);
  };
  const say = (body: string, id: string) =>
    transport.inject(
      `<message type="groupchat" id="${id}" from="${USER}/pc" to="${ROOM}"><body>${body}</body><origin-id xmlns="urn:xmpp:sid:0" id="${id}"/></message>`,
    );
  /** An IQ to the room; its answer, and the messages sent before it (a query's results). */
  const iq = async (
    id: string,
    payload: string,
    options: { type?: string; from?: string; to?: string } = {},
  ) => {
    const { type = "set", from = `${USER}/pc`, to = ROOM } = options;
    const before = transport.sent.length;
    await transport.inject(`<iq type="${type}" id="${id}" from="${from}" to="${to}">${payload}</iq>`);
    const reply = await transport.waitForSent((stanza) => stanza.is("iq") && stanza.attrs.id === id);
    const answered = transport.sent.indexOf(reply);
    const results = transport.sent.slice(before, answered).filter((stanza) => stanza.is("message"));
    drain(transport);
    return { reply, results };
  };
  const query = (id: string, rsm = "", form = "") =>
    iq(id, `<query xmlns="${MAM}" queryid="q-${id}">${form}<set xmlns="${RSM}">${rsm}</set></query>`);
  const field = (name: string, value: string) => `<field var="${name}"><value>${value}</value></field>`;
  const mamForm = (...fields: string[]) =>
    `<x xmlns="jabber:x:data" type="submit">${field("FORM_TYPE", MAM)}${fields.join("")}</x>`;

  /** alice: A1 "one"; the user: "hi" (u1); bob: B1 "two"; alice reacts to u1; alice edits A1. */
  async function conversation(): Promise<Element[]> {
    await join();
    const from = transport.sent.length;
    const alice = room().participants.get("alice")!;
    const bob = room().participants.get("bob")!;
    await alice.sendText("one", { id: "A1" });
    await say("hi", "u1");
    await bob.sendText("two", { id: "B1" });
    await alice.react("L-u1", ["👍"]);
    await alice.correct("A1", "one!");
    await transport.waitForSent(
      (stanza) => stanza.getChild("replace", "urn:xmpp:message-correct:0") !== undefined,
    );
    const live = transport.sent
      .slice(from)
      .filter((stanza) => stanza.is("message") && stanza.attrs.type === "groupchat");
    drain(transport);
    return live;
  }

  describe("history on join", () => {
    it("is served from the store after a restart, under the stanza-ids the live messages carried", async () => {
      const live = await conversation();
      expect(live.map(stanzaId)).toHaveLength(5);
      expect(stanzaId(live[1]!)).toBe("u1");
      await gateway.stop();
      await start();
      const history = (await join(`<history maxstanzas="10"/>`)).filter(
        (stanza) => stanza.is("message") && stanza.getChild("subject") === undefined,
      );
      expect(history.map(stanzaId)).toEqual(live.map(stanzaId));
      expect(history.map((stanza) => stanza.attrs.from)).toEqual([
        `${ROOM}/alice`,
        `${ROOM}/romeo`,
        `${ROOM}/bob`,
        `${ROOM}/alice`,
        `${ROOM}/alice`,
      ]);
      expect(history.map((stanza) => stanza.getChildText("body"))).toEqual([
        "one",
        "hi",
        "two",
        null,
        "one!",
      ]);
      expect(history[3]!.getChild("reactions", "urn:xmpp:reactions:0")!.attrs.id).toBe("u1");
      expect(history[4]!.getChild("replace", "urn:xmpp:message-correct:0")!.attrs.id).toBe(
        stanzaId(live[0]!),
      );
      for (const stanza of history) expect(stanza.getChild("delay", "urn:xmpp:delay")?.attrs.from).toBe(ROOM);
    });

    it("gives as much as <history/> asks: maxstanzas, since, maxchars=0", async () => {
      await conversation();
      const bodies = (stanzas: Element[]) =>
        stanzas.filter((s) => s.is("message") && !s.getChild("subject")).map((s) => s.getChildText("body"));
      expect(bodies(await join(`<history maxstanzas="2"/>`, "a"))).toEqual([null, "one!"]);
      expect(bodies(await join(`<history maxchars="0"/>`, "b"))).toEqual([]);
      expect(bodies(await join(`<history since="2999-01-01T00:00:00Z"/>`, "c"))).toEqual([]);
      expect(bodies(await join(`<history since="2000-01-01T00:00:00Z"/>`, "d"))).toHaveLength(5);
    });
    it("lets the user in without history when the archive cannot be read", async () => {
      await conversation();
      vi.spyOn(store.roomArchive, "query").mockRejectedValue(
        new StoreUnavailableError(driver.name, "test", "down for the test"),
      );
      const answer = await join(`<history maxstanzas="10"/>`, "late");
      expect(answer.filter((stanza) => stanza.getChildText("body") !== null)).toEqual([]);
      const self = answer.find((stanza) => stanza.attrs.from === `${ROOM}/romeo` && stanza.is("presence"));
      expect(self?.attrs.to).toBe(`${USER}/late`);
      // The MAM query says why it cannot answer, as a temporary failure.
      const refused = await query("o1", "<max>5</max>");
      expect(condition(refused.reply)).toBe("service-unavailable");
      expect(refused.reply.getChild("error")!.attrs.type).toBe("wait");
    });
  });

  describe("MAM queries", () => {
    it("pages forward with max and after, results before a <fin/> that says when it is complete", async () => {
      const live = await conversation();
      const ids = live.map(stanzaId);
      const first = await query("m1", "<max>2</max>");
      expect(first.reply.attrs.type).toBe("result");
      expect(first.results.map((r) => r.getChild("result", MAM)!.attrs.id)).toEqual(ids.slice(0, 2));
      expect(first.results.map(forwardedBody)).toEqual(["one", "hi"]);
      const result = first.results[0]!;
      expect(result.attrs).toMatchObject({ from: ROOM, to: `${USER}/pc` });
      expect(result.getChild("result", MAM)!.attrs.queryid).toBe("q-m1");
      expect(forwarded(result).getChild("delay", "urn:xmpp:delay")!.attrs.stamp).toMatch(/Z$/);
      expect(forwarded(result).getChild("message")!.attrs).toMatchObject({
        from: `${ROOM}/alice`,
        type: "groupchat",
      });
      const fin = first.reply.getChild("fin", MAM)!;
      expect(fin.attrs.complete).toBeUndefined();
      expect(fin.getChild("set", RSM)!.getChildText("first")).toBe(ids[0]);
      expect(fin.getChild("set", RSM)!.getChildText("last")).toBe(ids[1]);

      const second = await query("m2", `<max>2</max><after>${ids[1]}</after>`);
      expect(second.results.map((r) => r.getChild("result", MAM)!.attrs.id)).toEqual(ids.slice(2, 4));
      const third = await query("m3", `<max>2</max><after>${ids[3]}</after>`);
      expect(third.results.map(forwardedBody)).toEqual(["one!"]);
      expect(third.reply.getChild("fin", MAM)!.attrs.complete).toBe("true");
    });

    it("pages backward from the end (<before/>), flips pages, filters by occupant, ids and after-id", async () => {
      const live = await conversation();
      const ids = live.map(stanzaId) as string[];
      const last = await query("b1", "<max>2</max><before/>");
      expect(last.results.map(forwardedBody)).toEqual([null, "one!"]);
      const older = await query("b2", `<max>2</max><before>${ids[3]}</before>`);
      expect(older.results.map(forwardedBody)).toEqual(["hi", "two"]);
      const oldest = await query("b3", `<max>2</max><before>${ids[1]}</before>`);
      expect(oldest.results.map(forwardedBody)).toEqual(["one"]);
      expect(oldest.reply.getChild("fin", MAM)!.attrs.complete).toBe("true");

      const flipped = await iq(
        "f1",
        `<query xmlns="${MAM}"><set xmlns="${RSM}"><max>2</max><before/></set><flip-page/></query>`,
      );
      expect(flipped.results.map(forwardedBody)).toEqual(["one!", null]);

      const bob = await query("w1", "", mamForm(field("with", `${ROOM}/bob`)));
      expect(bob.results.map(forwardedBody)).toEqual(["two"]);
      const picked = await query(
        "i1",
        "",
        mamForm(`<field var="ids"><value>${ids[4]}</value><value>${ids[0]}</value></field>`),
      );
      expect(picked.results.map(forwardedBody)).toEqual(["one", "one!"]);
      const afterId = await query("a1", "", mamForm(field("after-id", ids[2]!)));
      expect(afterId.results.map(forwardedBody)).toEqual([null, "one!"]);
    });

    it("answers the form and the metadata, and the room advertises MAM", async () => {
      const live = await conversation();
      const form = await iq("g1", `<query xmlns="${MAM}"/>`, { type: "get" });
      const vars = form.reply.getChild("query", MAM)!.getChild("x", "jabber:x:data")!.getChildren("field");
      expect(vars.map((f) => f.attrs.var)).toEqual(
        expect.arrayContaining(["with", "start", "end", "after-id"]),
      );
      const metadata = // From a resource that never joined: the archive is the user's, joined or not.
        (
          await iq("g2", `<metadata xmlns="${MAM}"/>`, { type: "get", from: `${USER}/tablet` })
        ).reply.getChild("metadata", MAM)!;
      expect(metadata.getChild("start")!.attrs.id).toBe(stanzaId(live[0]!));
      expect(metadata.getChild("end")!.attrs.id).toBe(stanzaId(live[4]!));
      const info = await iq("d1", `<query xmlns="http://jabber.org/protocol/disco#info"/>`, { type: "get" });
      const features = info.reply
        .getChild("query")!
        .getChildren("feature")
        .map((f) => f.attrs.var);
      expect(features).toContain(MAM);
    });

    it("refuses strangers, non-rooms, unknown ids and index paging", async () => {
      await conversation();
      const stranger = await iq("s1", `<query xmlns="${MAM}"/>`, { from: "mallory@localhost/x" });
      expect(condition(stranger.reply)).toBe("registration-required");
      expect(stranger.results).toEqual([]);
      const contact = await iq("s2", `<query xmlns="${MAM}"/>`, { to: `alice@${GW}` });
      expect(condition(contact.reply)).toBe("service-unavailable");
      const unknown = await query("s3", "<after>no-such-id</after>");
      expect(condition(unknown.reply)).toBe("item-not-found");
      expect(unknown.reply.getChild("error")!.getChild("item-not-found", STANZAS)).toBeDefined();
      const index = await query("s4", "<index>3</index>");
      expect(condition(index.reply)).toBe("feature-not-implemented");
    });
  });

  describe("--room-archive-size", () => {
    it("keeps only the newest messages of each room", async () => {
      await gateway.stop();
      await start(["--room-archive-size", "2"]);
      await conversation();
      const all = await query("k1", "<max>50</max>");
      expect(all.results.map(forwardedBody)).toEqual([null, "one!"]);
      expect(all.reply.getChild("fin", MAM)!.attrs.complete).toBe("true");
    });

    it("0: no archive, no MAM feature, no history on join", async () => {
      await gateway.stop();
      await start(["--room-archive-size", "0"]);
      await conversation();
      const refused = await query("z1", "<max>5</max>");
      expect(condition(refused.reply)).toBe("service-unavailable");
      const info = await iq("z2", `<query xmlns="http://jabber.org/protocol/disco#info"/>`, { type: "get" });
      const features = info.reply
        .getChild("query")!
        .getChildren("feature")
        .map((f) => f.attrs.var);
      expect(features).not.toContain(MAM);
      const history = (await join(`<history maxstanzas="10"/>`, "other")).filter((s) =>
        s.getChildText("body"),
      );
      expect(history).toEqual([]);
      expect(await store.roomArchive.bounds((await store.users.get(USER))!.id, "lobby")).toBeUndefined();
    });
  });
});
