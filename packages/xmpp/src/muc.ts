import { iqResult } from "./builders.js";
import {
  buildChatMessage,
  type ChatMessage,
  type ChatMessageOptions,
  parseChatMessage,
} from "./chat-message.js";
import { formatXmppDateTime } from "./datetime.js";
import { discoInfoResult, discoItemsResult } from "./disco.js";
import { type Element, xml } from "./element.js";
import { errorReply, XmppError } from "./errors.js";
import { buildForm, type FormField } from "./forms.js";
import { JID } from "./jid.js";
import { NS_MODERATE } from "./muc-moderation.js";
import { mucError, NS_MUC, NS_MUC_USER, NS_OCCUPANT_ID } from "./muc-presence.js";
import { NS_VCARD_UPDATE } from "./presence.js";
import { buildMention, type Mention, parseMentions } from "./references.js";
import { sanitizeXmlText } from "./xml-text.js";

const NS_SID = "urn:xmpp:sid:0";
const NS_DELAY = "urn:xmpp:delay";
export const NS_MUC_ROOMINFO = "http://jabber.org/protocol/muc#roominfo";
export const NS_MUC_STABLE_ID = "http://jabber.org/protocol/muc#stable_id";

/** What a room's disco#info says about it (XEP-0045 §6.4, XEP-0128 room information form). */
export interface RoomInfo {
  /** The room's name: the identity name and `muc#roomconfig_roomname`. Sanitized. */
  name?: string;
  description?: string;
  subject?: string;
  /** `muc#roominfo_occupants`. */
  occupants?: number;
  /** XEP-0486 `muc#roominfo_avatarhash` (hex SHA-1 of the vCard photo); adds `vcard-temp`. */
  avatarHash?: string;
  /** `muc_persistent` (default) or `muc_temporary`. */
  persistent?: boolean;
  /** `muc_membersonly` (a private group) or `muc_open` (a public channel). */
  membersOnly: boolean;
  /** `muc_nonanonymous` (real JIDs visible) or `muc_semianonymous`. */
  nonAnonymous: boolean;
  /** `muc_public` (listed) or `muc_hidden` (default). */
  public?: boolean;
  /** `muc_moderated` or `muc_unmoderated`, when given. */
  moderated?: boolean;
  /** XEP-0313 archive on the room (default true): `urn:xmpp:mam:2` and `#extended`. */
  archive?: boolean;
  /** XEP-0425 moderation available (default false). */
  moderation?: boolean;
  /** Reactions, retractions and corrections carried (default true). */
  messageFeatures?: boolean;
  /** More features, appended as given. */
  extraFeatures?: readonly string[];
  /** Echoed `node` of the request. */
  node?: string;
}

/**
 * A room's disco#info `<query/>`: identity `conference/text`, the `muc_*` features of `info`,
 * `muc#stable_id` (the room reflects each sender's message `id` unchanged, which clients use to
 * recognise their own messages), XEP-0421 occupant ids, XEP-0410 self-ping optimization, and the
 * `muc#roominfo` form. Rooms are always `muc_unsecured`: a legacy group has no XMPP password.
 */
export function roomDiscoInfo(info: RoomInfo): Element {
  const features = [
    "http://jabber.org/protocol/disco#info",
    NS_MUC,
    NS_MUC_STABLE_ID,
    NS_OCCUPANT_ID,
    // XEP-0410 §3.3: the room answers self-pings itself (see classifyMucPing).
    "http://jabber.org/protocol/muc#self-ping-optimization",
    info.persistent === false ? "muc_temporary" : "muc_persistent",
    info.membersOnly ? "muc_membersonly" : "muc_open",
    info.nonAnonymous ? "muc_nonanonymous" : "muc_semianonymous",
    info.public ? "muc_public" : "muc_hidden",
    "muc_unsecured",
  ];
  if (info.moderated !== undefined) features.push(info.moderated ? "muc_moderated" : "muc_unmoderated");
  if (info.archive !== false) features.push("urn:xmpp:mam:2", "urn:xmpp:mam:2#extended");
  if (info.moderation) features.push(NS_MODERATE);
  if (info.messageFeatures !== false) {
    features.push("urn:xmpp:reactions:0", "urn:xmpp:message-retract:1", "urn:xmpp:message-correct:0");
  }
  if (info.avatarHash !== undefined) features.push("vcard-temp");
  features.push(...(info.extraFeatures ?? []));

  const fields: FormField[] = [];
  const values: Record<string, string | string[]> = {};
  const add = (field: FormField, value: string | string[] | undefined) => {
    if (value === undefined) return;
    fields.push(field);
    values[field.var] = value;
  };
  add({ var: "muc#roomconfig_roomname", type: "text-single", label: "Name" }, info.name);
  add({ var: "muc#roominfo_description", type: "text-single", label: "Description" }, info.description);
  add({ var: "muc#roominfo_subject", type: "text-single", label: "Subject" }, info.subject);
  add(
    { var: "muc#roominfo_occupants", type: "text-single", label: "Number of occupants" },
    info.occupants === undefined ? undefined : String(info.occupants),
  );
  add(
    { var: "muc#roominfo_avatarhash", type: "text-multi", label: "Avatar hash" },
    info.avatarHash === undefined ? undefined : [info.avatarHash],
  );

  return discoInfoResult({
    node: info.node,
    identities: [{ category: "conference", type: "text", ...(info.name ? { name: info.name } : {}) }],
    features,
    forms: [buildForm({ type: "result", formType: NS_MUC_ROOMINFO, fields, values })],
  });
}

