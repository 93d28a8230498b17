import { sanitizeXmlText } from "@gangway/core";

/**
 * IRC formatting codes (https://modern.ircdocs.horse/formatting). Each one toggles its style,
 * except `color`/`hexColor` (followed by digits) and `reset` (clears everything).
 */
export const IRC_FORMAT = {
  bold: "\x02",
  italic: "\x1d",
  underline: "\x1f",
  strikethrough: "\x1e",
  monospace: "\x11",
  color: "\x03",
  hexColor: "\x04",
  reverse: "\x16",
  reset: "\x0f",
} as const;

/** The styles both sides have. Underline, colours and reverse exist only on IRC. */
type Style = "strong" | "emphasis" | "strike" | "pre";

const STYLING_DIRECTIVE: Readonly<Record<Style, string>> = {
  strong: "*",
  emphasis: "_",
  strike: "~",
  pre: "`",
};

const IRC_TOGGLE: Readonly<Record<Style, string>> = {
  strong: IRC_FORMAT.bold,
  emphasis: IRC_FORMAT.italic,
  strike: IRC_FORMAT.strikethrough,
  pre: IRC_FORMAT.monospace,
};

const STYLE_OF_IRC_CODE: ReadonlyMap<string, Style> = new Map([
  [IRC_FORMAT.bold, "strong"],
  [IRC_FORMAT.italic, "emphasis"],
  [IRC_FORMAT.strikethrough, "strike"],
  [IRC_FORMAT.monospace, "pre"],
]);

/** Codes that carry no style we can show: their effect is dropped, never their text. */
const DROPPED_IRC_CODES: ReadonlySet<string> = new Set([IRC_FORMAT.underline, IRC_FORMAT.reverse]);

const LINE_BREAK = /(\r\n|\n|\r)/;

function isWhitespace(char: string | undefined): boolean {
  return char !== undefined && /\s/u.test(char);
}

function isDigit(char: string | undefined): boolean {
  return char !== undefined && char >= "0" && char <= "9";
}

function isHexDigit(char: string | undefined): boolean {
  return char !== undefined && /^[0-9a-fA-F]$/.test(char);
}

/** Length of the colour code starting at `index` (`\x03`, then up to `NN[,MM]`). */
function colorCodeLength(text: string, index: number): number {
  let end = index + 1;
  if (!isDigit(text[end])) return 1;
  end += isDigit(text[end + 1]) ? 2 : 1;
  // The comma belongs to the code only when a background digit follows; otherwise it is text.
  if (text[end] === "," && isDigit(text[end + 1])) end += isDigit(text[end + 2]) ? 3 : 2;
  return end - index;
}

/** Length of the hex colour code starting at `index` (`\x04`, then `RRGGBB[,RRGGBB]`). */
function hexColorCodeLength(text: string, index: number): number {
  const sixHex = (at: number) => [0, 1, 2, 3, 4, 5].every((k) => isHexDigit(text[at + k]));
  if (!sixHex(index + 1)) return 1;
  if (text[index + 7] === "," && sixHex(index + 8)) return 14;
  return 7;
}

/**
 * Length of the IRC formatting code at `index`, or 0 when the character there is not one.
 * Shared with the line splitter, which must never cut a colour code from its digits.
 */
export function ircFormattingCodeLength(text: string, index: number): number {
  const char = text[index];
  if (char === IRC_FORMAT.color) return colorCodeLength(text, index);
  if (char === IRC_FORMAT.hexColor) return hexColorCodeLength(text, index);
  if (char === IRC_FORMAT.reset || DROPPED_IRC_CODES.has(char ?? "") || STYLE_OF_IRC_CODE.has(char ?? ""))
    return 1;
  return 0;
}

interface Run {
  text: string;
  styles: ReadonlySet<Style>;
}

/** One IRC line → text runs with the styles on for each; codes consumed, XML-invalid chars gone. */
function ircRuns(line: string): Run[] {
  const runs: Run[] = [];
  let on = new Set<Style>();
  let text = "";
  const flush = () => {
    // Characters XML cannot carry are dropped here, before spans are built, so that a span
    // holding only such characters is seen as empty (and not rendered as `**`).
    const clean = sanitizeXmlText(text);
    text = "";
    if (clean === "") return;
    const last = runs.at(-1);
    if (last && sameStyles(last.styles, on)) last.text += clean;
    else runs.push({ text: clean, styles: new Set(on) });
  };
  let index = 0;
  while (index < line.length) {
    const codeLength = ircFormattingCodeLength(line, index);
    if (codeLength === 0) {
      text += line[index];
      index += 1;
      continue;
    }
    const char = line[index] as string;
    const style = STYLE_OF_IRC_CODE.get(char);
    if (style || char === IRC_FORMAT.reset) {
      flush();
      if (char === IRC_FORMAT.reset) on = new Set();
      else if (style && on.has(style)) on.delete(style);
      else if (style) on.add(style);
    }
    index += codeLength;
  }
  flush();
  return runs;
}

