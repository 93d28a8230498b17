import { presence } from "./builders.js";
import { parseXmppDateTime } from "./datetime.js";
import { type Element, xml } from "./element.js";
import { errorReply, XmppError } from "./errors.js";
import { JID } from "./jid.js";
import { NS_VCARD_UPDATE, type PresenceShow } from "./presence.js";
import { sanitizeXmlText } from "./xml-text.js";

/** XEP-0045: the `<x/>` a client puts in its join presence. */
export const NS_MUC = "http://jabber.org/protocol/muc";
/** XEP-0045: the `<x/>` the room puts in occupant presences and messages. */
export const NS_MUC_USER = "http://jabber.org/protocol/muc#user";
/** XEP-0421 anonymous unique occupant identifiers. */
export const NS_OCCUPANT_ID = "urn:xmpp:occupant-id:0";

/** XEP-0045 §5.2 affiliations (long-lived, tied to the real JID). */
export type MucAffiliation = "owner" | "admin" | "member" | "outcast" | "none";
/** XEP-0045 §5.1 roles (for the current visit only). */
export type MucRole = "moderator" | "participant" | "visitor" | "none";

/**
 * The `<status code/>`s of XEP-0045 §15.6.2 that occupant presences carry: 100 the room shows real
 * JIDs, 110 this presence is about yourself, 170 the room is logged, 201 the room was created, 210
 * the room changed your nickname, 301 banned, 303 nickname change, 307 kicked, 321 removed because
 * of an affiliation change, 322 removed because the room became members-only, 332 removed because
 * the service is shutting down, 333 removed because of a technical problem.
 */
export type MucStatusCode = 100 | 110 | 170 | 201 | 210 | 301 | 303 | 307 | 321 | 322 | 332 | 333;

/** XEP-0045 §7.2.15 `<history/>`: how much of the discussion a joining client wants. */
export interface MucHistoryRequest {
  readonly maxChars?: number;
  readonly maxStanzas?: number;
  readonly seconds?: number;
  readonly since?: Date;
}

interface MucPresenceBase {
  /** The room's bare JID (as addressed, lowercased by JID rules). */
  readonly room: string;
  /** The sender's full JID. */
  readonly from: string;
  readonly id?: string;
}

/**
 * What a user's presence to a room means, as {@link parseMucPresence} reads it:
 * - `join`: an available presence while not joined, or one with `<x xmlns=".../muc"/>` (a client
 *   that thinks it is not joined: `rejoin` is true, and XEP-0045 wants the full join answered again).
 *   `mucX` false marks the old "groupchat 1.0" join without `<x/>`, which services still accept.
 * - `nick-change`: an available presence without `<x/>` to another nick while joined (§7.6).
 * - `update`: an available presence without `<x/>` to the current nick (show/status change, §7.7).
 * - `leave`: `type="unavailable"` (§7.14); `nick` is missing when it was sent to the bare room.
 * - `error`: the user's server bounced something the room sent: XEP-0045 §7.2 lets the room treat
 *   the occupant as gone.
 * - `other`: subscription and probe presences, which mean nothing to a room.
 */
export type MucPresence =
  | (MucPresenceBase & {
      readonly kind: "join";
      readonly nick: string;
      readonly mucX: boolean;
      readonly rejoin: boolean;
      readonly history?: MucHistoryRequest;
      readonly password?: string;
      readonly show?: PresenceShow;
      readonly status?: string;
    })
  | (MucPresenceBase & { readonly kind: "nick-change"; readonly nick: string; readonly previousNick: string })
  | (MucPresenceBase & {
      readonly kind: "update";
      readonly nick: string;
      readonly show?: PresenceShow;
      readonly status?: string;
    })
  | (MucPresenceBase & { readonly kind: "leave"; readonly nick?: string; readonly status?: string })
  | (MucPresenceBase & { readonly kind: "error"; readonly nick?: string })
  | (MucPresenceBase & { readonly kind: "other"; readonly type: string; readonly nick?: string });

const SHOW_VALUES: ReadonlySet<string> = new Set(["away", "chat", "dnd", "xa"]);

/**
 * Reads a user's presence to `room@service[/nick]`. `currentNick` is the nick the sending full JID
 * is joined with, if it is joined: only the room knows, and it decides between a nick change and a
 * status update. Throws {@link XmppError} (texts never quote the input): `jid-malformed` for a bad
 * or nick-less address (XEP-0045 §7.2.1), `not-acceptable` for a blank nick, `bad-request` for a
 * missing sender or a `<history/>` attribute that is not a non-negative integer / a DateTime.
 */
