// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// With the `u` flag a lone surrogate is one code point outside every range, so it is caught too.
const XML_INVALID_CHARS = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;
const HAS_XML_INVALID_CHAR = /[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/**
 * Drops characters XML 1.0 cannot carry (U+0000–U+0008, U+000B, U+000C, U+000E–U+001F, lone
 * surrogates, U+FFFE, U+FFFF). Legacy networks do send them, and one of them in a stanza makes the
 * server close the whole component stream with `not-well-formed`. Returns the same string when
 * it is already clean.
 */
export function sanitizeXmlText(text: string): string {
  return HAS_XML_INVALID_CHAR.test(text) ? text.replace(XML_INVALID_CHARS, "") : text;
}
