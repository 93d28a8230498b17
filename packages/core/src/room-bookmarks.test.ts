import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { MemoryTransport } from "@gangway/testing";
import { type Element, type FormValues, parseBookmarks, parseXml } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { testGatewayDependencies } from "./testing/index.js";

/**
 * The user's rooms told once each: XEP-0402 bookmarks through the XEP-0356 pubsub IQ privilege
 * (never over one the user has), XEP-0249 invitations without it, and a removed room destroyed.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const PRIVILEGE = "urn:xmpp:privilege:2";
const PUBSUB = "http://jabber.org/protocol/pubsub";
const BOOKMARKS = "urn:xmpp:bookmarks:1";
const MUC_USER = "http://jabber.org/protocol/muc#user";

/** The legacy network's groups: legacy id → name. Tests change it between restarts. */
let groups: Record<string, string> = {};

class Group extends LegacyRoom {
  override async updateInfo() {
    this.name = groups[this.legacyId];
    this.userNick = "Romeo";
  }
}

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = Group;
  override async *listRooms() {
    for (const id of Object.keys(groups)) yield this.rooms.byLegacyId(id);
  }
}

class TestGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  static override COMPONENT_NAME = "Net";
  static override GROUPS = true;
  readonly Session = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

/** The user's server: answers privileged pubsub IQs from a PEP node kept here, as Prosody does. */
class ServerTransport extends MemoryTransport {
  /** Item id → `<item/>` of the user's bookmarks node; undefined: the node does not exist. */
  node: Map<string, Element> | undefined;
  /** Answers every pubsub IQ service-unavailable, as Prosody does with mod_privilege but no mod_pep. */
  noPep = false;

  override send(stanza: Element): Promise<void> {
    const written = super.send(stanza);
    const inner = stanza.getChild("privileged_iq", PRIVILEGE)?.getChild("iq");
    if (stanza.is("iq") && inner) {
      const answer = this.answer(inner);
      const reply = `<iq type="result" id="${stanza.attrs.id}" from="${USER}" to="${GW}"><privilege xmlns="${PRIVILEGE}"><forwarded xmlns="urn:xmpp:forward:0">${answer}</forwarded></privilege></iq>`;
      setImmediate(() => void this.inject(reply));
    }
    return written;
  }

  private answer(iq: Element): string {
    const head = `<iq xmlns="jabber:client" id="${iq.attrs.id}" from="${USER}" to="${USER}"`;
    const notFound = `${head} type="error"><error type="cancel"><item-not-found xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`;
    if (this.noPep)
      return `${head} type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`;
    const pubsub = iq.getChild("pubsub", PUBSUB)!;
    const items = pubsub.getChild("items");
    if (items) {
      if (!this.node) return notFound;
      return `${head} type="result"><pubsub xmlns="${PUBSUB}"><items node="${BOOKMARKS}">${[...this.node.values()].join("")}</items></pubsub></iq>`;
    }
    const publish = pubsub.getChild("publish")?.getChild("item");
    if (publish) {
      this.node ??= new Map();
      this.node.set(String(publish.attrs.id), publish);
      return `${head} type="result"/>`;
    }
    const retract = pubsub.getChild("retract")?.getChild("item");
    if (retract && this.node?.delete(String(retract.attrs.id))) return `${head} type="result"/>`;
    return notFound;
  }

  bookmarks() {
    if (!this.node) return [];
    return parseBookmarks(
      parseXml(
        `<pubsub xmlns="${PUBSUB}"><items node="${BOOKMARKS}">${[...this.node.values()].join("")}</items></pubsub>`,
      ),
    );
  }
}

const advertisement = (iq: string) =>
  `<message from="localhost" to="${GW}"><privilege xmlns="${PRIVILEGE}">${iq}</privilege></message>`;
const PUBSUB_GRANT = `<perm access="iq"><namespace ns="${PUBSUB}" type="both"/></perm>`;

