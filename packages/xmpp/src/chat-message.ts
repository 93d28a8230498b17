import type { MessageType, PresenceType } from "./builders.js";
import { type Element, type ElementChild, type XmlChildInput, xml } from "./element.js";
import { type SharedFile, sharedFileElements } from "./file-sharing.js";
import { JID } from "./jid.js";
import { MESSAGE_LIMITS, readReaction } from "./message-limits.js";
import { NS_NICK, NS_VCARD_UPDATE, type PresenceShow } from "./presence.js";
import type { PrivilegeNamespace } from "./privilege.js";
import { sanitizeXmlText } from "./xml-text.js";

const NS_SID = "urn:xmpp:sid:0";
const NS_REPLY = "urn:xmpp:reply:0";
const NS_FALLBACK = "urn:xmpp:fallback:0";
const NS_CORRECTION = "urn:xmpp:message-correct:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_RETRACT_LEGACY = "urn:xmpp:message-retract:0";
const NS_FASTEN = "urn:xmpp:fasten:0";
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_CHAT_STATES = "http://jabber.org/protocol/chatstates";
const NS_CHAT_MARKERS = "urn:xmpp:chat-markers:0";
const NS_RECEIPTS = "urn:xmpp:receipts";
const NS_OOB = "jabber:x:oob";
const NS_HINTS = "urn:xmpp:hints";
const NS_DELAY = "urn:xmpp:delay";
const NS_IDLE = "urn:xmpp:idle:1";
const NS_ENTITY_CAPS = "http://jabber.org/protocol/caps";
const NS_FORWARD = "urn:xmpp:forward:0";
const NS_CLIENT = "jabber:client";

/** XEP-0085 chat states. */
export type ChatState = "active" | "composing" | "paused" | "inactive" | "gone";
const CHAT_STATES: readonly ChatState[] = ["active", "composing", "paused", "inactive", "gone"];

/** The longest `<reaction/>` accepted, in code points: `MESSAGE_LIMITS.reactionCodePoints`. */
export const MAX_REACTION_CODE_POINTS = MESSAGE_LIMITS.reactionCodePoints;

/** The body XEP-0424 recommends for clients that do not understand retractions. */
export const RETRACTION_FALLBACK_TEXT =
  "This person attempted to retract a previous message, but it's unsupported by your client.";

/** An XEP-0359 `<stanza-id/>`: the id `by` (an archive, a MUC) gave this message. */
export interface StanzaId {
  readonly id: string;
  readonly by: string;
}

/** XEP-0461: the message this one replies to. */
export interface ReplyReference {
  readonly id: string;
  /** The JID of the replied message's author, when the sender said so (XEP-0461 makes it optional). */
  readonly to?: string;
}

/** XEP-0444: the complete set of the sender's reactions to one message. */
export interface MessageReactions {
  readonly id: string;
  /** Valid ones, deduplicated, in order; empty with `invalid` 0 means "remove all my reactions". */
  readonly emojis: readonly string[];
  /** How many `<reaction/>`s were not a single emoji (left out of `emojis`): refuse the message. */
  readonly invalid: number;
}

/** Everything an inbound 1:1 message carries, as read by {@link parseChatMessage}. */
export interface ChatMessage {
  /** The stanza type; `"normal"` when absent (RFC 6121 §5.2.2). */
  readonly type: MessageType;
  readonly from?: string;
  readonly to?: string;
  /** The stanza `id`. */
  readonly id?: string;
  /** XEP-0359 `<origin-id/>`: the id the sending client chose, kept by servers and MUCs. */
  readonly originId?: string;
  readonly stanzaIds: readonly StanzaId[];
  /** The text the user wrote: `rawBody` without the XEP-0461 reply quote (XEP-0428 ranges). */
  readonly body?: string;
  /** The `<body/>` as received, fallbacks included. */
  readonly rawBody?: string;
  readonly replyTo?: ReplyReference;
  /** XEP-0308: the id of the message this one corrects (its body replaces that one's). */
  readonly correction?: string;
  /** XEP-0424 (either namespace): the id of the message the sender retracts. */
  readonly retraction?: string;
  readonly reactions?: MessageReactions;
  readonly chatState?: ChatState;
  /** XEP-0333 `<markable/>`: the sender wants chat markers for this message. */
  readonly markable: boolean;
  /** XEP-0333 markers: the id of the last message received / displayed / acknowledged. */
  readonly received?: string;
  readonly displayed?: string;
  readonly acknowledged?: string;
  /** XEP-0184 `<request/>`: the sender wants a delivery receipt for this message. */
  readonly requestsReceipt: boolean;
  /** XEP-0184 `<received/>`: the id of the message this receipt confirms. */
  readonly deliveryReceipt?: string;
  /** XEP-0066 `jabber:x:oob` URLs, in order. */
  readonly oobUrls: readonly string[];
  /**
   * True when the message asks the recipient for anything beyond showing a chat state: text, an
   * attachment, a correction, a retraction, reactions, a marker or a receipt. `markable` and
   * `requestsReceipt` alone do not count: they qualify content, they are not content.
   */
  readonly hasContent: boolean;
}

