import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { type FormValues, unescapeLocalpart, XmppError } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { type AnyRoom, LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { drain, startTestGateway } from "./testing/index.js";

/** `roomForJoin`: a join to a room the session has not listed opens it on demand, or is refused. */

const GW = "net.localhost";
const USER = "romeo@localhost";
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

const opened: string[] = [];

class OnDemandRoom extends LegacyRoom {
  override async updateInfo() {
    opened.push(this.legacyId);
    this.type = "channel";
    this.userNick = "romeo";
    this.addParticipant("alice");
  }
}

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = OnDemandRoom;
  override async roomForJoin(jidLocal: string): Promise<AnyRoom | undefined> {
    const name = unescapeLocalpart(jidLocal);
    if (name === "closed") throw new XmppError("forbidden", "That channel is closed.");
    return name.startsWith("#") ? this.rooms.byLegacyId(name) : undefined;
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  static override GROUPS = true;
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  beforeEach(async () => {
    opened.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(TestGateway, store, { domain: GW }));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const join = (local: string, resource = "pc") =>
    transport.inject(
      `<presence id="j-${resource}" from="${USER}/${resource}" to="${local}@${GW}/romeo"><x xmlns="${MUC}"/></presence>`,
    );

  describe("roomForJoin", () => {
    it("opens the room the session returns, joins it, and finds it by its JID from then on", async () => {
      await join("#news");
      const [alice, self] = drain(transport);
      expect(alice!.attrs.from).toBe(`#news@${GW}/alice`);
      expect(self!.attrs).toMatchObject({ from: `#news@${GW}/romeo`, id: "j-pc" });
      expect(
        self!
          .getChild("x", MUC_USER)!
          .getChildren("status")
          .map((s) => s.attrs.code),
      ).toEqual(["110"]);
      // A second resource finds the room without asking the session again.
      await join("#news", "phone");
      expect(opened).toEqual(["#news"]);
      expect(gateway.sessionFor(USER)!.rooms.byJidLocal("#news")!.joinedResources.size).toBe(2);
    });

    it("refuses with room-not-found when the session has no such room, and with the session's error", async () => {
      await join("nothing");
      const unknown = transport.nextSent();
      expect(unknown.attrs.type).toBe("error");
      expect(unknown.getChild("error")!.getChild("item-not-found", STANZAS)).toBeDefined();
      await join("closed");
      const closed = transport.nextSent();
      expect(closed.attrs.type).toBe("error");
      expect(closed.getChild("error")!.getChild("forbidden", STANZAS)).toBeDefined();
      expect(closed.getChild("error")!.getChildText("text", STANZAS)).toBe("That channel is closed.");
      expect(opened).toEqual([]);
    });
  });
});
