import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  buildGroupchatMessage,
  buildMucPrivateMessage,
  buildSubjectMessage,
  classifyMucPing,
  mucPingError,
  mucPingReply,
  parseRoomMessage,
  roomAvatarPresence,
  roomDiscoInfo,
  roomDiscoItems,
} from "./muc.js";

const ROOM = "lobby@gw.example";
const USER = "romeo@example.org/phone";
const STAMP = new Date("2026-01-02T03:04:05Z");

function refusal(run: () => unknown): XmppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XmppError);
    return error as XmppError;
  }
  throw new Error("expected an XmppError");
}

function features(xml: string): string[] {
  return [...xml.matchAll(/<feature var="([^"]+)"\/>/g)].map((match) => match[1] ?? "");
}

describe("room disco", () => {
  it("describes a small private group with everything on", () => {
    expect(
      roomDiscoInfo({
        name: "Lobby",
        description: "d",
        subject: "s",
        occupants: 3,
        avatarHash: "abc",
        membersOnly: true,
        nonAnonymous: true,
        moderation: true,
      }).toString(),
    ).toBe(
      '<query xmlns="http://jabber.org/protocol/disco#info"><identity category="conference" type="text" name="Lobby"/>' +
        '<feature var="http://jabber.org/protocol/disco#info"/><feature var="http://jabber.org/protocol/muc"/>' +
        '<feature var="http://jabber.org/protocol/muc#stable_id"/><feature var="urn:xmpp:occupant-id:0"/>' +
        '<feature var="http://jabber.org/protocol/muc#self-ping-optimization"/><feature var="muc_persistent"/><feature var="muc_membersonly"/><feature var="muc_nonanonymous"/>' +
        '<feature var="muc_hidden"/><feature var="muc_unsecured"/><feature var="urn:xmpp:mam:2"/>' +
        '<feature var="urn:xmpp:mam:2#extended"/><feature var="urn:xmpp:message-moderate:1"/>' +
        '<feature var="urn:xmpp:reactions:0"/><feature var="urn:xmpp:message-retract:1"/>' +
        '<feature var="urn:xmpp:message-correct:0"/><feature var="vcard-temp"/>' +
        '<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden">' +
        "<value>http://jabber.org/protocol/muc#roominfo</value></field>" +
        '<field var="muc#roomconfig_roomname" type="text-single" label="Name"><value>Lobby</value></field>' +
        '<field var="muc#roominfo_description" type="text-single" label="Description"><value>d</value></field>' +
        '<field var="muc#roominfo_subject" type="text-single" label="Subject"><value>s</value></field>' +
        '<field var="muc#roominfo_occupants" type="text-single" label="Number of occupants"><value>3</value></field>' +
        '<field var="muc#roominfo_avatarhash" type="text-multi" label="Avatar hash"><value>abc</value></field>' +
        "</x></query>",
    );
  });

  it("describes a large public channel, and leaves out what is switched off", () => {
    const info = roomDiscoInfo({
      membersOnly: false,
      nonAnonymous: false,
      public: true,
      persistent: false,
      moderated: true,
      archive: false,
      messageFeatures: false,
      extraFeatures: ["urn:example:x", "muc_open"],
      node: "n",
    }).toString();
    expect(
      info.startsWith(
        '<query xmlns="http://jabber.org/protocol/disco#info" node="n"><identity category="conference" type="text"/>',
      ),
    ).toBe(true);
    expect(features(info)).toEqual([
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/muc",
      "http://jabber.org/protocol/muc#stable_id",
      "urn:xmpp:occupant-id:0",
      "http://jabber.org/protocol/muc#self-ping-optimization",
      "muc_temporary",
      "muc_open",
      "muc_semianonymous",
      "muc_public",
      "muc_unsecured",
      "muc_moderated",
      "urn:example:x",
    ]);
    expect(info).toContain(
      '<x xmlns="jabber:x:data" type="result"><field var="FORM_TYPE" type="hidden"><value>http://jabber.org/protocol/muc#roominfo</value></field></x>',
    );
  });

  it("lists occupants, or nothing", () => {
    expect(roomDiscoItems(ROOM, ["alice", "bob"]).toString()).toBe(
      `<query xmlns="http://jabber.org/protocol/disco#items"><item jid="${ROOM}/alice"/><item jid="${ROOM}/bob"/></query>`,
    );
    expect(roomDiscoItems(ROOM).toString()).toBe('<query xmlns="http://jabber.org/protocol/disco#items"/>');
  });
});

describe("subject", () => {
  it("comes from the setter with the time it was set", () => {
    expect(
      buildSubjectMessage({
        room: ROOM,
        to: USER,
        subject: "Hi",
        nick: "alice",
        setAt: STAMP,
        id: "s",
      }).toString(),
    ).toBe(
      `<message from="${ROOM}/alice" to="${USER}" type="groupchat" id="s"><subject>Hi</subject>` +
        `<delay xmlns="urn:xmpp:delay" from="${ROOM}" stamp="2026-01-02T03:04:05Z"/></message>`,
    );
  });

  it("is an empty <subject/> from the room when there is none", () => {
    expect(buildSubjectMessage({ room: ROOM, to: USER, subject: "" }).toString()).toBe(
      `<message from="${ROOM}" to="${USER}" type="groupchat"><subject/></message>`,
    );
  });
});