/**
 * Reads an inbound `<message/>` into a frozen {@link ChatMessage}. Never throws: an element that
 * lacks what its XEP requires (an id, mostly) is ignored. `checkChatMessage` (message-limits.ts)
 * tells which of those to refuse, and enforces the size limits.
 */
export function parseChatMessage(stanza: Element): ChatMessage {
  const rawBody = stanza.getChildText("body") ?? undefined;
  const replyTo = readReply(stanza);
  // XEP-0428 lets a client drop the fallback only "if it has other ways to convey the intended
  // meaning": when the <reply/> is unusable, the quote is all the recipient gets, so it stays.
  const body = rawBody !== undefined && replyTo ? stripReplyFallback(stanza, rawBody) : rawBody;
  const reactions = readReactions(stanza);
  const received = idOf(stanza.getChild("received", NS_CHAT_MARKERS));
  const displayed = idOf(stanza.getChild("displayed", NS_CHAT_MARKERS));
  const acknowledged = idOf(stanza.getChild("acknowledged", NS_CHAT_MARKERS));
  // XEP-0184 ≥1.1 requires the id; an id-less receipt (the 1.0 form) confirms nothing we can name.
  const deliveryReceipt = idOf(stanza.getChild("received", NS_RECEIPTS));
  const correction = idOf(stanza.getChild("replace", NS_CORRECTION));
  const retraction = readRetraction(stanza);
  const oobUrls = readOobUrls(stanza);

  const hasContent =
    (rawBody !== undefined && rawBody.trim() !== "") ||
    correction !== undefined ||
    retraction !== undefined ||
    reactions !== undefined ||
    received !== undefined ||
    displayed !== undefined ||
    acknowledged !== undefined ||
    deliveryReceipt !== undefined ||
    oobUrls.length > 0;

  return Object.freeze({
    type: readMessageType(stanza.attrs.type),
    from: nonEmpty(stanza.attrs.from),
    to: nonEmpty(stanza.attrs.to),
    id: nonEmpty(stanza.attrs.id),
    originId: idOf(stanza.getChild("origin-id", NS_SID)),
    stanzaIds: Object.freeze(readStanzaIds(stanza)),
    body,
    rawBody,
    replyTo,
    correction,
    retraction,
    reactions,
    chatState: readChatState(stanza),
    markable: stanza.getChild("markable", NS_CHAT_MARKERS) !== undefined,
    received,
    displayed,
    acknowledged,
    requestsReceipt: stanza.getChild("request", NS_RECEIPTS) !== undefined,
    deliveryReceipt,
    oobUrls: Object.freeze(oobUrls),
    hasContent,
  });
}

const MESSAGE_TYPES: readonly MessageType[] = ["chat", "error", "groupchat", "headline", "normal"];

function readMessageType(type: string | undefined): MessageType {
  // RFC 6121 §5.2.2: an unknown type is to be treated as "normal", like an absent one.
  return MESSAGE_TYPES.includes(type as MessageType) ? (type as MessageType) : "normal";
}

