import { ircFormattingCodeLength, stripIrcFormatting } from "./formatting.js";

/** An IRC line is at most 512 bytes, CR LF included (RFC 1459 §2.3; tags are counted apart). */
export const IRC_LINE_BYTES = 512;

const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export interface IrcPayloadBudgetOptions {
  /** Our nick, user name (ident, with the `~` the server may add) and host as others see them. */
  nick: string;
  user: string;
  host: string;
  target: string;
  command: "PRIVMSG" | "NOTICE";
  /** A CTCP ACTION (`/me`): its `\x01ACTION ` and closing `\x01` take room too. */
  action?: boolean;
}

/**
 * Bytes of text that fit in one message as the *receiver* gets it: the server relays our line
 * with our full prefix in front, `:nick!user@host PRIVMSG target :text\r\n`, and cuts whatever
 * goes past 512 bytes. When the host is not known yet (no RPL_HOSTCLOAKING, no WHO), pass the
 * longest one it can be (63 bytes) rather than a guess that is too short. Can be zero or less
 * for absurdly long prefixes; `splitForIrc` refuses such a budget.
 */
export function ircPayloadBudget(options: IrcPayloadBudgetOptions): number {
  const { nick, user, host, target, command, action = false } = options;
  const prefix = `:${nick}!${user}@${host} ${command} ${target} :`;
  const ctcp = action ? byteLength("\x01ACTION ") + byteLength("\x01") : 0;
  return IRC_LINE_BYTES - byteLength("\r\n") - byteLength(prefix) - ctcp;
}

export interface SplitOptions {
  /** Most UTF-8 bytes per line, e.g. from `ircPayloadBudget`. At least 4 (one code point). */
  maxBytes: number;
}

interface Atom {
  text: string;
  bytes: number;
  space: boolean;
  /** A formatting code: invisible, and meaningless once cut. */
  code: boolean;
}

/**
 * The pieces a line may be cut between: grapheme clusters, except that an IRC colour code
 * (`\x03` and its digits) is one piece, since the digits would otherwise show up as text at the
 * start of the next line.
 */
function atoms(line: string): Atom[] {
  const out: Atom[] = [];
  const pushText = (text: string) => {
    for (const { segment } of graphemes.segment(text)) {
      out.push({ text: segment, bytes: byteLength(segment), space: /^\s+$/u.test(segment), code: false });
    }
  };
  let textStart = 0;
  let index = 0;
  while (index < line.length) {
    const codeLength = ircFormattingCodeLength(line, index);
    if (codeLength > 1) {
      pushText(line.slice(textStart, index));
      const code = line.slice(index, index + codeLength);
      out.push({ text: code, bytes: byteLength(code), space: false, code: true });
      index += codeLength;
      textStart = index;
    } else index += 1;
  }
  pushText(line.slice(textStart));
  return out;
}

/** An atom too big for a line on its own, as code points (a code point is at most 4 bytes). */
function codePointAtoms(atom: Atom): Atom[] {
  return [...atom.text].map((text) => ({ text, bytes: byteLength(text), space: atom.space, code: false }));
}

function isBlank(line: string): boolean {
  return stripIrcFormatting(line).trim() === "";
}

function splitLine(line: string, maxBytes: number, out: string[]): void {
  if (byteLength(line) <= maxBytes) {
    out.push(line);
    return;
  }
  const pieces = atoms(line);
  const emit = (from: number, to: number) => {
    const chunk = pieces
      .slice(from, to)
      .map((atom) => atom.text)
      .join("")
      .trimEnd();
    if (!isBlank(chunk)) out.push(chunk);
  };
  let start = 0;
  while (start < pieces.length) {
    let used = 0;
    let end = start;
    while (end < pieces.length && used + (pieces[end] as Atom).bytes <= maxBytes) {
      used += (pieces[end] as Atom).bytes;
      end += 1;
    }
    if (end === pieces.length) {
      emit(start, end);
      return;
    }
    if (end === start) {
      // A single grapheme larger than the limit (a long emoji sequence, a pile of combining
      // marks): only then is it cut, between code points. A colour code larger than the limit
      // is dropped instead: cut, its digits would turn into text.
      const piece = pieces[start] as Atom;
      pieces.splice(start, 1, ...(piece.code ? [] : codePointAtoms(piece)));
      continue;
    }
    // Prefer the last whitespace that still leaves text on this line; the whitespace itself
    // (the first piece that did not fit may be one) is where the line breaks and is dropped.
    let cut = -1;
    let seenText = false;
    for (let k = start; k <= end; k += 1) {
      const piece = pieces[k] as Atom;
      if (piece.space && seenText) cut = k;
      if (!piece.space) seenText = true;
    }
    if (cut === -1) {
      // Formatting codes at the cut go to the next line, where the text they style is.
      while (end - 1 > start && (pieces[end - 1] as Atom).code) end -= 1;
      emit(start, end);
      start = end;
    } else {
      emit(start, cut);
      start = cut;
    }
    while (start < pieces.length && (pieces[start] as Atom).space) start += 1;
  }
}

/**
 * Splits a message body into IRC lines. Line breaks (`\r\n`, `\n`, `\r`) end a line; empty and
 * blank lines (whitespace and formatting codes only) are dropped, since IRC cannot send an empty
 * PRIVMSG and a line of spaces is noise (so a body of only blank lines gives `[]`). A line over
 * `maxBytes` of UTF-8 is cut at the last whitespace that fits (the whitespace goes); a word
 * longer than a line is cut between grapheme clusters, never inside one, never inside a UTF-8
 * sequence and never inside a colour code. Formatting does not carry over a cut: the next line
 * starts unstyled, as every IRC line does.
 */
export function splitForIrc(text: string, options: SplitOptions): string[] {
  const { maxBytes } = options;
  if (!Number.isInteger(maxBytes) || maxBytes < 4) {
    throw new RangeError(`maxBytes must be an integer of at least 4, not ${maxBytes}`);
  }
  const out: string[] = [];
  for (const line of text.split(/\r\n|\n|\r/)) {
    if (!isBlank(line)) splitLine(line, maxBytes, out);
  }
  return out;
}
