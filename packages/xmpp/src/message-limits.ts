import type { Element } from "./element.js";
import { XmppError } from "./errors.js";

const NS_CORRECTION = "urn:xmpp:message-correct:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_RETRACT_LEGACY = "urn:xmpp:message-retract:0";
const NS_FASTEN = "urn:xmpp:fasten:0";
const NS_REACTIONS = "urn:xmpp:reactions:0";

/** What {@link checkChatMessage} accepts in one message from a user. */
export interface MessageLimits {
  /** The `<body/>` elements together, in UTF-8 bytes. */
  readonly bodyBytes: number;
  /** Distinct `<reaction/>`s in one `<reactions/>` (repeats count once: XEP-0444 sets are sets). */
  readonly reactions: number;
  /** User-perceived characters (Unicode extended grapheme clusters) in one `<reaction/>`. */
  readonly reactionGraphemes: number;
  /**
   * Code points in one `<reaction/>`. One grapheme can be unbounded (a base followed by any number
   * of combining marks or variation selectors); the longest standard emoji (ZWJ sequences with
   * skin tones, subdivision flags) are 7–10 code points.
   */
  readonly reactionCodePoints: number;
}

/**
 * The default bounds on what a user's message may carry. 64 KiB of text is far beyond any chat
 * message (and beyond what most networks take); 20 reactions is more than any client offers on one
 * message. Gangway's core passes the operator's `--max-body-bytes` and `--max-reactions` instead.
 */
export const MESSAGE_LIMITS: MessageLimits = Object.freeze({
  bodyBytes: 64 * 1024,
  reactions: 20,
  reactionGraphemes: 1,
  reactionCodePoints: 32,
});

/** The texts of the errors {@link checkChatMessage} throws; they name limits, never the content. */
export const MESSAGE_LIMIT_TEXTS = Object.freeze({
  bodyTooLong: (limits: MessageLimits = MESSAGE_LIMITS) =>
    `This message is too long: the gateway accepts at most ${limits.bodyBytes} bytes of text (UTF-8) per message. Split it into several messages.`,
  tooManyReactions: (limits: MessageLimits = MESSAGE_LIMITS) =>
    `Too many reactions: the gateway accepts at most ${limits.reactions} different reactions per message.`,
  invalidReaction: (limits: MessageLimits = MESSAGE_LIMITS) =>
    `${limits.reactionGraphemes === 1 ? "A reaction must be a single emoji" : `A reaction must be at most ${limits.reactionGraphemes} emoji`} (such as 👍, ❤️ or 🇫🇷), without text, markup, spaces or control characters.`,
  correctionWithoutId:
    "A correction (XEP-0308 <replace/>) must name the message it corrects in its id attribute.",
  retractionWithoutId:
    "A retraction (XEP-0424 <retract/>) must name the message it retracts in its id attribute.",
  reactionsWithoutId:
    "Reactions (XEP-0444 <reactions/>) must name the message they react to in their id attribute.",
});

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const CONTROL_OR_SPACE = /[\p{Cc}\p{White_Space}]/u;
/**
 * What makes a grapheme an emoji without a list of them (Unicode adds some every year):
 * Extended_Pictographic (which also covers the code points reserved for future emoji), a regional
 * indicator (flags) or the combining keycap (1️⃣).
 */
const EMOJI_PART = /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3/u;

/**
 * The emoji a `<reaction/>` holds, trimmed, or `undefined` when it is not a valid reaction:
 * XEP-0444's business rules want each reaction to be "a single emoji", so it must be 1 to
 * `reactionGraphemes` graphemes, each with an emoji code point, no longer than
 * `reactionCodePoints`, with no child element (markup), whitespace inside or control character.
 * An empty `<reaction/>` is invalid too: only a `<reactions/>` without any `<reaction/>` child
 * means "remove all my reactions".
 */
export function readReaction(reaction: Element, limits: MessageLimits = MESSAGE_LIMITS): string | undefined {
  if (reaction.getChildElements().length > 0) return undefined;
  const text = reaction.text().trim();
  if (text === "" || CONTROL_OR_SPACE.test(text)) return undefined;
  let codePoints = 0;
  for (const _ of text) if (++codePoints > limits.reactionCodePoints) return undefined;
  let count = 0;
  for (const { segment } of graphemes.segment(text)) {
    if (++count > limits.reactionGraphemes || !EMOJI_PART.test(segment)) return undefined;
  }
  return text;
}

/**
 * Refuses, by throwing the {@link XmppError} the XEPs prescribe, a user's message that
 * {@link parseChatMessage} would otherwise read as something else than what was sent:
 *
 * - `<replace/>`, `<retract/>` (either namespace) or `<reactions/>` without an id → `bad-request`.
 *   Read leniently, a correction without a target would become a new message, and reactions
 *   without one would be lost silently.
 * - `<body/>` text over `bodyBytes` → `policy-violation`.
 * - an invalid `<reaction/>` (see {@link readReaction}) or more than `reactions` distinct ones →
 *   `not-acceptable` (the condition XEP-0444 uses for reactions it does not accept). Dropping an
 *   invalid reaction instead could leave an empty set, which means "remove all my reactions".
 *
 * XEP-0333 markers (`<displayed/>`, `<received/>`, `<acknowledged/>`) and XEP-0461 `<reply/>`
 * without an id are not refused: a marker is sent by the client on its own, with nobody to read an
 * error about it, and an unusable marker asks for nothing (the parser ignores it); a reply without
 * a target keeps its quote (XEP-0428), so the text still reads right.
 */
export function checkChatMessage(stanza: Element, limits: MessageLimits = MESSAGE_LIMITS): void {
  const texts = MESSAGE_LIMIT_TEXTS;
  if (stanza.getChildren("replace", NS_CORRECTION).some(lacksId)) {
    throw new XmppError("bad-request", texts.correctionWithoutId);
  }
  const legacyRetractions = stanza
    .getChildren("apply-to", NS_FASTEN)
    .filter((applyTo) => applyTo.getChild("retract", NS_RETRACT_LEGACY));
  if (stanza.getChildren("retract", NS_RETRACT).some(lacksId) || legacyRetractions.some(lacksId)) {
    throw new XmppError("bad-request", texts.retractionWithoutId);
  }
  // Only the first <reactions/> is read (XEP-0444: a message "MUST NOT contain more than one").
  const reactions = stanza.getChild("reactions", NS_REACTIONS);
  if (reactions && lacksId(reactions)) throw new XmppError("bad-request", texts.reactionsWithoutId);

  let bodyBytes = 0;
  for (const body of stanza.getChildren("body")) bodyBytes += utf8Length(body.text());
  if (bodyBytes > limits.bodyBytes) throw new XmppError("policy-violation", texts.bodyTooLong(limits));

  if (!reactions) return;
  const distinct = new Set<string>();
  for (const reaction of reactions.getChildren("reaction")) {
    const emoji = readReaction(reaction, limits);
    if (emoji === undefined) throw new XmppError("not-acceptable", texts.invalidReaction(limits));
    distinct.add(emoji);
    if (distinct.size > limits.reactions) {
      throw new XmppError("not-acceptable", texts.tooManyReactions(limits));
    }
  }
}

/** An empty id references nothing, like a missing one. */
function lacksId(element: Element): boolean {
  return (element.attrs.id ?? "") === "";
}

/** UTF-8 length without encoding: 1 byte below U+0080, 2 below U+0800, 4 for a surrogate pair. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