/** An empty id references nothing, so it is treated like a missing one. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}

function idOf(element: Element | undefined): string | undefined {
  return element ? nonEmpty(element.attrs.id) : undefined;
}

function readStanzaIds(stanza: Element): StanzaId[] {
  const ids: StanzaId[] = [];
  for (const element of stanza.getChildren("stanza-id", NS_SID)) {
    const id = nonEmpty(element.attrs.id);
    const by = nonEmpty(element.attrs.by);
    // XEP-0359 makes both required: an id without its issuer cannot be trusted or used (a spoofed
    // one is told apart only by `by`).
    if (id && by) ids.push(Object.freeze({ id, by }));
  }
  return ids;
}

function readReply(stanza: Element): ReplyReference | undefined {
  const reply = stanza.getChild("reply", NS_REPLY);
  const id = idOf(reply);
  if (!reply || !id) return undefined;
  const to = nonEmpty(reply.attrs.to);
  return Object.freeze(to === undefined ? { id } : { id, to });
}

/**
 * Removes the parts of the body that `<fallback for="urn:xmpp:reply:0"/>` marks. Offsets are
 * XEP-0426 character positions, i.e. Unicode code points: a UTF-16 slice would cut an emoji in two
 * and drift by one for every astral character before the range. A fallback with no `<body/>`
 * child (and no `<subject/>` either), or a `<body/>` without offsets, covers the whole body
 * (XEP-0428 §2.2). A range that does not fit the body is skipped rather than clamped: a sender that
 * miscounted might otherwise make us delete what the user wrote, and an extra quote is harmless.
 */
function stripReplyFallback(stanza: Element, rawBody: string): string {
  const chars = Array.from(rawBody);
  const drop = new Array<boolean>(chars.length).fill(false);
  for (const fallback of stanza.getChildren("fallback", NS_FALLBACK)) {
    if (fallback.attrs.for !== NS_REPLY) continue;
    const bodies = fallback.getChildren("body");
    if (bodies.length === 0 && fallback.getChildren("subject").length === 0) return "";
    for (const range of bodies) {
      const { start, end } = range.attrs;
      if (start === undefined && end === undefined) return "";
      const from = offset(start);
      const to = offset(end);
      if (from === undefined || to === undefined || from > to || to > chars.length) continue;
      drop.fill(true, from, to);
    }
  }
  return chars.filter((_, index) => !drop[index]).join("");
}

function offset(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}

/**
 * XEP-0424 moved from a fastening (`<apply-to><retract xmlns=":0"/></apply-to>`, used by clients
 * released before 2023) to `<retract xmlns=":1" id/>`; both are still sent, often together (as
 * {@link buildChatMessage} does). The :1 form wins when both are present, being the current one.
 */
function readRetraction(stanza: Element): string | undefined {
  const current = idOf(stanza.getChild("retract", NS_RETRACT));
  if (current) return current;
  for (const applyTo of stanza.getChildren("apply-to", NS_FASTEN)) {
    const id = nonEmpty(applyTo.attrs.id);
    if (id && applyTo.getChild("retract", NS_RETRACT_LEGACY)) return id;
  }
  return undefined;
}

/**
 * Only the first `<reactions/>` counts (XEP-0444: a message "MUST NOT contain more than one").
 * Each reaction is trimmed; those `readReaction` refuses (not a single emoji) are counted in
 * `invalid`, never silently dropped: the set without them could be empty, i.e. "remove all".
 */
function readReactions(stanza: Element): MessageReactions | undefined {
  const element = stanza.getChild("reactions", NS_REACTIONS);
  const id = idOf(element);
  if (!element || !id) return undefined;
  const emojis = new Set<string>();
  let invalid = 0;
  for (const reaction of element.getChildren("reaction")) {
    const emoji = readReaction(reaction);
    if (emoji === undefined) invalid += 1;
    else emojis.add(emoji);
  }
  return Object.freeze({ id, emojis: Object.freeze([...emojis]), invalid });
}

function readChatState(stanza: Element): ChatState | undefined {
  for (const child of stanza.getChildElements()) {
    if (child.getNS() !== NS_CHAT_STATES) continue;
    const name = child.name.includes(":") ? child.name.slice(child.name.indexOf(":") + 1) : child.name;
    if (CHAT_STATES.includes(name as ChatState)) return name as ChatState;
  }
  return undefined;
}

function readOobUrls(stanza: Element): string[] {
  const urls: string[] = [];
  for (const x of stanza.getChildren("x", NS_OOB)) {
    const url = x.getChildText("url")?.trim();
    if (url) urls.push(url);
  }
  return urls;
}

function codePointLength(text: string): number {
  let length = 0;
  for (const _ of text) length += 1;
  return length;
}

/** What {@link buildChatMessage} adds as an XEP-0334 storage hint. */
export type StoreHint = "store" | "no-store" | "none";