/**
 * XEP-0486: the room's bare-JID presence that tells a joined resource its avatar changed
 * (`hash`: hex SHA-1 of the picture, or null when it was removed); clients then fetch the room's
 * vCard.
 */
export function roomAvatarPresence(options: { room: string; to: string; hash: string | null }): Element {
  return xml(
    "presence",
    { from: options.room, to: options.to },
    xml("x", { xmlns: NS_VCARD_UPDATE }, xml("photo", {}, options.hash ?? "")),
  );
}

/**
 * A room's disco#items: its occupants as `room/nick` items (XEP-0045 §6.5 lets a room list them or
 * nothing; pass no nicks for nothing, as semi-anonymous rooms should for non-occupants).
 */
export function roomDiscoItems(room: string, nicks: readonly string[] = [], node?: string): Element {
  return discoItemsResult(
    nicks.map((nick) => ({ jid: `${room}/${nick}` })),
    node,
  );
}

export interface SubjectMessageOptions {
  room: string;
  to: string;
  /** "" for "no subject": XEP-0045 §7.2.15 still sends an empty `<subject/>` to end the join. */
  subject: string;
  /** Who set it: the message comes from `room/nick` instead of the room. */
  nick?: string;
  id?: string;
  /** When it was set, as `<delay from=room/>`. */
  setAt?: Date;
}

/** The subject message (XEP-0045 §8.1): type groupchat, a `<subject/>` and no `<body/>`. */
export function buildSubjectMessage(options: SubjectMessageOptions): Element {
  const { room, to, nick, id, setAt } = options;
  return xml(
    "message",
    { from: nick === undefined ? room : `${room}/${nick}`, to, type: "groupchat", id },
    xml("subject", {}, sanitizeXmlText(options.subject)),
    setAt ? xml("delay", { xmlns: NS_DELAY, from: room, stamp: formatXmppDateTime(setAt) }) : null,
  );
}

export interface GroupchatMessageOptions extends Omit<ChatMessageOptions, "from" | "type" | "delay"> {
  /** The room's bare JID; the message comes from `room/nick`. */
  room: string;
  nick: string;
  /** The room's XEP-0359 id for this message (`<stanza-id by=room/>`): what MAM, replies, reactions and retractions refer to. */
  stanzaId: string;
  /** XEP-0421 id of the author. */
  occupantId?: string;
  /** History replayed on join or from the network: `<delay from=room stamp/>`. */
  delay?: Date;
  /** XEP-0372 mentions, offsets into `body` as written (before any reply quote is added). */
  mentions?: readonly Mention[];
}

/**
 * A groupchat message from an occupant: {@link buildChatMessage} (so every 1:1 feature composes the
 * same way) made `type="groupchat"`, plus the room's `<stanza-id/>`, `<occupant-id/>` and mentions.
 * Mention offsets are shifted past the reply quote when one is prepended, so they keep marking the
 * text the author wrote.
 */
export function buildGroupchatMessage(options: GroupchatMessageOptions): Element {
  const { room, nick, stanzaId, occupantId, delay, mentions = [], ...chat } = options;
  const stanza = buildChatMessage({
    ...chat,
    from: `${room}/${nick}`,
    ...(delay ? { delay: { stamp: delay, from: room } } : {}),
  });
  stanza.attrs.type = "groupchat";
  const quote = replyQuoteLength(stanza);
  for (const mention of mentions) {
    const shifted =
      mention.begin === undefined || mention.end === undefined
        ? mention
        : { jid: mention.jid, begin: mention.begin + quote, end: mention.end + quote };
    stanza.append(buildMention(shifted));
  }
  stanza.append(xml("stanza-id", { xmlns: NS_SID, id: stanzaId, by: room }));
  if (occupantId !== undefined) stanza.append(xml("occupant-id", { xmlns: NS_OCCUPANT_ID, id: occupantId }));
  return stanza;
}

export interface MucPrivateMessageOptions extends Omit<ChatMessageOptions, "from" | "type"> {
  /** The room's bare JID; the message comes from `room/nick`. */
  room: string;
  nick: string;
}

/**
 * A private message from an occupant (XEP-0045 §7.5): a 1:1 {@link buildChatMessage} from
 * `room/nick`, with the empty `<x xmlns=".../muc#user"/>` that tells clients to show it in the room's
 * private conversation rather than as a message from an unknown contact.
 */
export function buildMucPrivateMessage(options: MucPrivateMessageOptions): Element {
  const { room, nick, ...chat } = options;
  const stanza = buildChatMessage({ ...chat, from: `${room}/${nick}` });
  stanza.append(xml("x", { xmlns: NS_MUC_USER }));
  return stanza;
}

