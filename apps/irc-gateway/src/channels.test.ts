import { startTestGateway } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import {
  connectIrcBot,
  type IrcBot,
  type MemoryTransport,
  type NgircdServer,
  startNgircd,
} from "@gangway/testing";
import type { Element } from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { IrcGateway } from "./gateway.js";

/**
 * IRC channels as rooms, on an in-memory XMPP transport and a REAL ngIRCd with bots on it: the
 * user's MUC join JOINs the channel, its names are the occupants, the bots' JOIN, PART, KICK,
 * NICK, MODE, TOPIC and messages reach the user's resources, the user's messages reach the bots.
 */

const GW = "irc.localhost";
const USER = "romeo@localhost";
const ROOM = `#gangway@${GW}`;
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

let ircd: NgircdServer;
beforeAll(async () => {
  ircd = await startNgircd();
});
afterAll(async () => {
  await ircd?.stop();
});

const item = (stanza: Element) => stanza.getChild("x", MUC_USER)?.getChild("item");
const codes = (stanza: Element) =>
  (stanza.getChild("x", MUC_USER)?.getChildren("status") ?? []).map((s) => Number(s.attrs.code));

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: IrcGateway;
  const bots: IrcBot[] = [];

  async function bot(nick: string): Promise<IrcBot> {
    const connected = await connectIrcBot({ host: "127.0.0.1", port: ircd.port, nick });
    bots.push(connected);
    return connected;
  }

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startTestGateway(IrcGateway, store, {
      domain: GW,
      args: ["--irc-server", `127.0.0.1:${ircd.port}:plain`],
    }));
    await transport.inject(`<iq type="set" id="reg" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register">
      <x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
      <field var="nickname"><value>romeo</value></field><field var="password"><value></value></field></x></query></iq>`);
    await transport.waitForSent(
      (s) => s.getChildText("status") === "Connected to 127.0.0.1 as romeo",
      10_000,
    );
  });
  afterEach(async () => {
    await gateway?.stop();
    for (const b of bots.splice(0)) await b.quit().catch(() => {});
  });

  const join = (resource = "phone", room = ROOM, nick = "romeo") =>
    transport.inject(
      `<presence id="j-${resource}" from="${USER}/${resource}" to="${room}/${nick}"><x xmlns="${MUC}"/></presence>`,
    );
  const selfPresence = (resource = "phone", room = ROOM) =>
    transport.waitForSent(
      (s) => s.is("presence") && s.attrs.to === `${USER}/${resource}` && s.attrs.from === `${room}/romeo`,
      10_000,
    );
  const presenceOf = (nick: string, test: (s: Element) => boolean = () => true) =>
    transport.waitForSent((s) => s.is("presence") && s.attrs.from === `${ROOM}/${nick}` && test(s), 5000);

  /** alice (op: first on the channel, topic set) and bob (voiced) are there before the user. */
  async function channelWithAliceAndBob(): Promise<{ alice: IrcBot; bob: IrcBot }> {
    const alice = await bot("alice");
    await alice.join("#gangway");
    alice.raw("TOPIC #gangway :Gangway talk");
    const bob = await bot("bob");
    await bob.join("#gangway");
    alice.raw("MODE #gangway +v bob");
    await bob.waitForLine((line) => line.command === "MODE" && line.params.includes("+v"));
    return { alice, bob };
  }

  describe("joining #channel@gateway", () => {
    it("JOINs the channel: its names are occupants (op → moderator, voice → member), the topic the subject", async () => {
      const { alice } = await channelWithAliceAndBob();
      const joined = alice.waitForLine((line) => line.command === "JOIN" && line.from === "romeo");
      await join();
      const aliceIn = await presenceOf("alice");
      expect(item(aliceIn)!.attrs).toMatchObject({ role: "moderator", affiliation: "admin" });
      expect(item(aliceIn)!.attrs.jid).toBeUndefined(); // a channel is semi-anonymous
      const bobIn = await presenceOf("bob");
      expect(item(bobIn)!.attrs).toMatchObject({ role: "participant", affiliation: "member" });
      const self = await selfPresence();
      expect(self.attrs.id).toBe("j-phone");
      expect(codes(self)).toEqual([110]);
      const subject = await transport.waitForSent((s) => s.getChild("subject") !== undefined);
      expect(subject.getChildText("subject")).toBe("Gangway talk");
      expect(subject.attrs.from).toBe(`${ROOM}/alice`);
      await joined;
    });

    it("takes the #chan%server form for the registered server, refuses another server and non-channels", async () => {
      const alice = await bot("alice");
      await alice.join("#gangway");
      await join("phone", `#gangway%127.0.0.1@${GW}`);
      await transport.waitForSent((s) => s.attrs.from === `#gangway%127.0.0.1@${GW}/alice`, 10_000);
      await selfPresence("phone", `#gangway%127.0.0.1@${GW}`);

      // A chat message to a channel it has not joined: said to be a room, not a contact.
      await transport.inject(
        `<message type="chat" id="c1" from="${USER}/phone" to="#elsewhere@${GW}"><body>hi</body></message>`,
      );
      const notContact = await transport.waitForSent((s) => s.attrs.id === "c1" && s.attrs.type === "error");
      expect(notContact.getChild("error")!.getChildText("text", STANZAS)).toMatch(/join it as a group chat/);

      await join("phone", `#gangway%irc.elsewhere.net@${GW}`);
      const other = await transport.waitForSent((s) => s.attrs.type === "error", 5000);
      expect(other.getChild("error")!.getChild("item-not-found", STANZAS)).toBeDefined();
      await join("phone", `#a\\20b@${GW}`); // "#a b": no space in a channel name
      const space = await transport.waitForSent((s) => s.attrs.type === "error", 5000);
      expect(space.getChild("error")!.getChild("not-acceptable", STANZAS)).toBeDefined();
    });
  });

  describe("in the channel", () => {
    it("carries messages both ways: the bot's PRIVMSG, NOTICE and ACTION in, the user's text out (reflected)", async () => {
      const { alice } = await channelWithAliceAndBob();
      await join();
      await selfPresence();
      await alice.say("#gangway", "hello \x02room\x02");
      const said = await transport.waitForSent((s) => s.getChildText("body") === "hello *room*");
      expect(said.attrs).toMatchObject({ type: "groupchat", from: `${ROOM}/alice`, to: `${USER}/phone` });
      await alice.notice("#gangway", "a notice");
      await transport.waitForSent((s) => s.getChildText("body") === "a notice");
      await alice.action("#gangway", "waves");
      await transport.waitForSent((s) => s.getChildText("body") === "/me waves");

      await transport.inject(
        `<message type="groupchat" id="u1" from="${USER}/phone" to="${ROOM}"><body>hi *all*</body></message>`,
      );
      const got = await alice.waitForMessage((m) => m.target === "#gangway" && m.from === "romeo");
      expect(got.text).toBe("hi \x02all\x02");
      const reflected = await transport.waitForSent(
        (s) => s.attrs.id === "u1" && s.attrs.type === "groupchat",
      );
      expect(reflected.attrs.from).toBe(`${ROOM}/romeo`);
      // A bare chat state goes nowhere on a server without message-tags, and is no error.
      await transport.inject(
        `<message type="groupchat" id="u2" from="${USER}/phone" to="${ROOM}"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`,
      );
      expect(transport.sent.some((s) => s.attrs.id === "u2" && s.attrs.type === "error")).toBe(false);
    });

    it("keeps the channel's messages in the room archive: a later join gets them as <history/>", async () => {
      const alice = await bot("alice");
      await alice.join("#gangway");
      await join("phone");
      await selfPresence("phone");
      await alice.say("#gangway", "said before you came");
      await transport.waitForSent((s) => s.getChildText("body") === "said before you came");
      await transport.inject(
        `<presence id="j-pc" from="${USER}/pc" to="${ROOM}/romeo"><x xmlns="${MUC}"><history maxstanzas="5"/></x></presence>`,
      );
      const replayed = await transport.waitForSent(
        (s) => s.attrs.to === `${USER}/pc` && s.getChildText("body") === "said before you came",
        5000,
      );
      expect(replayed.attrs.from).toBe(`${ROOM}/alice`);
      expect(replayed.getChild("delay", "urn:xmpp:delay")).toBeDefined();
    });

    it("says in the room what the server refused: a message to a moderated channel, a TOPIC without op", async () => {
      const alice = await bot("alice");
      await alice.join("#gangway");
      alice.raw("MODE #gangway +mt");
      await alice.waitForLine((line) => line.command === "MODE" && line.params.includes("+mt"));
      await join();
      await selfPresence();
      await transport.inject(
        `<message type="groupchat" id="m1" from="${USER}/phone" to="${ROOM}"><body>can anyone hear me</body></message>`,
      );
      const refused = await transport.waitForSent(
        (s) => s.attrs.from === ROOM && /The IRC server refused this: /.test(s.getChildText("body") ?? ""),
        5000,
      );
      expect(refused.attrs.type).toBe("groupchat");
      await transport.inject(
        `<message type="groupchat" id="t1" from="${USER}/phone" to="${ROOM}"><subject>mine now</subject></message>`,
      );
      // Not an op on a +t channel: the TOPIC is refused, and the room says so (the subject stays).
      const topicRefused = await transport.waitForSent(
        (s) => s.attrs.from === ROOM && /The IRC server refused this: /.test(s.getChildText("body") ?? ""),
        5000,
      );
      expect(topicRefused.getChildText("body")).toMatch(/operator/);
      expect(transport.sent.some((s) => s.getChildText("subject") === "mine now")).toBe(false);
    });

    it("splits a long message into lines that fit, each a PRIVMSG to the channel", async () => {
      const alice = await bot("alice");
      await alice.join("#gangway");
      await join();
      await selfPresence();
      const long = Array.from({ length: 150 }, (_, i) => `word${i}`).join(" ");
      await transport.inject(
        `<message type="groupchat" id="u3" from="${USER}/phone" to="${ROOM}"><body>${long}</body></message>`,
      );
      const parts: string[] = [];
      while (parts.join(" ") !== long) {
        const next = await alice.waitForMessage((m) => m.target === "#gangway" && m.from === "romeo");
        expect(next.line.bytes).toBeLessThanOrEqual(510);
        parts.push(next.text);
      }
      expect(parts.length).toBeGreaterThan(1);
    });

    it("shows JOIN, NICK, MODE, TOPIC, KICK (307 with the reason), PART and QUIT as occupant presences", async () => {
      const { alice, bob } = await channelWithAliceAndBob();
      await join();
      await selfPresence();
      const carol = await bot("carol");
      await carol.join("#gangway");
      expect(item(await presenceOf("carol"))!.attrs).toMatchObject({
        role: "participant",
        affiliation: "none",
      });

      await carol.changeNick("caroline");
      const renamed = await presenceOf("carol", (s) => s.attrs.type === "unavailable");
      expect(codes(renamed)).toEqual([303]);
      expect(item(renamed)!.attrs.nick).toBe("caroline");
      await presenceOf("caroline");

      alice.raw("MODE #gangway +o caroline");
      expect(item(await presenceOf("caroline"))!.attrs).toMatchObject({
        role: "moderator",
        affiliation: "admin",
      });

      alice.raw("TOPIC #gangway :new topic");
      const topic = await transport.waitForSent((s) => s.getChildText("subject") === "new topic");
      expect(topic.attrs.from).toBe(`${ROOM}/alice`);

      alice.raw("KICK #gangway bob :be nice");
      const kicked = await presenceOf("bob", (s) => s.attrs.type === "unavailable");
      expect(codes(kicked)).toEqual([307]);
      expect(item(kicked)!.getChildText("reason")).toBe("be nice");

      await carol.part("#gangway", "bye");
      const parted = await presenceOf("caroline", (s) => s.attrs.type === "unavailable");
      expect(parted.getChildText("status")).toBe("bye");
      await bob.join("#gangway");
      await presenceOf("bob", (s) => !s.attrs.type);
      await bob.quit("gone");
      const quit = await presenceOf("bob", (s) => s.attrs.type === "unavailable");
      expect(quit.getChildText("status")).toMatch(/gone/);
    });

    it("as an op, the user is a moderator: kicks (muc#admin) and topic changes go to IRC, shown when echoed", async () => {
      // The user opens the channel: its first member is op.
      await join();
      const self = await selfPresence();
      expect(item(self)!.attrs).toMatchObject({ role: "moderator", affiliation: "admin" });
      const bob = await bot("bob");
      await bob.join("#gangway");
      await presenceOf("bob");

      await transport.inject(`<iq type="set" id="k1" from="${USER}/phone" to="${ROOM}">
        <query xmlns="http://jabber.org/protocol/muc#admin"><item nick="bob" role="none"><reason>be
nice</reason></item></query></iq>`);
      const kick = await bob.waitForLine((line) => line.command === "KICK", 5000);
      expect(kick.params).toEqual(["#gangway", "bob", "be nice"]);
      const kicked = await presenceOf("bob", (s) => s.attrs.type === "unavailable");
      expect(codes(kicked)).toEqual([307]);

      await transport.inject(
        `<message type="groupchat" id="t1" from="${USER}/phone" to="${ROOM}"><subject>our topic</subject></message>`,
      );
      const subject = await transport.waitForSent((s) => s.getChildText("subject") === "our topic", 5000);
      expect(subject.attrs.from).toBe(`${ROOM}/romeo`);

      // Deopped on IRC: the user's own presence says so (110).
      const carol = await bot("carol");
      await carol.join("#gangway");
      await presenceOf("carol");
      const gateway_ = gateway.sessionFor(USER) as unknown as { ircClient(): { raw(...a: string[]): void } };
      gateway_.ircClient().raw("MODE", "#gangway", "-o", "romeo");
      const demoted = await transport.waitForSent(
        (s) => s.attrs.from === `${ROOM}/romeo` && item(s)?.attrs.role === "participant",
        5000,
      );
      expect(codes(demoted)).toEqual([110]);

      // Renamed on IRC (here by our own client): the joined resource sees 303, then itself as romy.
      gateway_.ircClient().raw("NICK", "romy");
      const renamed = await transport.waitForSent(
        (s) => s.attrs.from === `${ROOM}/romeo` && s.attrs.type === "unavailable",
        5000,
      );
      expect(codes(renamed)).toEqual([110, 303]);
      expect(item(renamed)!.attrs.nick).toBe("romy");
      const back = await transport.waitForSent((s) => s.attrs.from === `${ROOM}/romy` && !s.attrs.type, 5000);
      expect(codes(back)).toEqual([110]);
    });

    it("joins the channel again after a lost connection comes back, with the names as they are now", async () => {
      const alice = await bot("alice");
      await alice.join("#gangway");
      await join();
      await selfPresence();
      await presenceOf("alice");
      await ircd.restart({ downMs: 300 });
      await transport.waitForSent(
        (s) => s.getChildText("status") === "Connected to 127.0.0.1 as romeo",
        15_000,
      );
      // The restart dropped alice too: the new names do not have her.
      await presenceOf("alice", (s) => s.attrs.type === "unavailable");
      const dave = await bot("dave");
      await dave.join("#gangway");
      await presenceOf("dave");
      await dave.say("#gangway", "anyone?");
      const said = await transport.waitForSent((s) => s.getChildText("body") === "anyone?", 5000);
      expect(said.attrs.from).toBe(`${ROOM}/dave`);
    });

    it("leaving from every joined resource PARTs the channel; a kick of the user is its 307 with who and why", async () => {
      const alice = await bot("alice");
      await alice.join("#gangway");
      await join("phone");
      await selfPresence("phone");
      await join("pc");
      await selfPresence("pc");
      await transport.inject(`<presence type="unavailable" from="${USER}/phone" to="${ROOM}/romeo"/>`);
      await transport.waitForSent((s) => s.attrs.type === "unavailable" && s.attrs.to === `${USER}/phone`);
      const parted = alice.waitForLine((line) => line.command === "PART" && line.from === "romeo", 5000);
      await transport.inject(`<presence type="unavailable" from="${USER}/pc" to="${ROOM}/romeo"/>`);
      await parted;

      await join("pc");
      await selfPresence("pc");
      alice.raw("KICK #gangway romeo :out");
      const gone = await transport.waitForSent(
        (s) => s.attrs.type === "unavailable" && s.attrs.from === `${ROOM}/romeo`,
        5000,
      );
      expect(codes(gone)).toEqual([110, 307]);
      const item = gone.getChild("x", "http://jabber.org/protocol/muc#user")!.getChild("item")!;
      expect(item.getChildText("reason")).toBe("out");
      expect(item.getChild("actor")!.attrs.nick).toBe("alice");
    });
  });
});