export interface ChatMessageOptions {
  from: string;
  to: string;
  id: string;
  /** Default `"chat"`. */
  type?: "chat" | "normal";
  /** Sanitized with `sanitizeXmlText`; an empty body (after sanitizing) is left out. */
  body?: string;
  /** Adds `<origin-id/>` with the stanza id (XEP-0359), which XEP-0424 and MUCs rely on. */
  originId?: boolean;
  /**
   * XEP-0461 reply; needs a `body`. With `fallbackText`, the body is prefixed with that text quoted
   * (`"> "` before each line, then a line break) and an XEP-0428 fallback marks the quote.
   */
  replyTo?: { id: string; to?: string; fallbackText?: string };
  /** XEP-0308: the id of the message this one corrects. */
  correctionOf?: string;
  /** XEP-0424: the id of the message to retract. Carries its own body, so `body` must be absent. */
  retractionOf?: string;
  /** XEP-0444: the complete new set of reactions to message `id` (empty removes them all). */
  reactions?: { id: string; emojis: readonly string[] };
  chatState?: ChatState;
  /** XEP-0333 `<markable/>`. */
  markable?: boolean;
  /** XEP-0184 `<request/>`. */
  requestReceipt?: boolean;
  /** Confirms delivery of message `received` with both XEP-0184 and the XEP-0333 marker. */
  received?: string;
  /** XEP-0333 `<displayed/>`. */
  displayed?: string;
  /** XEP-0203 delayed delivery, e.g. for history the legacy network replays. */
  delay?: { stamp: Date; from?: string };
  /**
   * Overrides the automatic XEP-0334 hint: `<store/>` on reactions, retractions, markers and
   * receipts, `<no-store/>` on a message that carries nothing but a chat state.
   */
  storeHint?: StoreHint;
  /** A file shared by URL (XEP-0066 and XEP-0447); the body should be its URL for inline display. */
  attachment?: SharedFile;
}

/**
 * Builds an outgoing 1:1 message from a puppet. Every option composes with the others (a reply
 * that is also a correction, a body with a chat state and `<markable/>`…). Text from the legacy
 * network goes through `sanitizeXmlText`, before any XEP-0426 offset is counted. Throws
 * `RangeError` only for combinations that cannot be expressed (a retraction with a body, a reply
 * without one, an invalid date).
 */
export function buildChatMessage(options: ChatMessageOptions): Element {
  const { from, to, id, type = "chat", replyTo, retractionOf, reactions, received, displayed } = options;
  if (retractionOf !== undefined && options.body !== undefined) {
    throw new RangeError("A retraction carries its own fallback body; do not give a body with it.");
  }
  let body = options.body === undefined ? "" : sanitizeXmlText(options.body);
  if (replyTo && body === "") throw new RangeError("A reply (XEP-0461) needs a non-empty body.");

  const children: XmlChildInput[] = [];
  let replyFallbackEnd = 0;
  if (replyTo?.fallbackText !== undefined) {
    const quote = quoteLines(sanitizeXmlText(replyTo.fallbackText));
    replyFallbackEnd = codePointLength(quote);
    body = quote + body;
  }
  if (retractionOf !== undefined) body = RETRACTION_FALLBACK_TEXT;
  if (body !== "") children.push(xml("body", {}, body));

  if (replyTo) {
    children.push(xml("reply", { xmlns: NS_REPLY, to: replyTo.to, id: replyTo.id }));
    if (replyFallbackEnd > 0) {
      children.push(
        xml(
          "fallback",
          { xmlns: NS_FALLBACK, for: NS_REPLY },
          xml("body", { start: 0, end: replyFallbackEnd }),
        ),
      );
    }
  }
  if (options.correctionOf !== undefined) {
    children.push(xml("replace", { xmlns: NS_CORRECTION, id: options.correctionOf }));
  }
  if (retractionOf !== undefined) {
    children.push(
      xml("retract", { xmlns: NS_RETRACT, id: retractionOf }),
      xml("apply-to", { xmlns: NS_FASTEN, id: retractionOf }, xml("retract", { xmlns: NS_RETRACT_LEGACY })),
      xml("fallback", { xmlns: NS_FALLBACK, for: NS_RETRACT }),
    );
  }
  if (reactions) {
    // XEP-0444: "MUST NOT contain the same reaction more than once".
    const emojis = [...new Set(reactions.emojis.map(sanitizeXmlText).filter((emoji) => emoji !== ""))];
    children.push(
      xml(
        "reactions",
        { xmlns: NS_REACTIONS, id: reactions.id },
        emojis.map((emoji) => xml("reaction", {}, emoji)),
      ),
    );
  }
  if (options.chatState) children.push(xml(options.chatState, { xmlns: NS_CHAT_STATES }));
  if (options.markable) children.push(xml("markable", { xmlns: NS_CHAT_MARKERS }));
  if (options.requestReceipt) children.push(xml("request", { xmlns: NS_RECEIPTS }));
  if (received !== undefined) {
    children.push(
      xml("received", { xmlns: NS_RECEIPTS, id: received }),
      xml("received", { xmlns: NS_CHAT_MARKERS, id: received }),
    );
  }
  if (displayed !== undefined) children.push(xml("displayed", { xmlns: NS_CHAT_MARKERS, id: displayed }));
  if (options.attachment) children.push(...sharedFileElements(options.attachment));
  if (options.originId) children.push(xml("origin-id", { xmlns: NS_SID, id }));
  if (options.delay) {
    children.push(
      xml("delay", { xmlns: NS_DELAY, from: options.delay.from, stamp: xmppDateTime(options.delay.stamp) }),
    );
  }

  const hint = options.storeHint ?? automaticHint(options, body !== "");
  if (hint !== "none") children.push(xml(hint, { xmlns: NS_HINTS }));

  return xml("message", { from, to, type, id }, ...children);
}

