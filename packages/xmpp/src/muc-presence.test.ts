import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  buildOccupantPresence,
  type MucErrorKind,
  mucError,
  mucJoinErrorPresence,
  parseMucPresence,
} from "./muc-presence.js";

const USER = "romeo@example.org/phone";
const ROOM = "lobby@gw.example";

function inbound(attrs: string, children = ""): ReturnType<typeof parseXml> {
  return parseXml(`<presence xmlns='jabber:component:accept' from='${USER}' ${attrs}>${children}</presence>`);
}

function refusal(run: () => unknown): XmppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XmppError);
    return error as XmppError;
  }
  throw new Error("expected an XmppError");
}

describe("parseMucPresence", () => {
  it("reads a join with history and password", () => {
    const parsed = parseMucPresence(
      inbound(
        `to='Lobby@GW.example/Romeo' id='j1'`,
        "<show>away</show><status>out</status><x xmlns='http://jabber.org/protocol/muc'>" +
          "<history maxchars='65000' maxstanzas='20' seconds='180' since='1970-01-01T00:00:00Z'/>" +
          "<password>pw</password></x>",
      ),
    );
    expect(parsed).toEqual({
      kind: "join",
      room: ROOM,
      from: USER,
      id: "j1",
      nick: "Romeo",
      mucX: true,
      rejoin: false,
      history: { maxChars: 65000, maxStanzas: 20, seconds: 180, since: new Date(0) },
      password: "pw",
      show: "away",
      status: "out",
    });
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it("reads a plain join, a groupchat 1.0 join and a rejoin", () => {
    expect(
      parseMucPresence(inbound(`to='${ROOM}/romeo'`, "<x xmlns='http://jabber.org/protocol/muc'/>")),
    ).toEqual({
      kind: "join",
      room: ROOM,
      from: USER,
      nick: "romeo",
      mucX: true,
      rejoin: false,
    });
    expect(parseMucPresence(inbound(`to='${ROOM}/romeo'`))).toMatchObject({
      kind: "join",
      mucX: false,
      rejoin: false,
    });
    expect(
      parseMucPresence(inbound(`to='${ROOM}/romeo'`, "<x xmlns='http://jabber.org/protocol/muc'/>"), "romeo"),
    ).toMatchObject({ kind: "join", mucX: true, rejoin: true });
  });

  it("tells a nick change from a status update by the current nick", () => {
    expect(parseMucPresence(inbound(`to='${ROOM}/juliet'`), "romeo")).toEqual({
      kind: "nick-change",
      room: ROOM,
      from: USER,
      nick: "juliet",
      previousNick: "romeo",
    });
    expect(
      parseMucPresence(inbound(`to='${ROOM}/romeo'`, "<show>dnd</show><show>xa</show>"), "romeo"),
    ).toEqual({
      kind: "update",
      room: ROOM,
      from: USER,
      nick: "romeo",
      show: "dnd",
    });
    // Nicks are case-sensitive resources: "Romeo" is another nick.
    expect(parseMucPresence(inbound(`to='${ROOM}/Romeo'`), "romeo").kind).toBe("nick-change");
  });

  it("reads leaves (also to the bare room), bounces and presences that mean nothing to a room", () => {
    expect(
      parseMucPresence(inbound(`to='${ROOM}/romeo' type='unavailable'`, "<status>bye</status>")),
    ).toEqual({
      kind: "leave",
      room: ROOM,
      from: USER,
      nick: "romeo",
      status: "bye",
    });
    expect(parseMucPresence(inbound(`to='${ROOM}' type='unavailable'`), "romeo")).toEqual({
      kind: "leave",
      room: ROOM,
      from: USER,
      nick: "romeo",
    });
    expect(parseMucPresence(inbound(`to='${ROOM}' type='unavailable'`))).toEqual({
      kind: "leave",
      room: ROOM,
      from: USER,
    });
    expect(parseMucPresence(inbound(`to='${ROOM}/romeo' type='error'`))).toEqual({
      kind: "error",
      room: ROOM,
      from: USER,
      nick: "romeo",
    });
    expect(parseMucPresence(inbound(`to='${ROOM}' type='subscribe'`))).toEqual({
      kind: "other",
      room: ROOM,
      from: USER,
      type: "subscribe",
    });
  });

  it("ignores an unknown show and keeps an empty status", () => {
    expect(parseMucPresence(inbound(`to='${ROOM}/r'`, "<show>sleeping</show><status/>"))).toMatchObject({
      kind: "join",
      status: "",
    });
    expect(parseMucPresence(inbound(`to='${ROOM}/r'`, "<show>sleeping</show>"))).not.toHaveProperty("show");
  });

  it("refuses malformed joins with the XEP-0045 condition, quoting nothing", () => {
    const cases: [string, string, string][] = [
      [`to='${ROOM}'`, "", "jid-malformed"],
      [`to='gw.example/romeo'`, "", "jid-malformed"],
      [`to='a@b@SECRET/x'`, "", "jid-malformed"],
      [`to='${ROOM}/%20'`.replace("%20", " "), "", "not-acceptable"],
      [
        `to='${ROOM}/r'`,
        "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='SECRET'/></x>",
        "bad-request",
      ],
      [
        `to='${ROOM}/r'`,
        "<x xmlns='http://jabber.org/protocol/muc'><history maxchars='-1'/></x>",
        "bad-request",
      ],
      [
        `to='${ROOM}/r'`,
        "<x xmlns='http://jabber.org/protocol/muc'><history seconds='1.5'/></x>",
        "bad-request",
      ],
      [
        `to='${ROOM}/r'`,
        "<x xmlns='http://jabber.org/protocol/muc'><history since='SECRET'/></x>",
        "bad-request",
      ],
    ];
    for (const [attrs, children, condition] of cases) {
      const error = refusal(() => parseMucPresence(inbound(attrs, children)));
      expect(error.condition, attrs + children).toBe(condition);
      expect(error.text).not.toContain("SECRET");
    }
    expect(refusal(() => parseMucPresence(parseXml(`<presence to='${ROOM}/r'/>`))).condition).toBe(
      "bad-request",
    );
    expect(refusal(() => parseMucPresence(parseXml(`<presence from='' to='${ROOM}/r'/>`))).condition).toBe(
      "jid-malformed",
    );
  });

  it("caps absurd history sizes instead of losing precision", () => {
    const parsed = parseMucPresence(
      inbound(
        `to='${ROOM}/r'`,
        "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='99999999999999999999'/></x>",
      ),
    );
    expect(parsed.kind === "join" && parsed.history?.maxStanzas).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("buildOccupantPresence", () => {
  it("builds a self-presence in a non-anonymous, logged room", () => {
    const stanza = buildOccupantPresence({
      room: ROOM,
      nick: "romeo",
      to: USER,
      id: "j1",
      affiliation: "member",
      role: "participant",
      jid: USER,
      statusCodes: [110, 170, 100, 110],
      occupantId: "o9",
      show: "away",
      status: "brb",
      avatarHash: null,
    });
    expect(stanza.toString()).toBe(
      `<presence from="${ROOM}/romeo" to="${USER}" id="j1"><show>away</show><status>brb</status>` +
        '<x xmlns="vcard-temp:x:update"><photo/></x>' +
        `<x xmlns="http://jabber.org/protocol/muc#user"><item affiliation="member" role="participant" jid="${USER}"/>` +
        '<status code="100"/><status code="110"/><status code="170"/></x>' +
        '<occupant-id xmlns="urn:xmpp:occupant-id:0" id="o9"/></presence>',
    );
  });

  it("builds another occupant's presence with only what is given", () => {
    expect(
      buildOccupantPresence({
        room: ROOM,
        nick: "alice",
        to: USER,
        affiliation: "owner",
        role: "moderator",
      }).toString(),
    ).toBe(
      `<presence from="${ROOM}/alice" to="${USER}"><x xmlns="http://jabber.org/protocol/muc#user">` +
        '<item affiliation="owner" role="moderator"/></x></presence>',
    );
  });

  it("builds a nick change (303) and a kick (307) with actor and reason", () => {
    expect(
      buildOccupantPresence({
        room: ROOM,
        nick: "alice",
        to: USER,
        type: "unavailable",
        affiliation: "none",
        role: "participant",
        newNick: "alicia",
        statusCodes: [303],
        occupantId: "o1",
      }).toString(),
    ).toBe(
      `<presence from="${ROOM}/alice" to="${USER}" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user">` +
        '<item affiliation="none" role="participant" nick="alicia"/><status code="303"/></x>' +
        '<occupant-id xmlns="urn:xmpp:occupant-id:0" id="o1"/></presence>',
    );
    expect(
      buildOccupantPresence({
        room: ROOM,
        nick: "bob",
        to: USER,
        type: "unavailable",
        affiliation: "none",
        role: "none",
        actorNick: "alice",
        reason: "spam\u0000",
        statusCodes: [307],
      }).toString(),
    ).toBe(
      `<presence from="${ROOM}/bob" to="${USER}" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user">` +
        '<item affiliation="none" role="none"><actor nick="alice"/><reason>spam</reason></item>' +
        '<status code="307"/></x></presence>',
    );
  });

  it("builds a destruction and a shutdown removal", () => {
    expect(
      buildOccupantPresence({
        room: ROOM,
        nick: "romeo",
        to: USER,
        type: "unavailable",
        affiliation: "none",
        role: "none",
        statusCodes: [110],
        destroy: { reason: "You were removed from the group." },
      }).toString(),
    ).toBe(
      `<presence from="${ROOM}/romeo" to="${USER}" type="unavailable"><x xmlns="http://jabber.org/protocol/muc#user">` +
        '<item affiliation="none" role="none"/><destroy><reason>You were removed from the group.</reason></destroy>' +
        '<status code="110"/></x></presence>',
    );
    expect(
      buildOccupantPresence({
        room: ROOM,
        nick: "romeo",
        to: USER,
        type: "unavailable",
        affiliation: "member",
        role: "none",
        statusCodes: [332, 110],
      }).toString(),
    ).toContain('<status code="110"/><status code="332"/>');
  });

  it("refuses what XEP-0045 does not allow", () => {
    const base = { room: ROOM, to: USER, affiliation: "none", role: "participant" } as const;
    expect(() => buildOccupantPresence({ ...base, nick: "a", statusCodes: [303], newNick: "b" })).toThrow(
      RangeError,
    );
    expect(() =>
      buildOccupantPresence({ ...base, nick: "a", type: "unavailable", statusCodes: [303] }),
    ).toThrow(RangeError);
    expect(() => buildOccupantPresence({ ...base, nick: "a", destroy: {} })).toThrow(RangeError);
    expect(() => buildOccupantPresence({ ...base, nick: "" })).toThrow(RangeError);
    expect(() => buildOccupantPresence({ ...base, nick: "a\u0001" })).toThrow(RangeError);
  });
});

describe("MUC errors", () => {
  it("has the XEP-0045 condition and type for each case", () => {
    const expected: Record<MucErrorKind, [string, string]> = {
      "password-required": ["not-authorized", "auth"],
      "members-only": ["registration-required", "auth"],
      banned: ["forbidden", "auth"],
      "nick-in-use": ["conflict", "cancel"],
      "nick-not-acceptable": ["not-acceptable", "cancel"],
      "nick-change-refused": ["not-acceptable", "cancel"],
      "room-not-found": ["item-not-found", "cancel"],
      "not-occupant": ["not-acceptable", "modify"],
      "groupchat-to-occupant": ["bad-request", "modify"],
      forbidden: ["forbidden", "auth"],
    };
    for (const [kind, [condition, type]] of Object.entries(expected)) {
      const error = mucError(kind as MucErrorKind);
      expect([error.condition, error.type], kind).toEqual([condition, type]);
      expect(error.text).toBeTruthy();
    }
    expect(mucError("banned")).not.toBe(mucError("banned"));
  });

  it("answers a refused join with the muc <x/> and without the password", () => {
    const join = inbound(
      `to='${ROOM}/romeo' id='j1'`,
      "<x xmlns='http://jabber.org/protocol/muc'><password>hunter2</password></x>",
    );
    expect(mucJoinErrorPresence(join, mucError("password-required")).toString()).toBe(
      `<presence from="${ROOM}/romeo" to="${USER}" id="j1" type="error"><x xmlns="http://jabber.org/protocol/muc"/>` +
        `<error type="auth" by="${ROOM}"><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">This room needs a password.</text></error></presence>',
    );
  });
});
