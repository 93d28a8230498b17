import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { JID } from "./jid.js";

/** XEP-0372 references. */
export const NS_REFERENCE = "urn:xmpp:reference:0";

/** An XEP-0372 `type="mention"` reference: who is mentioned, and where in the body. */
export interface Mention {
  /** The mentioned entity, e.g. `room@gateway/nick` for an occupant or a bare JID for a user. */
  readonly jid: string;
  /**
   * Code-point offsets into the body the reference was sent with (`begin` inclusive, `end`
   * exclusive); both absent when the reference marks no range.
   */
  readonly begin?: number;
  readonly end?: number;
}

/**
 * `xmpp:` URI of a JID (RFC 5122): the localpart and resource percent-encoded, so a nick with
 * spaces, `#`, `?` or `/` and an XEP-0106-escaped localpart (`\20`) survive the round trip.
 */
export function xmppUri(jid: string): string {
  const parsed = JID.parse(jid);
  // encodeURIComponent throws URIError on a lone surrogate, which XML cannot carry either.
  if (/\p{Cs}/u.test(jid)) throw new RangeError("A JID with a lone surrogate cannot be written as a URI.");
  const local = parsed.local === "" ? "" : `${encodeURIComponent(parsed.local)}@`;
  const resource = parsed.resource === "" ? "" : `/${encodeURIComponent(parsed.resource)}`;
  return `xmpp:${local}${parsed.domain}${resource}`;
}

/** The JID an `xmpp:` URI names (query and fragment dropped), or `undefined` when it names none. */
export function jidFromXmppUri(uri: string): string | undefined {
  if (!uri.startsWith("xmpp:")) return undefined;
  let rest = uri.slice("xmpp:".length);
  // xmpp://auth@host/... names the account to act as (RFC 5122 §2.3); not a mention target.
  if (rest.startsWith("//")) return undefined;
  rest = rest.replace(/[?#].*$/s, "");
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  return JID.tryParse(decoded)?.toString();
}

/** `<reference xmlns="urn:xmpp:reference:0" type="mention" begin end uri/>` for one mention. */
export function buildMention(mention: Mention): Element {
  const { begin, end } = mention;
  if ((begin === undefined) !== (end === undefined))
    throw new RangeError("A mention has both begin and end, or neither.");
  if (
    begin !== undefined &&
    end !== undefined &&
    !(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && begin <= end)
  ) {
    throw new RangeError("A mention's begin and end are integers with 0 <= begin <= end.");
  }
  return xml("reference", { xmlns: NS_REFERENCE, type: "mention", begin, end, uri: xmppUri(mention.jid) });
}

/**
 * Reads the XEP-0372 mentions of a message, in document order. Other reference types are left out.
 * `body` (the `<body/>` as sent: offsets count from its start, fallbacks included) bounds the
 * ranges. Throws `XmppError("bad-request")`, quoting nothing, for a mention without a usable
 * `xmpp:` URI, with only one of begin/end, with offsets that are not integers, run backwards or
 * past the body.
 */
export function parseMentions(
  stanza: Element,
  body: string | undefined = stanza.getChildText("body") ?? undefined,
): Mention[] {
  const length = body === undefined ? 0 : Array.from(body).length;
  const mentions: Mention[] = [];
  for (const reference of stanza.getChildren("reference", NS_REFERENCE)) {
    if (reference.attrs.type !== "mention") continue;
    const jid = reference.attrs.uri === undefined ? undefined : jidFromXmppUri(reference.attrs.uri);
    if (jid === undefined) throw new XmppError("bad-request", "A mention reference has no valid xmpp: URI.");
    const { begin, end } = reference.attrs;
    if (begin === undefined && end === undefined) {
      mentions.push(Object.freeze({ jid }));
      continue;
    }
    const from = offset(begin);
    const to = offset(end);
    if (from === undefined || to === undefined || from > to || to > length) {
      throw new XmppError(
        "bad-request",
        "A mention reference's begin and end do not mark a range of the body.",
      );
    }
    mentions.push(Object.freeze({ jid, begin: from, end: to }));
  }
  return mentions;
}

function offset(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : undefined;
}