/**
 * `<store/>` where a server might otherwise drop what has no body: XEP-0444 and XEP-0424 ask for
 * it on reactions and retractions, and XEP-0333 says markers "SHOULD be archived" so the user's
 * other devices can sync read state from MAM (Prosody archives markers and receipts anyway; other
 * servers archive by body). `<no-store/>` on a bare chat state: "composing" is meaningless once
 * stored and delivered later, and XEP-0334 `no-store` also forbids offline storage.
 */
function automaticHint(options: ChatMessageOptions, hasBody: boolean): StoreHint {
  if (
    options.reactions ||
    options.retractionOf !== undefined ||
    options.received !== undefined ||
    options.displayed !== undefined
  ) {
    return "store";
  }
  const onlyChatState =
    options.chatState !== undefined &&
    !hasBody &&
    options.correctionOf === undefined &&
    !options.markable &&
    !options.requestReceipt;
  return onlyChatState ? "no-store" : "none";
}

function quoteLines(text: string): string {
  // Every XML parser reads CR LF and a lone CR as LF (XML 1.0 §2.11): counted before that, the
  // fallback's end would overshoot the quote and cut the start of the user's text.
  const lines = text.replace(/\r\n?/g, "\n");
  // A trailing line break would add an empty quoted line; the quote ends with exactly one.
  const trimmed = lines.replace(/\n+$/, "");
  if (trimmed === "") return "";
  return `${trimmed
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n")}\n`;
}

/**
 * XEP-0082 DateTime in UTC. Milliseconds are written only when nonzero: every XEP-0203 and
 * XEP-0319 example uses whole seconds, and some parsers in the wild still reject fractions, while a
 * legacy timestamp with milliseconds keeps its order relative to its neighbours.
 */
function xmppDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("Invalid date.");
  const iso = date.toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

export interface PresenceOptions {
  from: string;
  to: string;
  /** Omitted for plain availability. */
  type?: PresenceType;
  show?: PresenceShow;
  /** Sanitized with `sanitizeXmlText`. */
  status?: string;
  /** An integer from -128 to 127 (RFC 6121 §4.7.2.3). */
  priority?: number;
  /** XEP-0319: when the contact was last active. */
  idleSince?: Date;
  /** XEP-0172 nickname. Sanitized. */
  nick?: string;
  /** XEP-0115; `ver` is computed by the caller from its disco#info. */
  caps?: { node: string; ver: string; hash: "sha-1" };
  /**
   * XEP-0153: the SHA-1 (hex) of the avatar, `null` for "no avatar" (an empty `<photo/>`);
   * omitted, the presence says nothing about the avatar ("not ready to advertise").
   */
  avatarHash?: string | null;
}

