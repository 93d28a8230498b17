import { type Element, type Mention, parseMentions } from "@gangway/xmpp";

/**
 * Someone named in a room message: an occupant's nick (the user's own nick included) and where the
 * name is in the text, as JavaScript string indices (`begin` inclusive, `end` exclusive), which is
 * how apps and legacy libraries slice strings. XEP-0372 counts code points; the conversion happens
 * here, at the edge.
 */
export interface TextMention {
  readonly nick: string;
  readonly begin: number;
  readonly end: number;
}

/** Code points in `text` before the UTF-16 index `index`. */
function codePointOffset(text: string, index: number): number {
  let count = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const unit = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    count++;
  }
  return count;
}

/** The UTF-16 index of the `offset`th code point of `text` (its length past the end). */
function utf16Index(text: string, offset: number): number {
  let index = 0;
  for (let count = 0; count < offset && index < text.length; count++) {
    const cp = text.codePointAt(index) ?? 0;
    index += cp > 0xffff ? 2 : 1;
  }
  return index;
}

/**
 * An app's mentions in a legacy message of `body` → XEP-0372 mentions of `room/nick`, in code
 * points. Mentions outside the text or running backwards are dropped (a network's odd offsets
 * must not cost the message).
 */
export function mentionsToXmpp(roomJid: string, body: string, mentions: readonly TextMention[]): Mention[] {
  return mentions
    .filter((m) => Number.isInteger(m.begin) && Number.isInteger(m.end) && m.begin >= 0 && m.begin <= m.end)
    .filter((m) => m.end <= body.length && m.nick !== "")
    .map((m) => ({
      jid: `${roomJid}/${m.nick}`,
      begin: codePointOffset(body, m.begin),
      end: codePointOffset(body, m.end),
    }));
}

/** Characters that end a nick written in running text (IRC nicks may hold `[]{}|^-_\``). */
const WORD = /[^\s,:;!?.()"'<>]+/gu;
/** How far into a message a "Full Name: " address is looked for. */
const ADDRESS_SCAN = 128;

/**
 * Who the user's room message `body` (reply fallback already removed) mentions, for the app:
 * - the client's XEP-0372 references to `room/nick` of a present occupant (offsets count from the
 *   `<body/>` as sent, fallback included);
 * - else, as most clients send no references, the nicks found in the text: a word that is an
 *   occupant's nick, or a "Nick Name:" / "Nick Name," address at the start (nicks with spaces).
 * Each lookup is one map probe per word: a channel with thousands of occupants costs the same.
 */
export function mentionsFromXmpp(
  roomJid: string,
  body: string,
  stanza: Element,
  isOccupant: (nick: string) => boolean,
): TextMention[] {
  const rawBody = stanza.getChildText("body") ?? body;
  let references: Mention[] = [];
  try {
    references = parseMentions(stanza, rawBody);
  } catch {
    // Malformed references were refused before; here they would only cost the text's nicks.
  }
  const prefix = `${roomJid.toLowerCase()}/`;
  // The fallback is a prefix of the raw body: reference offsets move back by its length.
  const shift = rawBody.endsWith(body) ? codePointOffset(rawBody, rawBody.length - body.length) : 0;
  const explicit: TextMention[] = [];
  for (const reference of references) {
    if (!reference.jid.toLowerCase().startsWith(prefix)) continue;
    const nick = reference.jid.slice(prefix.length);
    if (!isOccupant(nick)) continue;
    if (reference.begin === undefined || reference.end === undefined || reference.begin < shift) {
      const at = body.indexOf(nick);
      explicit.push(at >= 0 ? { nick, begin: at, end: at + nick.length } : { nick, begin: 0, end: 0 });
      continue;
    }
    explicit.push({
      nick,
      begin: utf16Index(body, reference.begin - shift),
      end: utf16Index(body, reference.end - shift),
    });
  }
  if (explicit.length > 0) return explicit;

  const found: TextMention[] = [];
  const address = body.slice(0, ADDRESS_SCAN).search(/[:,]/);
  if (address > 0 && isOccupant(body.slice(0, address))) {
    found.push({ nick: body.slice(0, address), begin: 0, end: address });
  }
  for (const match of body.matchAll(WORD)) {
    const begin = match.index ?? 0;
    if (found.some((m) => begin < m.end)) continue;
    if (isOccupant(match[0])) found.push({ nick: match[0], begin, end: begin + match[0].length });
  }
  return found;
}
