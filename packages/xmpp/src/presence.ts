import { presence } from "./builders.js";
import { type Element, xml } from "./element.js";
import { JID } from "./jid.js";
import { sanitizeXmlText } from "./xml-text.js";

/** XEP-0153: the `<x/>` in a presence that carries the hash of the sender's vCard photo. */
export const NS_VCARD_UPDATE = "vcard-temp:x:update";
/** XEP-0172 user nickname. */
export const NS_NICK = "http://jabber.org/protocol/nick";

/** Presence `show` values (RFC 6121 §4.7.2.1); none is plain "available". */
export type PresenceShow = "away" | "chat" | "dnd" | "xa";

/** The four RFC 6121 §3 subscription presences. */
export type SubscriptionType = "subscribe" | "subscribed" | "unsubscribe" | "unsubscribed";
const SUBSCRIPTION_TYPES: ReadonlySet<string> = new Set([
  "subscribe",
  "subscribed",
  "unsubscribe",
  "unsubscribed",
]);

export interface SubscriptionPresenceOptions {
  /**
   * XEP-0172 §4.1: the name the sender would like to be known by, for a `subscribe`. Clients show
   * it with the request and prefill the roster item's name with it. Sanitized; left out when empty.
   */
  nick?: string | undefined;
}

/** `<presence from to type/>` asking for, granting, cancelling or refusing a subscription. */
export function subscriptionPresence(
  from: string,
  to: string,
  type: SubscriptionType,
  options: SubscriptionPresenceOptions = {},
): Element {
  // Typed, but a JavaScript caller passing "unavailable" would otherwise send something else entirely.
  if (!SUBSCRIPTION_TYPES.has(type)) {
    throw new RangeError(`${JSON.stringify(type)} is not a subscription presence type.`);
  }
  const nick = options.nick === undefined ? "" : sanitizeXmlText(options.nick);
  return presence({ from, to, type }, nick ? xml("nick", { xmlns: NS_NICK }, nick) : null);
}

/** What a user's availability presence says, as a gateway passes it on to the legacy network. */
export interface ParsedUserPresence {
  /** False for `type="unavailable"`. */
  available: boolean;
  /** Only the four RFC 6121 values; anything else is left out (plain "available"). */
  show?: PresenceShow;
  /** The first `<status/>`'s text, as sent (an empty element gives ""). */
  status?: string;
  /** The sending client's resource, when `from` is a valid full JID. */
  resource?: string;
}

const SHOW_VALUES: ReadonlySet<string> = new Set(["chat", "away", "xa", "dnd"]);

/**
 * Reads an availability presence (no `type`, or `unavailable`). Subscription, probe and error
 * presences say nothing about availability, so handing one in throws `RangeError`: the caller
 * dispatches on the type first, and a mix-up would otherwise read a probe as "went offline".
 */
export function parseUserPresence(stanza: Element): ParsedUserPresence {
  const { type } = stanza.attrs;
  if (type !== undefined && type !== "unavailable") {
    throw new RangeError(`A presence of type ${JSON.stringify(type)} is not an availability presence.`);
  }
  const parsed: ParsedUserPresence = { available: type === undefined };
  // Clients are lenient about whitespace around the value; the value itself must be exact.
  const show = stanza.getChildText("show")?.trim();
  if (show !== undefined && SHOW_VALUES.has(show)) parsed.show = show as PresenceShow;
  const status = stanza.getChildText("status");
  if (status !== null) parsed.status = status;
  const resource = JID.tryParse(stanza.attrs.from)?.resource;
  if (resource) parsed.resource = resource;
  return parsed;
}

/**
 * XEP-0153 §4.3: the avatar hash a presence advertises. `undefined` when it carries no
 * `<x xmlns="vcard-temp:x:update"><photo/></x>` (the client says nothing, e.g. it has not fetched
 * the vCard yet — not "no avatar"), `""` for an empty `<photo/>` (no avatar), else the hash.
 */
export function parseAvatarUpdateHash(stanza: Element): string | undefined {
  const photo = stanza.getChild("x", NS_VCARD_UPDATE)?.getChild("photo");
  return photo === undefined ? undefined : photo.text().trim();
}