/** A presence from a puppet, with the extensions contacts commonly carry. */
export function buildPresence(options: PresenceOptions): Element {
  const { from, to, type, show, status, priority, idleSince, nick, caps, avatarHash } = options;
  if (priority !== undefined && (!Number.isInteger(priority) || priority < -128 || priority > 127)) {
    throw new RangeError(`A presence priority is an integer from -128 to 127, not ${priority}.`);
  }
  const statusText = status === undefined ? "" : sanitizeXmlText(status);
  const nickText = nick === undefined ? "" : sanitizeXmlText(nick);
  return xml(
    "presence",
    { from, to, type },
    show ? xml("show", {}, show) : null,
    statusText ? xml("status", {}, statusText) : null,
    priority === undefined ? null : xml("priority", {}, String(priority)),
    caps ? xml("c", { xmlns: NS_ENTITY_CAPS, hash: caps.hash, node: caps.node, ver: caps.ver }) : null,
    avatarHash === undefined
      ? null
      : xml("x", { xmlns: NS_VCARD_UPDATE }, xml("photo", {}, avatarHash ?? "")),
    nickText ? xml("nick", { xmlns: NS_NICK }, nickText) : null,
    idleSince ? xml("idle", { xmlns: NS_IDLE, since: xmppDateTime(idleSince) }) : null,
  );
}

/**
 * The XEP-0356 namespaces: `:1` (XEP-0356 0.2–0.3, ejabberd ≤ 23.x), `:2` (0.4+, Prosody). The
 * same type as privilege.ts's `PrivilegeNamespace`, under the name this module has always used.
 */
export type PrivilegeNamespaceUri = PrivilegeNamespace;

/**
 * XEP-0356 "message" privilege: has the user's server send `inner` as if the user had sent it
 * (what the user wrote from the legacy network's own app shows up as theirs, carbon-copied to their
 * clients). Both namespace versions use the same shape:
 *
 * `<message from=component to=server><privilege xmlns=ns><forwarded xmlns="urn:xmpp:forward:0">
 * <message xmlns="jabber:client" from=user-bare-jid …/></forwarded></privilege></message>`
 *
 * Evidence, for each choice:
 * - outer `to` is the user's server domain: XEP-0356 0.2 §5.3 addresses it to the server, and
 *   Prosody's mod_privilege (prosody-modules 2023-02) handles it in a `message/host` hook — only
 *   stanzas addressed to a bare domain reach it — and looks the permission up by that `to` host.
 * - inner `from` is the user's bare JID: XEP-0356 §5.1 "MUST be a bare JID from the server, no
 *   resource is allowed"; mod_privilege answers `forbidden` unless `jid.split(from)` has no
 *   resource and a host it serves.
 * - inner `xmlns="jabber:client"` spelled out: mod_privilege finds the inner message with
 *   `get_child('message', 'jabber:client')`, which compares the `xmlns` attribute (Prosody 0.12
 *   util/stanza.lua); util/xmppstream.lua sets that attribute to the inherited namespace, here
 *   `urn:xmpp:forward:0`, so without the declaration the server answers `bad-request` "invalid
 *   forwarded <message/> element".
 *
 * `inner` is copied, not modified; its `from` is replaced and `xmlns` set. The outer message has
 * no id: set one on the result to match the server's error replies. Throws `RangeError` when
 * `inner` is not a message or `userBareJid` has a resource, and `XmppError("jid-malformed")` when
 * it is not a JID.
 */
export function wrapPrivilegedMessage(
  namespace: PrivilegeNamespaceUri,
  componentJid: string,
  userBareJid: string,
  inner: Element,
): Element {
  if (inner.name !== "message") {
    throw new RangeError(
      `Only a <message/> can be sent with the XEP-0356 message privilege, not <${inner.name}/>.`,
    );
  }
  const user = JID.parse(userBareJid);
  if (!user.isBare) {
    throw new RangeError(`XEP-0356 sends messages from a bare JID, not from ${JSON.stringify(userBareJid)}.`);
  }
  // xmlns and from first, as in the XEP's example; whatever the caller had there is replaced.
  const { xmlns: _xmlns, from: _from, ...attrs } = inner.attrs;
  const copy = xml(
    "message",
    { xmlns: NS_CLIENT, from: user.toString(), ...attrs },
    inner.children.map(copyChild),
  );
  return xml(
    "message",
    { from: componentJid, to: user.domain },
    xml("privilege", { xmlns: namespace }, xml("forwarded", { xmlns: NS_FORWARD }, copy)),
  );
}

function copyChild(child: ElementChild): ElementChild {
  return typeof child === "string"
    ? child
    : xml(child.name, { ...child.attrs }, child.children.map(copyChild));
}