describe("buildGroupchatMessage", () => {
  it("is a 1:1 message made groupchat, with the room's stanza-id and the occupant id", () => {
    expect(
      buildGroupchatMessage({
        room: ROOM,
        nick: "alice",
        to: USER,
        id: "m1",
        stanzaId: "s1",
        occupantId: "o1",
        body: "hi",
      }).toString(),
    ).toBe(
      `<message from="${ROOM}/alice" to="${USER}" type="groupchat" id="m1"><body>hi</body>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="s1" by="${ROOM}"/><occupant-id xmlns="urn:xmpp:occupant-id:0" id="o1"/></message>`,
    );
  });

  it("carries history delay, a reply and mentions shifted past the quote", () => {
    expect(
      buildGroupchatMessage({
        room: ROOM,
        nick: "alice",
        to: USER,
        id: "m1",
        stanzaId: "s1",
        body: "hi bob",
        replyTo: { id: "s0", to: `${ROOM}/bob`, fallbackText: "yo" },
        mentions: [{ jid: `${ROOM}/bob`, begin: 3, end: 6 }, { jid: "u@h" }],
        delay: STAMP,
      }).toString(),
    ).toBe(
      `<message from="${ROOM}/alice" to="${USER}" type="groupchat" id="m1"><body>&gt; yo\nhi bob</body>` +
        `<reply xmlns="urn:xmpp:reply:0" to="${ROOM}/bob" id="s0"/>` +
        '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="5"/></fallback>' +
        `<delay xmlns="urn:xmpp:delay" from="${ROOM}" stamp="2026-01-02T03:04:05Z"/>` +
        `<reference xmlns="urn:xmpp:reference:0" type="mention" begin="8" end="11" uri="xmpp:${ROOM}/bob"/>` +
        '<reference xmlns="urn:xmpp:reference:0" type="mention" uri="xmpp:u@h"/>' +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="s1" by="${ROOM}"/></message>`,
    );
  });

  it("composes corrections, retractions and reactions like the 1:1 builder", () => {
    const correction = buildGroupchatMessage({
      room: ROOM,
      nick: "a",
      to: USER,
      id: "m2",
      stanzaId: "s2",
      body: "fixed",
      correctionOf: "m1",
    });
    expect(correction.toString()).toBe(
      `<message from="${ROOM}/a" to="${USER}" type="groupchat" id="m2"><body>fixed</body>` +
        '<replace xmlns="urn:xmpp:message-correct:0" id="m1"/>' +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="s2" by="${ROOM}"/></message>`,
    );
    const reactions = buildGroupchatMessage({
      room: ROOM,
      nick: "a",
      to: USER,
      id: "m3",
      stanzaId: "s3",
      reactions: { id: "s1", emojis: ["👍"] },
    });
    expect(reactions.toString()).toBe(
      `<message from="${ROOM}/a" to="${USER}" type="groupchat" id="m3">` +
        '<reactions xmlns="urn:xmpp:reactions:0" id="s1"><reaction>👍</reaction></reactions>' +
        '<store xmlns="urn:xmpp:hints"/>' +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="s3" by="${ROOM}"/></message>`,
    );
    const retraction = buildGroupchatMessage({
      room: ROOM,
      nick: "a",
      to: USER,
      id: "m4",
      stanzaId: "s4",
      retractionOf: "s1",
    });
    expect(retraction.getChild("retract", "urn:xmpp:message-retract:1")?.attrs.id).toBe("s1");
    expect(retraction.attrs.type).toBe("groupchat");
  });
});

describe("buildMucPrivateMessage", () => {
  it("is a 1:1 message from the occupant, marked as coming through the room", () => {
    expect(
      buildMucPrivateMessage({
        room: ROOM,
        nick: "alice",
        to: USER,
        id: "p1",
        body: "psst",
        markable: true,
      }).toString(),
    ).toBe(
      `<message from="${ROOM}/alice" to="${USER}" type="chat" id="p1"><body>psst</body>` +
        '<markable xmlns="urn:xmpp:chat-markers:0"/><x xmlns="http://jabber.org/protocol/muc#user"/></message>',
    );
  });
});

describe("parseRoomMessage", () => {
  const from = `from='${USER}'`;

  it("reads a groupchat message with a subject and mentions", () => {
    const parsed = parseRoomMessage(
      parseXml(
        `<message ${from} to='${ROOM}' type='groupchat' id='c1'><body>hi bob</body><subject>New</subject>` +
          `<origin-id xmlns='urn:xmpp:sid:0' id='c1'/>` +
          `<reference xmlns='urn:xmpp:reference:0' type='mention' begin='3' end='6' uri='xmpp:${ROOM}/bob'/></message>`,
      ),
    );
    expect(parsed.kind).toBe("groupchat");
    if (parsed.kind !== "groupchat") return;
    expect(parsed.room).toBe(ROOM);
    expect(parsed.subject).toBe("New");
    expect(parsed.message).toMatchObject({
      type: "groupchat",
      body: "hi bob",
      id: "c1",
      originId: "c1",
      hasContent: true,
    });
    expect(parsed.mentions).toEqual([{ jid: `${ROOM}/bob`, begin: 3, end: 6 }]);
  });

  it("reads a private message to an occupant, a bounce and anything else", () => {
    const pm = parseRoomMessage(
      parseXml(`<message ${from} to='${ROOM}/bob' type='chat'><body>psst</body></message>`),
    );
    expect(pm).toMatchObject({ kind: "private", room: ROOM, nick: "bob", mentions: [] });
    expect(pm.kind === "private" && pm.message.body).toBe("psst");
    expect(parseRoomMessage(parseXml(`<message ${from} to='${ROOM}/bob' type='error'/>`))).toEqual({
      kind: "error",
      room: ROOM,
      nick: "bob",
    });
    expect(
      parseRoomMessage(parseXml(`<message ${from} to='${ROOM}'><x xmlns='jabber:x:conference'/></message>`))
        .kind,
    ).toBe("other");
  });

  it("refuses a groupchat message to one occupant, bad addresses and bad mentions", () => {
    const toOccupant = refusal(() =>
      parseRoomMessage(
        parseXml(`<message ${from} to='${ROOM}/bob' type='groupchat'><body>x</body></message>`),
      ),
    );
    expect([toOccupant.condition, toOccupant.type]).toEqual(["bad-request", "modify"]);
    expect(
      refusal(() => parseRoomMessage(parseXml(`<message ${from} to='gw.example' type='groupchat'/>`)))
        .condition,
    ).toBe("jid-malformed");
    expect(refusal(() => parseRoomMessage(parseXml(`<message ${from} type='groupchat'/>`))).condition).toBe(
      "jid-malformed",
    );
    const badMention = refusal(() =>
      parseRoomMessage(
        parseXml(
          `<message ${from} to='${ROOM}' type='groupchat'><body>x</body><reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='9' uri='xmpp:u@h'/></message>`,
        ),
      ),
    );
    expect(badMention.condition).toBe("bad-request");
  });
});

describe("XEP-0410 self-ping", () => {
  const ping = (to: string) =>
    parseXml(`<iq from='${USER}' to='${to}' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>`);
  const occupants = new Set(["romeo", "alice"]);
  const has = (nick: string) => occupants.has(nick);

  it("answers a joined client's self-ping with a result", () => {
    expect(classifyMucPing(ping(`${ROOM}/romeo`), "romeo", has)).toBe("joined");
    expect(mucPingReply(ping(`${ROOM}/romeo`), "joined").toString()).toBe(
      `<iq from="${ROOM}/romeo" to="${USER}" id="p1" type="result"/>`,
    );
  });

  it("answers not-acceptable when the client is not joined", () => {
    expect(classifyMucPing(ping(`${ROOM}/romeo`), undefined, has)).toBe("not-joined");
    expect(mucPingReply(ping(`${ROOM}/romeo`), "not-joined").toString()).toBe(
      `<iq from="${ROOM}/romeo" to="${USER}" id="p1" type="error"><error type="cancel" by="${ROOM}">` +
        '<not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">You are not joined to this room.</text></error></iq>',
    );
  });

  it("answers pings to the room and to other occupants", () => {
    expect(classifyMucPing(ping(ROOM), undefined, has)).toBe("room");
    expect(classifyMucPing(ping(`${ROOM}/alice`), "romeo", has)).toBe("occupant");
    expect(classifyMucPing(ping(`${ROOM}/nobody`), "romeo", has)).toBe("no-occupant");
    expect(mucPingReply(ping(ROOM), "room").attrs.type).toBe("result");
    expect(mucPingReply(ping(`${ROOM}/alice`), "occupant").attrs.type).toBe("result");
    const missing = mucPingReply(ping(`${ROOM}/nobody`), "no-occupant");
    expect(missing.getChild("error")?.getChild("item-not-found")).toBeDefined();
    expect(mucPingError("joined")).toBeUndefined();
    expect(mucPingError("not-joined")?.condition).toBe("not-acceptable");
  });
});

describe("roomAvatarPresence", () => {
  it("is a bare-room presence with the XEP-0153 hash, empty when the picture is gone", () => {
    const set = roomAvatarPresence({ room: "lobby@gw.example", to: "romeo@example.org/pc", hash: "ab12" });
    expect(set.attrs).toEqual({ from: "lobby@gw.example", to: "romeo@example.org/pc" });
    expect(set.getChild("x", "vcard-temp:x:update")!.getChildText("photo")).toBe("ab12");
    const removed = roomAvatarPresence({ room: "lobby@gw.example", to: "romeo@example.org/pc", hash: null });
    expect(removed.getChild("x", "vcard-temp:x:update")!.getChildText("photo")).toBe("");
  });
});
