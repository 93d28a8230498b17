import { XmppError } from "./errors.js";

// XEP-0106 §3.2: the ten characters that are escaped as a backslash and two lowercase hex digits.
const ESCAPES: Readonly<Record<string, string>> = {
  " ": "\\20",
  '"': "\\22",
  "&": "\\26",
  "'": "\\27",
  "/": "\\2f",
  ":": "\\3a",
  "<": "\\3c",
  ">": "\\3e",
  "@": "\\40",
  "\\": "\\5c",
};
const UNESCAPES: ReadonlyMap<string, string> = new Map(
  Object.entries(ESCAPES).map(([char, seq]) => [seq, char]),
);

const ESCAPE_SEQUENCE = /\\(?:20|22|26|27|2f|3a|3c|3e|40|5c)/g;
/**
 * Everything that must be escaped, plus a backslash that starts something that looks like an
 * escape. The look-ahead ignores case: servers lowercase localparts, so an unescaped `\\2F` would
 * come back as `\\2f` and be read as `/`.
 */
const NEEDS_ESCAPING = /[ "&'/:<>@]|\\(?=20|22|26|27|2f|3a|3c|3e|40|5c)/gi;

/** RFC 7622 §3.3: each JID part is at most 1023 octets (UTF-8). */
export const MAX_JID_PART_BYTES = 1023;

// Characters no localpart may contain even after escaping: the XEP-0106 set (which escaping removes),
// C0/C1 controls and DEL (PRECIS IdentifierClass disallows controls), and what XML 1.0 cannot carry
// at all (lone surrogates, U+FFFE, U+FFFF).
const FORBIDDEN_IN_LOCALPART = /[ "&'/:<>@\ufffe\uffff]|\p{Cc}|\p{Cs}/u;

/**
 * XEP-0106 escaping of a string (e.g. a legacy network's user id) into a JID localpart:
 * `"d'artagnan"` → `"d\\27artagnan"`. A backslash is escaped only where it would otherwise be
 * read as the start of an escape sequence (`c:\\5commas` → `c\\3a\\5c5commas`), as the XEP's
 * examples require. Throws `XmppError("jid-malformed")` for strings that have no valid escaped form:
 * empty, leading or trailing space (XEP-0106 forbids `\\20` at either end), control characters,
 * or longer than 1023 bytes once escaped.
 */
export function escapeLocalpart(unescaped: string): string {
  if (unescaped === "") throw new XmppError("jid-malformed", "An empty string cannot be a JID localpart.");
  if (unescaped.startsWith(" ") || unescaped.endsWith(" ")) {
    throw new XmppError(
      "jid-malformed",
      `${JSON.stringify(unescaped)} cannot be a JID localpart: it starts or ends with a space (XEP-0106 §3.2).`,
    );
  }
  const escaped = unescaped.replace(NEEDS_ESCAPING, (char) => ESCAPES[char] ?? char);
  if (!isValidLocalpart(escaped)) {
    throw new XmppError(
      "jid-malformed",
      `${JSON.stringify(unescaped)} cannot be a JID localpart: it contains control characters or is longer than ${MAX_JID_PART_BYTES} bytes.`,
    );
  }
  return escaped;
}

/** Reverses {@link escapeLocalpart}; text that is not an escape sequence is kept as is. */
export function unescapeLocalpart(escaped: string): string {
  if (!escaped.includes("\\")) return escaped;
  return escaped.replace(ESCAPE_SEQUENCE, (sequence) => UNESCAPES.get(sequence) ?? sequence);
}

/**
 * True when `localpart` can be sent as is: non-empty, at most 1023 UTF-8 bytes (also once
 * lowercased), and none of the
 * characters XEP-0106 escapes nor control characters. Backslashes are allowed (they are how
 * escaped localparts look).
 */
export function isValidLocalpart(localpart: string): boolean {
  return (
    localpart !== "" &&
    Buffer.byteLength(localpart, "utf8") <= MAX_JID_PART_BYTES &&
    // The limit holds after servers fold case, which can lengthen a string ("İ" → "i̇").
    Buffer.byteLength(localpart.toLowerCase(), "utf8") <= MAX_JID_PART_BYTES &&
    !FORBIDDEN_IN_LOCALPART.test(localpart)
  );
}