function sameStyles(a: ReadonlySet<Style>, b: ReadonlySet<Style>): boolean {
  return a.size === b.size && [...a].every((style) => b.has(style));
}

type StyledNode = string | StyledSpan;
interface StyledSpan {
  style: Style;
  children: StyledNode[];
}

/**
 * Runs → a tree of properly nested spans. IRC toggles can overlap (`\x02a\x1db\x02c\x1d`);
 * XEP-0393 spans cannot, so a style that outlives an inner one is closed and reopened. Styles
 * that stay on longer are opened outermost; `pre` is always innermost because a preformatted
 * span holds no other styling.
 */
function nestRuns(runs: readonly Run[]): StyledNode[] {
  const root: StyledNode[] = [];
  const stack: StyledSpan[] = [];
  const extent = (style: Style, from: number) => {
    let end = from;
    while (end < runs.length && runs[end]?.styles.has(style)) end += 1;
    return end - from;
  };
  runs.forEach((run, index) => {
    let keep = 0;
    while (keep < stack.length && run.styles.has((stack[keep] as StyledSpan).style)) keep += 1;
    const kept = () => new Set(stack.slice(0, keep).map((span) => span.style));
    const opensSomething = [...run.styles].some((style) => !kept().has(style));
    if (opensSomething && stack[keep - 1]?.style === "pre") keep -= 1;
    const keptStyles = kept();
    stack.length = keep;
    const toOpen = [...run.styles].filter((style) => !keptStyles.has(style));
    toOpen.sort((a, b) => Number(a === "pre") - Number(b === "pre") || extent(b, index) - extent(a, index));
    for (const style of toOpen) {
      const span: StyledSpan = { style, children: [] };
      (stack.at(-1)?.children ?? root).push(span);
      stack.push(span);
    }
    (stack.at(-1)?.children ?? root).push(run.text);
  });
  return root;
}

/**
 * XEP-0393 wants the opening directive followed, and the closing one preceded, by
 * non-whitespace: leading and trailing whitespace is moved out of every span (bottom-up, so
 * it bubbles through nested spans), and spans left with only whitespace disappear.
 */
function hoistWhitespace(nodes: readonly StyledNode[]): StyledNode[] {
  const out: StyledNode[] = [];
  for (const node of nodes) {
    if (typeof node === "string") {
      out.push(node);
      continue;
    }
    const children = hoistWhitespace(node.children);
    let leading = "";
    while (typeof children[0] === "string") {
      const first = children[0];
      const [space = ""] = /^\s*/u.exec(first) ?? [];
      leading += space;
      if (space.length < first.length) {
        children[0] = first.slice(space.length);
        break;
      }
      children.shift();
    }
    let trailing = "";
    while (typeof children.at(-1) === "string") {
      const last = children.at(-1) as string;
      const [space = ""] = /\s*$/u.exec(last) ?? [];
      trailing = space + trailing;
      if (space.length < last.length) {
        children[children.length - 1] = last.slice(0, last.length - space.length);
        break;
      }
      children.pop();
    }
    if (leading) out.push(leading);
    if (children.length > 0) out.push({ style: node.style, children });
    if (trailing) out.push(trailing);
  }
  return out;
}

function plainText(nodes: readonly StyledNode[]): string {
  return nodes.map((node) => (typeof node === "string" ? node : plainText(node.children))).join("");
}

/** What was written last: its last character and whether that was an opening directive. */
interface RenderState {
  last: string | undefined;
  lastWasOpening: boolean;
}

/**
 * Writes the tree as XEP-0393, keeping only spans a receiving client will parse back exactly
 * (§6.2): the opening directive at the line start, after whitespace or after a different
 * opening directive; content that does not start or end with whitespace; and content without
 * the directive character itself, since XEP-0393 has no escape and a stray `*` inside a
 * strong span could close it early. A span failing any rule is written as its plain content:
 * the text is never lost, only the styling.
 */
function renderStyling(nodes: readonly StyledNode[], state: RenderState): string {
  let out = "";
  for (const node of nodes) {
    if (typeof node === "string") {
      if (node === "") continue;
      out += node;
      state.last = node.at(-1);
      state.lastWasOpening = false;
      continue;
    }
    const directive = STYLING_DIRECTIVE[node.style];
    const canOpen =
      state.last === undefined ||
      isWhitespace(state.last) ||
      (state.lastWasOpening && state.last !== directive);
    if (canOpen) {
      const inner: RenderState = { last: directive, lastWasOpening: true };
      const content = node.style === "pre" ? plainText(node.children) : renderStyling(node.children, inner);
      if (
        content !== "" &&
        !content.includes(directive) &&
        !isWhitespace(content[0]) &&
        !isWhitespace(content.at(-1))
      ) {
        out += directive + content + directive;
        state.last = directive;
        state.lastWasOpening = false;
        continue;
      }
    }
    out += renderStyling(node.style === "pre" ? [plainText(node.children)] : node.children, state);
  }
  return out;
}

