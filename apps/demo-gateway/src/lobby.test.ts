import type { Element } from "@gangway/core";
import { drain } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { LOBBY_TOPIC } from "./lobby.js";
import { GW, ROMEO, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const LOBBY = `lobby@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";

/** The demo's group `lobby`, through the in-memory transport: join, echo, mirrored edits, alice's moves. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  /** Waits for the demo network's answers (they come on a later turn of the event loop). */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

  async function joinLobby(): Promise<Element[]> {
    await transport.inject(
      `<presence id="j1" from="${ROMEO}/pc" to="${LOBBY}/romeo"><x xmlns="${MUC}"/></presence>`,
    );
    return drain(transport);
  }

  async function say(inner: string, id: string): Promise<Element[]> {
    await transport.inject(
      `<message type="groupchat" id="${id}" from="${ROMEO}/pc" to="${LOBBY}">${inner}</message>`,
    );
    await settle();
    return drain(transport);
  }

  describe("the lobby", () => {
    it("is listed on the gateway and joined with echo, alice and bob in it, and its topic", async () => {
      await transport.inject(
        `<iq type="get" id="d1" from="${ROMEO}/pc" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#items"/></iq>`,
      );
      expect(
        transport
          .nextSent()
          .getChild("query")!
          .getChildren("item")
          .map((i) => i.attrs),
      ).toEqual([{ jid: LOBBY, name: "Lobby" }]);
      const sent = await joinLobby();
      expect(sent.map((s) => s.attrs.from)).toEqual([
        `${LOBBY}/echo`,
        `${LOBBY}/alice`,
        `${LOBBY}/bob`,
        `${LOBBY}/romeo`,
        LOBBY,
      ]);
      // Non-anonymous: each occupant's contact JID is shown.
      expect(sent[0]!.getChild("x", MUC_USER)!.getChild("item")!.attrs.jid).toBe(`echo@${GW}`);
      expect(sent.at(-1)!.getChildText("subject")).toBe(LOBBY_TOPIC);
    });

    it("reflects the user's message, then echo answers in the room", async () => {
      await joinLobby();
      const [reflection, answer] = await say("<body>hi</body>", "m1");
      expect(reflection!.attrs).toMatchObject({ from: `${LOBBY}/romeo`, id: "m1", type: "groupchat" });
      expect(answer!.attrs).toMatchObject({ from: `${LOBBY}/echo`, type: "groupchat", to: `${ROMEO}/pc` });
      expect(answer!.getChildText("body")).toBe("echo: hi");
    });

    it("mirrors corrections, retractions and reactions as echo does 1:1", async () => {
      await joinLobby();
      const [, answer] = await say("<body>helo</body>", "m1");
      const echoId = String(answer!.attrs.id);
      const [, corrected] = await say(
        `<body>hello</body><replace xmlns="urn:xmpp:message-correct:0" id="m1"/>`,
        "m2",
      );
      expect(corrected!.getChildText("body")).toBe("echo: hello");
      expect(corrected!.getChild("replace", "urn:xmpp:message-correct:0")!.attrs.id).toBe(echoId);
      const [, reacted] = await say(
        `<reactions xmlns="urn:xmpp:reactions:0" id="${echoId}"><reaction>👍</reaction></reactions>`,
        "m3",
      );
      expect(reacted!.attrs.from).toBe(`${LOBBY}/echo`);
      expect(reacted!.getChild("reactions", "urn:xmpp:reactions:0")!.attrs.id).toBe("m1");
      const [, retracted] = await say(`<retract xmlns="urn:xmpp:message-retract:1" id="m1"/>`, "m4");
      expect(retracted!.getChild("retract", "urn:xmpp:message-retract:1")!.attrs.id).toBe(echoId);
    });

    it("makes alice leave and join on /alice-leave and /alice-join", async () => {
      await joinLobby();
      const [, left] = await say("<body>/alice-leave</body>", "c1");
      expect(left!.attrs).toMatchObject({ from: `${LOBBY}/alice`, type: "unavailable" });
      const [, joined] = await say("<body>/alice-join</body>", "c2");
      expect(joined!.attrs.from).toBe(`${LOBBY}/alice`);
      expect(joined!.attrs.type).toBeUndefined();
    });
  });

  describe("the user runs the lobby", () => {
    const iq = async (id: string, payload: string) => {
      await transport.inject(`<iq type="set" id="${id}" from="${ROMEO}/pc" to="${LOBBY}">${payload}</iq>`);
      await settle();
      return drain(transport);
    };

    it("joins as moderator: mentioning echo gets a mention back, mentioning alice her read marker", async () => {
      const sent = await joinLobby();
      const self = sent.find((s) => s.attrs.from === `${LOBBY}/romeo`)!;
      expect(self.getChild("x", MUC_USER)!.getChild("item")!.attrs).toMatchObject({
        role: "moderator",
        affiliation: "admin",
      });
      const [, read, answer] = await say("<body>alice, echo: ping</body>", "m1");
      expect(read!.attrs.from).toBe(`${LOBBY}/alice`);
      expect(read!.getChild("displayed", "urn:xmpp:chat-markers:0")!.attrs.id).toBe("m1");
      expect(answer!.getChildText("body")).toBe("romeo: echo: alice, echo: ping");
      expect(answer!.getChild("reference", "urn:xmpp:reference:0")!.attrs).toMatchObject({
        type: "mention",
        uri: `xmpp:${LOBBY}/romeo`,
        begin: "0",
        end: "5",
      });
    });

    it("deletes echo's answer for everyone (XEP-0425), removes bob (307) and sets the topic", async () => {
      await joinLobby();
      const [, answer] = await say("<body>hi</body>", "m1");
      const moderated = await iq(
        "mod1",
        `<moderate xmlns="urn:xmpp:message-moderate:1" id="${answer!.attrs.id}"><retract xmlns="urn:xmpp:message-retract:1"/><reason>test</reason></moderate>`,
      );
      const retraction = moderated.find((s) => s.name === "message")!;
      const retract = retraction.getChild("retract", "urn:xmpp:message-retract:1")!;
      expect(retract.attrs.id).toBe(answer!.attrs.id);
      expect(retract.getChild("moderated", "urn:xmpp:message-moderate:1")!.attrs.by).toBe(`${LOBBY}/romeo`);
      expect(moderated.find((s) => s.name === "iq")!.attrs.type).toBe("result");

      const kicked = await iq(
        "k1",
        `<query xmlns="http://jabber.org/protocol/muc#admin"><item nick="bob" role="none"><reason>nap</reason></item></query>`,
      );
      const gone = kicked.find((s) => s.name === "presence")!;
      expect(gone.attrs).toMatchObject({ from: `${LOBBY}/bob`, type: "unavailable" });
      expect(gone.getChild("x", MUC_USER)!.getChild("status")!.attrs.code).toBe("307");

      const [subject] = await say("<subject>Quiet please</subject>", "s1");
      expect(subject!.attrs.from).toBe(`${LOBBY}/romeo`);
      expect(subject!.getChildText("subject")).toBe("Quiet please");
    });
  });
});
