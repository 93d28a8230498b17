import { describe, expect, it } from "vitest";
import {
  IRC_FORMAT,
  ircFormattingCodeLength,
  ircToXmpp,
  parseStylingSpans,
  stripIrcFormatting,
  xmppToIrc,
} from "./formatting.js";

const {
  bold: B,
  italic: I,
  underline: U,
  strikethrough: S,
  monospace: M,
  color: C,
  hexColor: H,
} = IRC_FORMAT;
const { reverse: R, reset: O } = IRC_FORMAT;

describe("ircToXmpp: each style", () => {
  it.each([
    [`${B}bold${B}`, "*bold*"],
    [`${I}italic${I}`, "_italic_"],
    [`${S}gone${S}`, "~gone~"],
    [`${M}code${M}`, "`code`"],
    [`say ${B}hi${B} now`, "say *hi* now"],
  ])("%j → %j", (irc, xmpp) => {
    expect(ircToXmpp(irc)).toBe(xmpp);
  });

  it("closes a style left open at the end of the line", () => {
    expect(ircToXmpp(`${B}bold to the end`)).toBe("*bold to the end*");
  });

  it("leaves text without codes untouched", () => {
    expect(ircToXmpp("hello, world: 1 < 2 & 3 > 2")).toBe("hello, world: 1 < 2 & 3 > 2");
    expect(ircToXmpp("")).toBe("");
  });
});

describe("ircToXmpp: codes without an XEP-0393 equivalent are dropped, their text kept", () => {
  it.each([
    [`${U}under${U}lined`, "underlined"],
    [`${R}reversed${R}`, "reversed"],
    [`${C}04red${C} plain`, "red plain"],
    [`${C}4,12blue on red${C}`, "blue on red"],
    [`${C}04,5x`, "x"],
    [`${H}FF0000red`, "red"],
    [`${H}ff0000,00ff00pair`, "pair"],
    [`${C}text`, "text"],
    [`${H}text`, "text"],
  ])("%j → %j", (irc, xmpp) => {
    expect(ircToXmpp(irc)).toBe(xmpp);
  });

  it("keeps digits after a two-digit colour as text", () => {
    expect(ircToXmpp(`${C}041234`)).toBe("1234");
    expect(ircToXmpp(`${C}04,05123`)).toBe("123");
  });

  it("keeps a comma that is not followed by a background colour", () => {
    expect(ircToXmpp(`${C}04,text`)).toBe(",text");
    expect(ircToXmpp(`${C},05x`)).toBe(",05x");
  });

  it("keeps a short hex code's characters as text", () => {
    expect(ircToXmpp(`${H}ABCDE!`)).toBe("ABCDE!");
    expect(ircToXmpp(`${H}ABCDEF,12`)).toBe(",12");
  });
});

describe("ircToXmpp: reset", () => {
  it("closes everything open", () => {
    expect(ircToXmpp(`${B}${I}both${O} plain`)).toBe("*_both_* plain");
  });

  it("then lets styles start again", () => {
    expect(ircToXmpp(`${B}a${O} ${B}b${B}`)).toBe("*a* *b*");
  });
});

describe("ircToXmpp: making valid XEP-0393", () => {
  it("moves trailing whitespace out of a span", () => {
    expect(ircToXmpp(`${B}bold ${B}next`)).toBe("*bold* next");
  });

  it("moves leading whitespace out of a span", () => {
    expect(ircToXmpp(`x${B} bold${B}`)).toBe("x *bold*");
  });

  it("moves whitespace out through nested spans", () => {
    expect(ircToXmpp(`${B}${I} both ${I}${B}!`)).toBe(" *_both_* !");
  });

  it("drops a span that holds only whitespace, keeping the whitespace", () => {
    expect(ircToXmpp(`a${B}  ${B}b`)).toBe("a  b");
    expect(ircToXmpp(`${B}${B}x`)).toBe("x");
  });

  it("drops styling that starts inside a word (an opening directive must follow whitespace)", () => {
    expect(ircToXmpp(`un${B}believ${B}able`)).toBe("unbelievable");
  });

  it("keeps styling that ends inside a word (nothing is required after a closing directive)", () => {
    expect(ircToXmpp(`${B}un${B}believable`)).toBe("*un*believable");
  });

  it("drops a span whose text contains its own directive (no escape in XEP-0393)", () => {
    expect(ircToXmpp(`${B}2*3${B} = 6`)).toBe("2*3 = 6");
    expect(ircToXmpp(`${M}a_b${M} ${I}x_y${I}`)).toBe("`a_b` x_y");
  });

  it("drops a span that would directly follow another span's closing directive", () => {
    // "*a*_b_": `_` follows a closing directive, which is not allowed.
    expect(ircToXmpp(`${B}a${B}${I}b${I}`)).toBe("*a*b");
  });

  it("nests overlapping IRC styles by closing and reopening the inner one", () => {
    // bold [a b], italic [b c]: italic is closed with the bold and reopened after the space.
    expect(ircToXmpp(`${B}a ${I}b${B} c${I}`)).toBe("*a _b_* _c_");
  });

  it("drops the reopened part when it would touch the closing directive", () => {
    expect(ircToXmpp(`${B}a ${I}b${B}c${I}`)).toBe("*a _b_*c");
  });

  it("opens the longer-lasting style outside", () => {
    expect(ircToXmpp(`${I}one ${B}two${B} three${I}`)).toBe("_one *two* three_");
    expect(ircToXmpp(`${B}${I}x${I} y${B}`)).toBe("*_x_ y*");
  });

  it("keeps monospace innermost, since preformatted spans hold no styling", () => {
    expect(ircToXmpp(`${M}${B}x${B}${M}`)).toBe("*`x`*");
    expect(ircToXmpp(`${M}code ${B}b${B} more${M}`)).toBe("`code` *`b`* `more`");
  });

  it("adjacent different opening directives are fine", () => {
    expect(ircToXmpp(`${B}${S}${I}all${O}`)).toBe("*~_all_~*");
  });

  it("styles each line on its own, keeping the line breaks as they were", () => {
    expect(ircToXmpp(`${B}one\ntwo${B}`)).toBe("*one*\ntwo");
    expect(ircToXmpp(`a\r\n${I}b${I}\rc`)).toBe("a\r\n_b_\rc");
  });
});