/**
 * IRC formatting → XEP-0393 message styling, for a message going to XMPP.
 * Bold, italics, strikethrough and monospace become `*…*`, `_…_`, `~…~` and `` `…` ``; underline,
 * colours (`\x03NN[,MM]`, `\x04RRGGBB[,RRGGBB]`) and reverse are dropped; `\x0F` closes
 * everything. Each line starts unstyled (an IRC line is a message of its own). The result is
 * sanitized for XML. Literal `*`, `_`, `~` and `` ` `` typed by the IRC user pass through as they
 * are: XEP-0393 has no escape.
 */
export function ircToXmpp(text: string): string {
  const parts = text.split(LINE_BREAK);
  let out = "";
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      out += part;
      return;
    }
    const tree = hoistWhitespace(nestRuns(ircRuns(part)));
    out += renderStyling(tree, { last: undefined, lastWasOpening: false });
  });
  return sanitizeXmlText(out);
}

/** The text of an IRC message without any formatting code (for nicks, away messages, …). */
export function stripIrcFormatting(text: string): string {
  let out = "";
  let index = 0;
  while (index < text.length) {
    const codeLength = ircFormattingCodeLength(text, index);
    if (codeLength === 0) out += text[index];
    index += codeLength || 1;
  }
  return out;
}

const DIRECTIVE_STYLE: ReadonlyMap<string, Style> = new Map(
  (Object.entries(STYLING_DIRECTIVE) as [Style, string][]).map(([style, directive]) => [directive, style]),
);

/**
 * Parses the spans of one line from `from` to `to` (exclusive), per XEP-0393 §6.2: an opening
 * directive at the start (of the line, or right after the enclosing span's opening directive)
 * or after whitespace, followed by non-whitespace; the first following same directive that
 * is preceded by non-whitespace closes it (lazy matching); a span needs some text and never
 * contains a span of its own kind; a preformatted span contains no styling at all.
 */
function parseSpans(line: string, from: number, to: number, open: ReadonlySet<Style>): StyledNode[] {
  const nodes: StyledNode[] = [];
  let text = "";
  let index = from;
  while (index < to) {
    const char = line[index] as string;
    const style = DIRECTIVE_STYLE.get(char);
    const canOpen =
      style !== undefined &&
      !open.has(style) &&
      (index === from || isWhitespace(line[index - 1])) &&
      index + 1 < to &&
      !isWhitespace(line[index + 1]);
    if (canOpen) {
      let close = index + 2;
      while (close < to && !(line[close] === char && !isWhitespace(line[close - 1]))) close += 1;
      if (close < to) {
        if (text) nodes.push(text);
        text = "";
        const children =
          style === "pre"
            ? [line.slice(index + 1, close)]
            : parseSpans(line, index + 1, close, new Set([...open, style]));
        nodes.push({ style, children });
        index = close + 1;
        continue;
      }
    }
    text += char;
    index += 1;
  }
  if (text) nodes.push(text);
  return nodes;
}

function renderIrc(nodes: readonly StyledNode[]): string {
  return nodes
    .map((node) =>
      typeof node === "string"
        ? node
        : IRC_TOGGLE[node.style] + renderIrc(node.children) + IRC_TOGGLE[node.style],
    )
    .join("");
}

const QUOTE_PREFIX = /^(?:> ?)+/;
const FENCE = "```";

/**
 * XEP-0393 message styling → IRC formatting, for a message going to IRC. Valid spans become
 * IRC codes and lose their directives (`*a*` → `\x02a\x02`); anything that is not a valid span
 * stays literal text. A preformatted block (a line starting with ```` ``` ```` up to a line of
 * ```` ``` ```` or the end) loses its fence lines and each of its lines becomes monospace; quote
 * markers (`> `) are kept as text and the rest of the line is styled. Lines are joined with
 * `\n`.
 */
export function xmppToIrc(body: string): string {
  const lines = body.split(/\r\n|\n|\r/);
  const out: string[] = [];
  let inBlock = false;
  for (const line of lines) {
    if (inBlock) {
      if (line.trimEnd() === FENCE) inBlock = false;
      else out.push(line === "" ? "" : IRC_FORMAT.monospace + line + IRC_FORMAT.monospace);
      continue;
    }
    if (line.startsWith(FENCE)) {
      inBlock = true;
      continue;
    }
    const [quote = ""] = QUOTE_PREFIX.exec(line) ?? [];
    out.push(quote + renderIrc(parseSpans(line, quote.length, line.length, new Set())));
  }
  return out.join("\n");
}

/** The spans of one line of XEP-0393 text, for tests: `[style, text]` pairs, outermost first. */
export function parseStylingSpans(line: string): { style: Style; text: string }[] {
  const spans: { style: Style; text: string }[] = [];
  const walk = (nodes: readonly StyledNode[]) => {
    for (const node of nodes) {
      if (typeof node === "string") continue;
      spans.push({ style: node.style, text: plainText(node.children) });
      walk(node.children);
    }
  };
  walk(parseSpans(line, 0, line.length, new Set()));
  return spans;
}

export type { Style as StylingStyle };