export function parseMucPresence(stanza: Element, currentNick?: string): MucPresence {
  const fromJid = stanza.attrs.from === undefined ? undefined : JID.tryParse(stanza.attrs.from);
  if (stanza.attrs.from === undefined) throw new XmppError("bad-request", "The presence has no sender.");
  if (!fromJid) throw new XmppError("jid-malformed", "The sender's address is not a valid JID.");
  const toJid = JID.tryParse(stanza.attrs.to);
  if (!toJid?.local) throw new XmppError("jid-malformed", "A room address is room@service/nickname.");
  const base = {
    room: toJid.bare().toString(),
    from: fromJid.toString(),
    ...(stanza.attrs.id ? { id: stanza.attrs.id } : {}),
  };
  const nick = toJid.resource === "" ? undefined : toJid.resource;
  const { type } = stanza.attrs;
  const status = stanza.getChildText("status") ?? undefined;

  if (type === "unavailable") {
    return freeze({ ...base, kind: "leave", ...opt("nick", nick ?? currentNick), ...opt("status", status) });
  }
  if (type === "error") return freeze({ ...base, kind: "error", ...opt("nick", nick) });
  if (type !== undefined) return freeze({ ...base, kind: "other", type, ...opt("nick", nick) });

  if (nick === undefined) {
    throw new XmppError(
      "jid-malformed",
      "A room is joined as room@service/nickname: the nickname is missing.",
    );
  }
  if (nick.trim() === "") throw new XmppError("not-acceptable", "A nickname cannot be blank.");
  const showText = stanza.getChildText("show")?.trim();
  const show = showText !== undefined && SHOW_VALUES.has(showText) ? (showText as PresenceShow) : undefined;
  const x = stanza.getChild("x", NS_MUC);

  if (x || currentNick === undefined) {
    const history = x ? readHistory(x.getChild("history")) : undefined;
    const password = x?.getChildText("password") ?? undefined;
    return freeze({
      ...base,
      kind: "join",
      nick,
      mucX: x !== undefined,
      rejoin: currentNick !== undefined,
      ...opt("history", history),
      ...opt("password", password),
      ...opt("show", show),
      ...opt("status", status),
    });
  }
  if (nick !== currentNick) return freeze({ ...base, kind: "nick-change", nick, previousNick: currentNick });
  return freeze({ ...base, kind: "update", nick, ...opt("show", show), ...opt("status", status) });
}

function readHistory(history: Element | undefined): MucHistoryRequest | undefined {
  if (!history) return undefined;
  const request: { maxChars?: number; maxStanzas?: number; seconds?: number; since?: Date } = {};
  const maxChars = count(history.attrs.maxchars, "maxchars");
  if (maxChars !== undefined) request.maxChars = maxChars;
  const maxStanzas = count(history.attrs.maxstanzas, "maxstanzas");
  if (maxStanzas !== undefined) request.maxStanzas = maxStanzas;
  const seconds = count(history.attrs.seconds, "seconds");
  if (seconds !== undefined) request.seconds = seconds;
  if (history.attrs.since !== undefined) {
    const since = parseXmppDateTime(history.attrs.since);
    if (!since)
      throw new XmppError("bad-request", "The history 'since' attribute is not an XMPP date and time.");
    request.since = since;
  }
  return Object.freeze(request);
}

/** A non-negative integer attribute; absurdly large values are capped, not refused. */
function count(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(value)) {
    throw new XmppError("bad-request", `The history '${name}' attribute is not a non-negative integer.`);
  }
  return Math.min(Number(value.trim()), Number.MAX_SAFE_INTEGER);
}

function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function freeze<T extends object>(value: T): T {
  return Object.freeze(value);
}

export interface OccupantPresenceOptions {
  /** The room's bare JID. */
  room: string;
  /** The occupant's nick: the resource of `from`. Must be XML-safe (sanitize nicks once, upstream). */
  nick: string;
  /** The user's full JID. */
  to: string;
  /** Echo the join presence's id on the self-presence (clients match their join with it). */
  id?: string;
  /** `unavailable` for a leave, kick, ban, nick change (with 303) or destruction. */
  type?: "unavailable";
  affiliation: MucAffiliation;
  role: MucRole;
  /** The occupant's real JID: in non-anonymous rooms (with status 100) or to moderators. */
  jid?: string;
  /** `<item nick/>`: the new nick, with status 303. */
  newNick?: string;
  /** `<item><reason/>`: why the occupant was kicked or banned. Sanitized. */
  reason?: string;
  /** `<item><actor nick/>`: the moderator who kicked or banned. */
  actorNick?: string;
  /** Written in ascending order, each once. */
  statusCodes?: readonly MucStatusCode[];
  /** XEP-0421: stable per occupant across nick changes, opaque. */
  occupantId?: string;
  show?: PresenceShow;
  /** Sanitized; left out when empty. */
  status?: string;
  /** XEP-0153 avatar hash of the occupant (`null`: no avatar), for clients that show them. */
  avatarHash?: string | null;
  /** XEP-0045 §10.9: the room is destroyed; `jid` names an alternative venue. */
  destroy?: { jid?: string; reason?: string };
}

/**
 * An occupant's presence as the room broadcasts it (XEP-0045 §7.2.3 …): from `room/nick`, with
 * `<x xmlns=".../muc#user"><item affiliation role jid? nick?/><status code/>…</x>` and the XEP-0421
 * `<occupant-id/>`. Throws `RangeError` for what XEP-0045 does not allow: 303 without `newNick`
 * or on an available presence, a destruction on an available presence, or an XML-unsafe nick.
 */