describe("ircToXmpp: characters XML cannot carry", () => {
  it("removes other C0 controls, keeps tab and line breaks", () => {
    expect(ircToXmpp("a\x01b\x07c\x00d\te\nf")).toBe("abcd\te\nf");
  });

  it("does not count removed characters as span content", () => {
    expect(ircToXmpp(`x ${B}\x07${B} y`)).toBe("x  y");
  });

  it("removes lone surrogates and U+FFFE/U+FFFF", () => {
    expect(ircToXmpp("a\ud800b\uffffc")).toBe("abc");
  });

  it("keeps astral characters", () => {
    expect(ircToXmpp(`${B}🎉 party${B}`)).toBe("*🎉 party*");
  });
});

describe("stripIrcFormatting", () => {
  it("removes every code and its parameters", () => {
    expect(stripIrcFormatting(`${B}a${I}b${U}c${S}d${M}e${R}f${O}g${C}04,05h${H}00FF00i`)).toBe("abcdefghi");
  });
});

describe("ircFormattingCodeLength", () => {
  it.each([
    ["x", 0],
    [B, 1],
    [O, 1],
    [C, 1],
    [`${C}1`, 2],
    [`${C}12`, 3],
    [`${C}123`, 3],
    [`${C}1,2`, 4],
    [`${C}12,34`, 6],
    [`${C}12,345`, 6],
    [`${C}12,`, 3],
    [`${H}abcdef`, 7],
    [`${H}abcdef,012345`, 14],
    [`${H}abcdeg`, 1],
  ])("%j is %i long", (text, length) => {
    expect(ircFormattingCodeLength(text, 0)).toBe(length);
  });
});

describe("xmppToIrc: spans", () => {
  it.each([
    ["*bold*", `${B}bold${B}`],
    ["_em_", `${I}em${I}`],
    ["~strike~", `${S}strike${S}`],
    ["`pre`", `${M}pre${M}`],
    ["a *b* c", `a ${B}b${B} c`],
    ["*two words*", `${B}two words${B}`],
    ["*a _b_ c*", `${B}a ${I}b${I} c${B}`],
    ["*_both_*", `${B}${I}both${I}${B}`],
    ["_*both*_", `${I}${B}both${B}${I}`],
    ["*bold*.", `${B}bold${B}.`],
  ])("%j → %j", (xmpp, irc) => {
    expect(xmppToIrc(xmpp)).toBe(irc);
  });

  it.each([
    ["a*b*c", "the opening directive follows a letter"],
    ["* not*", "whitespace after the opening directive"],
    ["*not *", "whitespace before the closing directive"],
    ["**", "no text between the directives"],
    ["*unclosed", "no closing directive"],
    ["2 * 3 * 4", "directives surrounded by whitespace"],
    ["snake_case_name", "directives inside a word"],
    ["*across\nlines*", "spans do not cross lines"],
  ])("leaves %j as text (%s)", (xmpp) => {
    expect(xmppToIrc(xmpp)).toBe(xmpp);
  });

  it("matches lazily: the first valid closing directive ends the span", () => {
    expect(xmppToIrc("*a* b*")).toBe(`${B}a${B} b*`);
    expect(xmppToIrc("*a *b*")).toBe(`${B}a *b${B}`);
  });

  it("parses nothing inside a preformatted span", () => {
    expect(xmppToIrc("`*not bold*`")).toBe(`${M}*not bold*${M}`);
  });

  it("does not nest a span inside one of its kind", () => {
    expect(xmppToIrc("*a *b* c*")).toBe(`${B}a *b${B} c*`);
  });

  it("keeps a span inside its parent", () => {
    // The inner `_` has no closing directive before the outer span ends.
    expect(xmppToIrc("*a _b* c_")).toBe(`${B}a _b${B} c_`);
  });

  it("leaves the Unicode text and the IRC-special characters alone", () => {
    expect(xmppToIrc("café 🎉 #chan @nick")).toBe("café 🎉 #chan @nick");
  });
});