forEachDriver((driver) => {
  let store: Store;
  let transport: ServerTransport;
  let gateway: TestGateway | undefined;
  /** The user's PEP node, kept across gateway restarts as the server keeps it. */
  let node: Map<string, Element> | undefined;
  /** What the transport sent before this is not looked at. */
  let mark = 0;

  /** A gateway (re)start on the same store; `privileged`: the server grants the pubsub IQ privilege. */
  async function start(privileged: boolean, options: { noPep?: boolean } = {}) {
    await gateway?.stop();
    transport = new ServerTransport({ domain: GW });
    transport.node = node;
    transport.noPep = options.noPep ?? false;
    mark = 0;
    gateway = new TestGateway({
      ...testGatewayDependencies(TestGateway, store, transport, { domain: GW }),
      privilegeWaitMs: 5000,
    });
    const starting = gateway.start();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await transport.inject(advertisement(privileged ? PUBSUB_GRANT : ""));
    await starting;
    await session().rooms.bookmarked;
    node = transport.node;
  }
  const session = () => gateway!.sessionFor(USER)!;
  const sent = () => transport.sent.slice(mark);
  const pubsubIqs = () =>
    sent().flatMap((s) => {
      const pubsub = s.getChild("privileged_iq", PRIVILEGE)?.getChild("iq")?.getChild("pubsub", PUBSUB);
      const action = pubsub?.getChildElements()[0];
      if (!action) return [];
      return [`${action.name} ${action.getChild("item")?.attrs.id ?? ""}`.trim()];
    });
  const invitations = () =>
    sent()
      .filter((s) => s.is("message") && s.getChild("x", "jabber:x:conference"))
      .map((s) => `${s.attrs.from} → ${s.attrs.to}: ${s.getChild("x")!.attrs.jid}`);
  const stored = async () => store.roomBookmarks.listForUser((await store.users.get(USER))!.id);

  beforeEach(async () => {
    groups = { lobby: "The Lobby", garden: "Garden" };
    gateway = undefined;
    node = undefined;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    await gateway?.stop();
  });

  describe("with the pubsub IQ privilege", () => {
    it("publishes each room as an autojoin bookmark once, then sends no IQ at later logins", async () => {
      await start(true);
      expect(pubsubIqs()).toEqual(["items", `publish lobby@${GW}`, `publish garden@${GW}`]);
      expect(transport.bookmarks()).toEqual([
        { room: `lobby@${GW}`, name: "The Lobby", autojoin: true, nick: "Romeo" },
        { room: `garden@${GW}`, name: "Garden", autojoin: true, nick: "Romeo" },
      ]);
      const publish = sent().find((s) => s.toString().includes("<publish"))!;
      expect(publish.toString()).toContain('<field var="pubsub#access_model"><value>whitelist</value>');
      expect(invitations()).toEqual([]);
      expect(await stored()).toEqual(
        new Map([
          ["lobby", "pep"],
          ["garden", "pep"],
        ]),
      );

      await start(true);
      expect(pubsubIqs()).toEqual([]);
    });

    it("reads nothing and sends nothing for a user without groups", async () => {
      groups = {};
      const listForUser = vi.spyOn(store.roomBookmarks, "listForUser");
      await start(true);
      expect(listForUser).not.toHaveBeenCalled();
      expect(pubsubIqs()).toEqual([]);
      expect(invitations()).toEqual([]);
    });

    it("leaves a bookmark the user already has as they set it, and publishes only a new group", async () => {
      node = new Map([
        [
          `lobby@${GW}`,
          parseXml(
            `<item xmlns="${PUBSUB}" id="lobby@${GW}"><conference xmlns="${BOOKMARKS}" autojoin="false" name="mine"/></item>`,
          ),
        ],
      ]);
      await start(true);
      expect(pubsubIqs()).toEqual(["items", `publish garden@${GW}`]);
      expect(transport.bookmarks()[0]).toEqual({ room: `lobby@${GW}`, name: "mine", autojoin: false });

      groups.attic = "Attic";
      await start(true);
      // One read, as the user may have bookmarked it meanwhile, and one publish.
      expect(pubsubIqs()).toEqual(["items", `publish attic@${GW}`]);
    });

    it("bookmarks a group the user is added to after the login, not a room merely opened", async () => {
      await start(true);
      mark = transport.sent.length;
      groups.attic = "Attic";
      await session().rooms.add("attic");
      await session().rooms.byLegacyId("#side");
      await session().rooms.bookmarked;
      expect(pubsubIqs()).toEqual(["items", `publish attic@${GW}`]);
    });
  });

  describe("without it", () => {
    it("invites the user to each room once, and bookmarks them once the privilege is granted", async () => {
      await start(false);
      expect(invitations()).toEqual([`${GW} → ${USER}: lobby@${GW}`, `${GW} → ${USER}: garden@${GW}`]);
      const invitation = sent().find((s) => s.getChild("x", "jabber:x:conference"))!;
      expect(invitation.getChildText("body")).toBe(
        `You are in the group The Lobby (lobby@${GW}): join it at xmpp:lobby@${GW}?join`,
      );
      expect(pubsubIqs()).toEqual([]);

      await start(false);
      expect(invitations()).toEqual([]);

      await start(true);
      expect(invitations()).toEqual([]);
      expect(pubsubIqs()).toEqual(["items", `publish lobby@${GW}`, `publish garden@${GW}`]);
      expect(await stored()).toEqual(
        new Map([
          ["lobby", "pep"],
          ["garden", "pep"],
        ]),
      );
    });
  });

  describe("privileges advertised after the login", () => {
    it("invites at the login, then publishes the bookmarks once the grant arrives", async () => {
      transport = new ServerTransport({ domain: GW });
      gateway = new TestGateway({
        ...testGatewayDependencies(TestGateway, store, transport, { domain: GW }),
        privilegeWaitMs: 0,
      });
      await gateway.start();
      await session().rooms.bookmarked;
      expect(invitations()).toEqual([`${GW} → ${USER}: lobby@${GW}`, `${GW} → ${USER}: garden@${GW}`]);
      mark = transport.sent.length;
      await transport.inject(advertisement(PUBSUB_GRANT));
      await vi.waitFor(() =>
        expect(pubsubIqs()).toEqual(["items", `publish lobby@${GW}`, `publish garden@${GW}`]),
      );
      expect(invitations()).toEqual([]);
    });
  });

  describe("with the store down", () => {
    it("tells nothing rather than everything again, and catches up at the next login", async () => {
      await start(false);
      expect(invitations()).toHaveLength(2);
      groups.attic = "Attic";
      const listing = vi
        .spyOn(store.roomBookmarks, "listForUser")
        .mockRejectedValue(new Error("database unavailable"));
      await start(false);
      expect(listing).toHaveBeenCalled();
      expect(invitations()).toEqual([]);

      listing.mockRestore();
      await start(false);
      expect(invitations()).toEqual([`${GW} → ${USER}: attic@${GW}`]);
    });
  });

  describe("with the privilege but no PEP on the server", () => {
    it("invites the user instead, once, and tries the bookmarks again at the next login", async () => {
      await start(true, { noPep: true });
      expect(pubsubIqs()).toEqual(["items"]);
      expect(invitations()).toEqual([`${GW} → ${USER}: lobby@${GW}`, `${GW} → ${USER}: garden@${GW}`]);

      await start(true, { noPep: true });
      expect(pubsubIqs()).toEqual(["items"]);
      expect(invitations()).toEqual([]);
      expect(await stored()).toEqual(
        new Map([
          ["lobby", "invitation"],
          ["garden", "invitation"],
        ]),
      );
    });
  });

  describe("a room the user is removed from", () => {
    it("is destroyed for each joined resource, its bookmark retracted, and a later join refused", async () => {
      await start(true);
      for (const resource of ["pc", "phone"]) {
        await transport.inject(
          `<presence from="${USER}/${resource}" to="lobby@${GW}/Romeo"><x xmlns="http://jabber.org/protocol/muc"/></presence>`,
        );
      }
      mark = transport.sent.length;

      expect(await session().rooms.remove("lobby", "The group was deleted")).toBe(true);
      const destructions = sent().filter((s) => s.is("presence"));
      expect(destructions.map((p) => p.attrs.to)).toEqual([`${USER}/pc`, `${USER}/phone`]);
      for (const presence of destructions) {
        expect(presence.attrs).toMatchObject({ from: `lobby@${GW}/Romeo`, type: "unavailable" });
        const x = presence.getChild("x", MUC_USER)!;
        expect(x.getChild("item")!.attrs).toMatchObject({ affiliation: "none", role: "none" });
        expect(x.getChild("destroy")!.getChildText("reason")).toBe("The group was deleted");
        expect(x.getChildren("status").map((s) => s.attrs.code)).toEqual(["110"]);
      }
      expect(pubsubIqs()).toEqual([`retract lobby@${GW}`]);
      expect(transport.bookmarks().map((b) => b.room)).toEqual([`garden@${GW}`]);
      expect(await stored()).toEqual(new Map([["garden", "pep"]]));
      expect(session().rooms.byJidLocal("lobby")).toBeUndefined();
      expect(await session().rooms.remove("lobby")).toBe(false);

      mark = transport.sent.length;
      await transport.inject(
        `<presence id="again" from="${USER}/pc" to="lobby@${GW}/Romeo"><x xmlns="http://jabber.org/protocol/muc"/></presence>`,
      );
      const refusal = sent().find((s) => s.attrs.id === "again")!;
      expect(refusal.attrs.type).toBe("error");
      expect(refusal.getChild("error")!.getChild("item-not-found")).toBeDefined();
    });
  });
});