export function buildOccupantPresence(options: OccupantPresenceOptions): Element {
  const { room, nick, to, id, type, affiliation, role, destroy } = options;
  if (nick === "" || sanitizeXmlText(nick) !== nick) {
    throw new RangeError("An occupant's nick must be non-empty and XML-safe; sanitize it upstream.");
  }
  const codes = [...new Set(options.statusCodes ?? [])].sort((a, b) => a - b);
  if (codes.includes(303) && (type !== "unavailable" || options.newNick === undefined)) {
    throw new RangeError("Status 303 (nick change) goes on an unavailable presence with newNick.");
  }
  if (destroy && type !== "unavailable")
    throw new RangeError("A room destruction is an unavailable presence.");
  const status = options.status === undefined ? "" : sanitizeXmlText(options.status);
  const reason = options.reason === undefined ? "" : sanitizeXmlText(options.reason);
  const destroyReason = destroy?.reason === undefined ? "" : sanitizeXmlText(destroy.reason);
  const item = xml(
    "item",
    { affiliation, role, jid: options.jid, nick: options.newNick },
    options.actorNick === undefined ? null : xml("actor", { nick: options.actorNick }),
    reason ? xml("reason", {}, reason) : null,
  );
  return presence(
    { from: `${room}/${nick}`, to, id, type },
    options.show ? xml("show", {}, options.show) : null,
    status ? xml("status", {}, status) : null,
    options.avatarHash === undefined
      ? null
      : xml("x", { xmlns: NS_VCARD_UPDATE }, xml("photo", {}, options.avatarHash ?? "")),
    xml(
      "x",
      { xmlns: NS_MUC_USER },
      item,
      destroy
        ? xml("destroy", { jid: destroy.jid }, destroyReason ? xml("reason", {}, destroyReason) : null)
        : null,
      codes.map((code) => xml("status", { code: String(code) })),
    ),
    options.occupantId === undefined
      ? null
      : xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: options.occupantId }),
  );
}

/**
 * The errors XEP-0045 prescribes for joining and speaking, each with a text that names no user
 * input: `password-required` (§7.2.6 not-authorized), `members-only` (§7.2.7
 * registration-required), `banned` (§7.2.8 forbidden), `nick-in-use` (§7.2.9 conflict),
 * `nick-not-acceptable` (not-acceptable, type cancel: a reserved or unusable nick), `nick-change-refused`
 * (§7.6 not-acceptable: the network cannot rename), `room-not-found` (item-not-found),
 * `not-occupant` (§7.4 not-acceptable: only occupants may speak), `groupchat-to-occupant` (§7.5
 * bad-request: a groupchat message sent to room/nick), `forbidden` (not allowed by the room).
 */
export type MucErrorKind =
  | "password-required"
  | "members-only"
  | "banned"
  | "nick-in-use"
  | "nick-not-acceptable"
  | "nick-change-refused"
  | "room-not-found"
  | "not-occupant"
  | "groupchat-to-occupant"
  | "forbidden";

const MUC_ERRORS: Readonly<Record<MucErrorKind, () => XmppError>> = {
  "password-required": () => new XmppError("not-authorized", "This room needs a password."),
  "members-only": () => new XmppError("registration-required", "Only members can join this room."),
  banned: () => new XmppError("forbidden", "You are banned from this room."),
  "nick-in-use": () => new XmppError("conflict", "That nickname is already in use in this room."),
  "nick-not-acceptable": () =>
    new XmppError("not-acceptable", "That nickname cannot be used in this room.", { type: "cancel" }),
  "nick-change-refused": () =>
    new XmppError("not-acceptable", "This network does not let you change your nickname in groups.", {
      type: "cancel",
    }),
  "room-not-found": () => new XmppError("item-not-found", "This room does not exist."),
  "not-occupant": () => new XmppError("not-acceptable", "Join the room before sending messages to it."),
  "groupchat-to-occupant": () =>
    new XmppError("bad-request", "A groupchat message goes to the room, not to one occupant."),
  forbidden: () => new XmppError("forbidden", "You are not allowed to do that in this room."),
};

/** A fresh {@link XmppError} for one of the XEP-0045 cases of {@link MucErrorKind}. */
export function mucError(kind: MucErrorKind): XmppError {
  return MUC_ERRORS[kind]();
}

/**
 * The error presence that refuses a join (XEP-0045 §7.2.6–7.2.9): back to the sender from the
 * address it joined, same id, with the `<x xmlns=".../muc"/>` XEP-0045 echoes (clients use it to
 * tell a join error from other presence errors). Nothing else of the join (its password!) is echoed.
 */
export function mucJoinErrorPresence(join: Element, error: XmppError): Element {
  // XEP-0045's examples name the room as the error's author (`by`), as its own refusal.
  const room = JID.tryParse(join.attrs.to)?.bare().toString();
  const authored =
    error.by !== undefined || room === undefined
      ? error
      : new XmppError(error.condition, error.text, {
          type: error.type,
          by: room,
          applicationCondition: error.applicationCondition,
        });
  return errorReply(join, authored, xml("x", { xmlns: NS_MUC }));
}