describe("xmppToIrc: blocks", () => {
  it("keeps quote markers as text and styles what follows", () => {
    expect(xmppToIrc("> *quoted* text\nreply")).toBe(`> ${B}quoted${B} text\nreply`);
    expect(xmppToIrc(">> _deep_")).toBe(`>> ${I}deep${I}`);
    expect(xmppToIrc(">*tight*")).toBe(`>${B}tight${B}`);
  });

  it("turns a preformatted block into monospace lines without the fences", () => {
    expect(xmppToIrc("look:\n```js\nconst a = *b*;\n\n  indented\n```\n*after*")).toBe(
      `look:\n${M}const a = *b*;${M}\n\n${M}  indented${M}\n${B}after${B}`,
    );
  });

  it("runs an unclosed block to the end of the message", () => {
    expect(xmppToIrc("```\ncode\nmore")).toBe(`${M}code${M}\n${M}more${M}`);
  });

  it("only closes a block with a line of just the fence", () => {
    expect(xmppToIrc("```\n``` not a fence\n```")).toBe(`${M}\`\`\` not a fence${M}`);
  });

  it("joins lines with \\n whatever the input used", () => {
    expect(xmppToIrc("a\r\nb\rc")).toBe("a\nb\nc");
  });
});

describe("parseStylingSpans", () => {
  it("lists spans outermost first", () => {
    expect(parseStylingSpans("*a _b_* `c`")).toEqual([
      { style: "strong", text: "a b" },
      { style: "emphasis", text: "b" },
      { style: "pre", text: "c" },
    ]);
  });
});

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A tiny independent model of IRC styles, for generated lines only: those use `\x03` always
 * followed by two digits and otherwise no digits, so colour codes are a fixed 3 characters.
 */
function stylesPerChar(irc: string): { char: string; styles: string }[] {
  const on = new Set<string>();
  const out: { char: string; styles: string }[] = [];
  for (let index = 0; index < irc.length; index += 1) {
    const char = irc[index] as string;
    if (char === C) index += 2;
    else if (char === O) on.clear();
    else if ([B, I, S, M as string].includes(char)) on.has(char) ? on.delete(char) : on.add(char);
    else if (char !== U && char !== R) out.push({ char, styles: [...on].sort().join("") });
  }
  return out;
}

describe("ircToXmpp on generated lines", () => {
  const pieces = ["a", "b", "xyz", " ", "  ", "é", "🎉", B, I, S, M, U, R, O, `${C}04`];
  const lines = Array.from({ length: 2000 }, (_, n) => {
    const next = random(n + 1);
    const length = 1 + Math.floor(next() * 14);
    return Array.from({ length }, () => pieces[Math.floor(next() * pieces.length)]).join("");
  });

  it("keeps every character of text, adding only directives", () => {
    for (const line of lines) {
      const xmpp = ircToXmpp(line);
      expect(xmpp.replace(/[*_~`]/g, ""), JSON.stringify(line)).toBe(stripIrcFormatting(line));
    }
  });

  it("only styles text that was styled the same way on IRC", () => {
    for (const line of lines) {
      const original = stylesPerChar(line);
      const roundTrip = stylesPerChar(xmppToIrc(ircToXmpp(line)));
      expect(roundTrip.map((c) => c.char).join(""), JSON.stringify(line)).toBe(
        original.map((c) => c.char).join(""),
      );
      roundTrip.forEach((c, index) => {
        for (const style of c.styles) {
          expect(original[index]?.styles, `${JSON.stringify(line)} at ${index}`).toContain(style);
        }
      });
    }
  });

  it("keeps the styling of lines whose spans are all placeable", () => {
    // Whole words styled one at a time: every span can be written, so nothing is lost.
    const next = random(7);
    for (let n = 0; n < 300; n += 1) {
      const words = Array.from({ length: 1 + Math.floor(next() * 5) }, () => {
        const code = [B, I, S, M, ""][Math.floor(next() * 5)] as string;
        return `${code}word${code}`;
      });
      const line = words.join(" ");
      expect(stylesPerChar(xmppToIrc(ircToXmpp(line))), JSON.stringify(line)).toEqual(stylesPerChar(line));
    }
  });

  it("is stable: converting the XMPP result back and forth changes nothing", () => {
    for (const line of lines) {
      const xmpp = ircToXmpp(line);
      expect(ircToXmpp(xmppToIrc(xmpp)), JSON.stringify(line)).toBe(xmpp);
    }
  });
});
