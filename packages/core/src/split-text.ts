import { sanitizeXmlText, utf8Length } from "@gangway/xmpp";

/**
 * Room a message stanza needs besides its body's text: `<message>` with from/to/id (JIDs up to
 * 3 KiB each in theory, ~200 bytes in practice), origin-id, markable, reply and delay elements, the
 * XEP-0356 privilege wrapper of a carbon. 4 KiB covers all of them with typical JIDs.
 */
export const MESSAGE_ENVELOPE_BYTES = 4 * 1024;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

const ESCAPED = /[&<>]/;
const ESCAPED_ALL = /[&<>]/g;

/** A body's size once written as XML text: UTF-8, with `&`, `<` and `>` escaped. */
export function xmlTextBytes(text: string): number {
  const bytes = utf8Length(text);
  if (!ESCAPED.test(text)) return bytes;
  // `&amp;` is 4 bytes more than `&`; `&lt;` and `&gt;` 3 more than `<` and `>`.
  let extra = 0;
  for (const char of text.match(ESCAPED_ALL) ?? []) extra += char === "&" ? 4 : 3;
  return bytes + extra;
}

/**
 * Splits `text` into parts of at most `maxBytes` each, as written in XML (see
 * {@link xmlTextBytes}), in order, losing nothing: `parts.join("") === text` (after the same
 * sanitizing the message builder does). A part ends after the last line break that fits, else after
 * the last space, else between two graphemes: never inside a surrogate pair, an emoji sequence or
 * a letter with its accents. Only a single grapheme larger than `maxBytes` (thousands of combining
 * marks) is cut between code points.
 */
export function splitText(text: string, maxBytes: number): string[] {
  if (maxBytes < 8) throw new RangeError("splitText needs at least 8 bytes per part");
  // Characters XML cannot carry are dropped when the message is built: measure without them.
  const clean = sanitizeXmlText(text);
  // No UTF-16 unit takes more than 5 bytes as XML text (`&amp;`): most messages need no measuring.
  if (clean.length * 5 <= maxBytes || xmlTextBytes(clean) <= maxBytes) return [clean];
  const parts: string[] = [];
  let start = 0;
  let size = 0;
  // Where the current part may end (index after the break) and its size there; -1: nowhere yet.
  let afterLine = -1;
  let sizeAtLine = 0;
  let afterSpace = -1;
  let sizeAtSpace = 0;
  for (const { segment, index } of graphemes.segment(clean)) {
    const bytes = xmlTextBytes(segment);
    if (bytes > maxBytes) {
      // One grapheme over a whole part: cut it between code points, which still never splits a pair.
      if (index > start) parts.push(clean.slice(start, index));
      let piece = "";
      let pieceSize = 0;
      for (const codePoint of segment) {
        const codePointBytes = xmlTextBytes(codePoint);
        if (pieceSize + codePointBytes > maxBytes) {
          parts.push(piece);
          piece = "";
          pieceSize = 0;
        }
        piece += codePoint;
        pieceSize += codePointBytes;
      }
      // The grapheme's last piece starts the next part.
      start = index + segment.length - piece.length;
      size = pieceSize;
      afterLine = -1;
      afterSpace = -1;
      continue;
    }
    // A loop: what follows an early break may still not leave room for this grapheme.
    while (size + bytes > maxBytes) {
      const [cut, cutSize] =
        afterLine > start
          ? [afterLine, sizeAtLine]
          : afterSpace > start
            ? [afterSpace, sizeAtSpace]
            : [index, size];
      parts.push(clean.slice(start, cut));
      start = cut;
      size -= cutSize;
      // A break after the cut is still one for the next part.
      if (afterSpace > cut) sizeAtSpace -= cutSize;
      else afterSpace = -1;
      afterLine = -1;
    }
    size += bytes;
    const end = index + segment.length;
    if (segment.includes("\n")) {
      afterLine = end;
      sizeAtLine = size;
    } else if (/^\s+$/u.test(segment)) {
      afterSpace = end;
      sizeAtSpace = size;
    }
  }
  if (start < clean.length) parts.push(clean.slice(start));
  return parts;
}

/** `text` in parts that each fit, with its envelope, a message stanza of `stanzaBytes`. */
export function splitForStanza(text: string, stanzaBytes: number): string[] {
  return splitText(text, stanzaBytes - MESSAGE_ENVELOPE_BYTES);
}

/**
 * `body` in parts that each fit a stanza of `stanzaBytes` with room for the envelope, and the reply
 * fallback to quote in the first: dropped when it would take more than a quarter of a part (the
 * XEP-0461 reference still says what is answered).
 */
export function splitBodyForStanza(
  body: string,
  stanzaBytes: number,
  replyFallback?: string,
): { parts: string[]; fallback: string | undefined } {
  const room = stanzaBytes - MESSAGE_ENVELOPE_BYTES;
  // Quoted as "> " before each line, then a line break.
  const quoted =
    replyFallback === undefined
      ? 0
      : xmlTextBytes(replyFallback) + 2 * (replyFallback.split("\n").length + 1);
  const fallback = quoted > 0 && quoted <= room / 4 ? replyFallback : undefined;
  return { parts: splitText(body, fallback === undefined ? room : room - quoted), fallback };
}