function replyQuoteLength(stanza: Element): number {
  const range = stanza.getChild("fallback", "urn:xmpp:fallback:0")?.getChild("body");
  return range?.attrs.end === undefined ? 0 : Number(range.attrs.end);
}

/**
 * A user's message to a room, as {@link parseRoomMessage} reads it: `groupchat` to the bare room
 * (with a `subject` when it sets one), `private` (XEP-0045 §7.5, type chat or normal to
 * `room/nick`), `error` (the user's server bounced something), `other` (anything else to the bare
 * room: invitations, voice requests, which a gateway may refuse). Mention offsets count from the
 * start of the `<body/>` as sent (`message.rawBody`), reply quote included.
 */
export type RoomMessage =
  | {
      readonly kind: "groupchat";
      readonly room: string;
      readonly message: ChatMessage;
      readonly subject?: string;
      readonly mentions: readonly Mention[];
    }
  | {
      readonly kind: "private";
      readonly room: string;
      readonly nick: string;
      readonly message: ChatMessage;
      readonly mentions: readonly Mention[];
    }
  | { readonly kind: "error"; readonly room: string; readonly nick?: string }
  | { readonly kind: "other"; readonly room: string; readonly message: ChatMessage };

/**
 * Reads a user's message to `room@service[/nick]` with {@link parseChatMessage}, plus what rooms
 * add. Throws {@link XmppError}: `jid-malformed` for an address that is not a room's,
 * `groupchat-to-occupant` (bad-request, XEP-0045 §7.5) for a groupchat message to `room/nick`, and
 * `bad-request` for malformed mentions. Whether the sender is an occupant is the caller's to check
 * (`mucError("not-occupant")`).
 */
export function parseRoomMessage(stanza: Element): RoomMessage {
  const to = JID.tryParse(stanza.attrs.to);
  if (!to?.local) throw new XmppError("jid-malformed", "A room address is room@service.");
  const room = to.bare().toString();
  const nick = to.resource === "" ? undefined : to.resource;
  const { type } = stanza.attrs;
  if (type === "error") return Object.freeze({ kind: "error", room, ...(nick ? { nick } : {}) });
  const message = parseChatMessage(stanza);
  if (nick !== undefined) {
    if (type === "groupchat") throw mucError("groupchat-to-occupant");
    return Object.freeze({
      kind: "private",
      room,
      nick,
      message,
      mentions: Object.freeze(parseMentions(stanza)),
    });
  }
  if (type !== "groupchat") return Object.freeze({ kind: "other", room, message });
  const subject = stanza.getChildText("subject") ?? undefined;
  return Object.freeze({
    kind: "groupchat",
    room,
    message,
    ...(subject === undefined ? {} : { subject }),
    mentions: Object.freeze(parseMentions(stanza)),
  });
}

/**
 * How the room answers an XEP-0199 ping sent to it or one of its occupants:
 * - `room`: to the bare room, which exists → result.
 * - `joined`: XEP-0410 self-ping to the nick the sender is joined with → result.
 * - `not-joined`: the sender is not an occupant, or pings a nick that is not its own while not
 *   joined → `not-acceptable` (XEP-0410 §3.3: the room answers for the client).
 * - `occupant`: an occupant pings another existing occupant → result (the gateway's puppets are
 *   always "there").
 * - `no-occupant`: an occupant pings a nick nobody has → `item-not-found`.
 */
export type MucPingVerdict = "room" | "joined" | "not-joined" | "occupant" | "no-occupant";

/**
 * Classifies a ping IQ to a room JID. `joinedNick` is the nick the sender's full JID is joined with,
 * if any; `hasOccupant` tells whether a nick is in the room.
 */
export function classifyMucPing(
  stanza: Element,
  joinedNick: string | undefined,
  hasOccupant: (nick: string) => boolean,
): MucPingVerdict {
  const to = JID.tryParse(stanza.attrs.to);
  if (!to || to.resource === "") return "room";
  if (joinedNick === undefined) return "not-joined";
  if (to.resource === joinedNick) return "joined";
  return hasOccupant(to.resource) ? "occupant" : "no-occupant";
}

/**
 * The XEP-0410 error for a ping classified as `verdict`, or `undefined` when it is answered with a
 * result: throw it from an IQ handler. `room` (the bare room JID) becomes the error's `by`.
 */
export function mucPingError(verdict: MucPingVerdict, room?: string): XmppError | undefined {
  // XEP-0410's example marks the room as the error's author (`by`).
  if (verdict === "not-joined") {
    return new XmppError("not-acceptable", "You are not joined to this room.", { type: "cancel", by: room });
  }
  if (verdict === "no-occupant") {
    return new XmppError("item-not-found", "Nobody in this room has that nickname.", { by: room });
  }
  return undefined;
}

/** The whole answer to a ping classified as `verdict`: an empty result or the XEP-0410 error. */
export function mucPingReply(stanza: Element, verdict: MucPingVerdict): Element {
  const error = mucPingError(verdict, JID.tryParse(stanza.attrs.to)?.bare().toString());
  return error ? errorReply(stanza, error) : iqResult(stanza);
}
