/**
 * IRC nicks as roster entries. Servers compare nicks case-insensitively under their ISUPPORT
 * CASEMAPPING, so the legacy id of a contact is the nick folded that way: `Romeo` and `rOMEO`
 * (and, under rfc1459, `[romeo]` and `{romeo}`) are one contact, and one JID.
 */
export type CaseMapping = "rfc1459" | "strict-rfc1459" | "ascii";

/**
 * The casemapping for an ISUPPORT CASEMAPPING value. Like irc-framework's `caseCompare`,
 * anything other than `ascii` and `strict-rfc1459` (absent, `rfc1459`, or a mapping we do not
 * implement such as `rfc7613`) is treated as rfc1459, the default RFC 1459 servers use.
 */
export function caseMappingFromIsupport(value: unknown): CaseMapping {
  return value === "ascii" || value === "strict-rfc1459" ? value : "rfc1459";
}

/**
 * The last character each mapping folds, counting up from `A` (65): every character from `A`
 * to it becomes the character 32 above. ascii folds A–Z; strict-rfc1459 also `[\]` → `{|}`;
 * rfc1459 also `^` → `~`.
 */
const UPPER_BOUND: Readonly<Record<CaseMapping, number>> = {
  ascii: 90, // Z
  "strict-rfc1459": 93, // ]
  rfc1459: 94, // ^
};

/** The nick folded to lower case under `casemapping`; non-ASCII characters are left alone. */
export function normalizeNick(nick: string, casemapping: CaseMapping = "rfc1459"): string {
  const bound = UPPER_BOUND[casemapping];
  let out = "";
  for (const char of nick) {
    const code = char.charCodeAt(0);
    out += code >= 65 && code <= bound ? String.fromCharCode(code + 32) : char;
  }
  return out;
}

export function nicksEqual(a: string, b: string, casemapping: CaseMapping = "rfc1459"): boolean {
  return normalizeNick(a, casemapping) === normalizeNick(b, casemapping);
}

export interface NickRules {
  /** ISUPPORT NICKLEN, in characters; unchecked when absent. */
  maxLength?: number;
  /** ISUPPORT CHANTYPES: a nick cannot start like a channel. Default `#&`. */
  chanTypes?: string;
}

/**
 * Why `nick` cannot be an IRC nick, in words for the user, or `undefined` when it can.
 * The rules are the ones every server shares (modern.ircdocs.horse "Clients", RFC 2812 §2.3.1):
 * no whitespace, control characters, `,` `*` `?` `!` `@` `.` (they mean lists, masks, prefixes
 * and server names), no leading `$` `:` `-`, digit or channel prefix. Servers may refuse more
 * (non-ASCII, length): they answer 432, which the gateway reports.
 */
export function nickProblem(nick: string, rules: NickRules = {}): string | undefined {
  const { maxLength, chanTypes = "#&" } = rules;
  if (nick === "") return "it is empty";
  for (const char of nick) {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || code === 0x7f || (code >= 0x80 && code < 0xa0)) {
      return "it contains a control character";
    }
    if (/\s/u.test(char)) return "it contains whitespace";
    if (",*?!@.".includes(char)) return `it contains "${char}"`;
  }
  const first = [...nick][0] as string;
  if ("$:-".includes(first) || chanTypes.includes(first)) return `it cannot start with "${first}"`;
  if (first >= "0" && first <= "9") return "it cannot start with a digit";
  const length = [...nick].length;
  if (maxLength !== undefined && length > maxLength) {
    return `it is ${length} characters long, the server allows ${maxLength}`;
  }
  return undefined;
}

/** Whether a user-typed contact or nickname can be an IRC nick (see `nickProblem`). */
export function isValidNick(nick: string, rules: NickRules = {}): boolean {
  return nickProblem(nick, rules) === undefined;
}

export interface AlternativeNickOptions {
  /** ISUPPORT NICKLEN. Default 9, the length RFC 1459 guarantees. */
  maxLength?: number;
  /** How many alternatives at most. Default 10. */
  limit?: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** The first `length` characters of `text`, cut between grapheme clusters. */
function truncate(text: string, length: number): string {
  let out = "";
  for (const { segment } of graphemes.segment(text)) {
    if ([...out].length + [...segment].length > length) break;
    out += segment;
  }
  return out;
}

/**
 * Nicks to try, in order, when `nick` is taken (433): `romeo_`, `romeo__`, `romeo1`, `romeo2`, …
 * Each fits `maxLength` (the base is shortened to make room for the suffix), none equals `nick`
 * or another candidate case-insensitively, and there are at most `limit` of them.
 */
export function alternativeNicks(nick: string, options: AlternativeNickOptions = {}): string[] {
  const { maxLength = 9, limit = 10 } = options;
  const seen = new Set([normalizeNick(nick)]);
  const out: string[] = [];
  const suffixes = function* () {
    yield "_";
    yield "__";
    for (let n = 1; ; n += 1) yield String(n);
  };
  for (const suffix of suffixes()) {
    if (out.length >= limit || suffix.length >= maxLength) break;
    const base = truncate(nick, maxLength - suffix.length);
    if (base === "") break;
    const candidate = base + suffix;
    const key = normalizeNick(candidate);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(candidate);
  }
  return out;
}
