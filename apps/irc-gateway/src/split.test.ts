import { describe, expect, it } from "vitest";
import { IRC_FORMAT } from "./formatting.js";
import { IRC_LINE_BYTES, ircPayloadBudget, splitForIrc } from "./split.js";

const bytes = (text: string) => Buffer.byteLength(text, "utf8");
const graphemes = (text: string) =>
  [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)].map((s) => s.segment);

describe("splitForIrc: lines", () => {
  it("keeps a short line as it is", () => {
    expect(splitForIrc("hello world", { maxBytes: 400 })).toEqual(["hello world"]);
  });

  it("makes every kind of line break a new line", () => {
    expect(splitForIrc("a\r\nb\nc\rd", { maxBytes: 400 })).toEqual(["a", "b", "c", "d"]);
  });

  it("drops empty and blank lines, which IRC cannot send", () => {
    expect(splitForIrc("a\n\n  \n\t\nb\n", { maxBytes: 400 })).toEqual(["a", "b"]);
    expect(splitForIrc("", { maxBytes: 400 })).toEqual([]);
    expect(splitForIrc("\n\r\n", { maxBytes: 400 })).toEqual([]);
  });

  it("treats a line of formatting codes only as blank", () => {
    expect(
      splitForIrc(`${IRC_FORMAT.bold}${IRC_FORMAT.bold}\n${IRC_FORMAT.color}04 `, { maxBytes: 400 }),
    ).toEqual([]);
  });

  it("keeps leading whitespace (indentation) of a line", () => {
    expect(splitForIrc("  indented", { maxBytes: 400 })).toEqual(["  indented"]);
  });
});

describe("splitForIrc: long lines", () => {
  it("breaks at the last whitespace that fits, dropping it", () => {
    expect(splitForIrc("aaa bbb ccc", { maxBytes: 8 })).toEqual(["aaa bbb", "ccc"]);
    expect(splitForIrc("aaa bbb ccc", { maxBytes: 7 })).toEqual(["aaa bbb", "ccc"]);
    expect(splitForIrc("aaa bbb ccc", { maxBytes: 6 })).toEqual(["aaa", "bbb", "ccc"]);
  });

  it("breaks at a whitespace right after the limit", () => {
    expect(splitForIrc("abcd efgh", { maxBytes: 4 })).toEqual(["abcd", "efgh"]);
  });

  it("drops a run of whitespace at the break", () => {
    expect(splitForIrc("aaa    bbb", { maxBytes: 5 })).toEqual(["aaa", "bbb"]);
  });

  it("does not break in the leading whitespace", () => {
    expect(splitForIrc("   abcdefgh", { maxBytes: 5 })).toEqual(["   ab", "cdefg", "h"]);
  });

  it("hard-splits a word longer than a line", () => {
    expect(splitForIrc("abcdefghij", { maxBytes: 4 })).toEqual(["abcd", "efgh", "ij"]);
    expect(splitForIrc("x abcdefghij", { maxBytes: 4 })).toEqual(["x", "abcd", "efgh", "ij"]);
  });

  it("never cuts a UTF-8 sequence", () => {
    // é is 2 bytes: 5 bytes hold two of them, not two and a half.
    expect(splitForIrc("ééééé", { maxBytes: 5 })).toEqual(["éé", "éé", "é"]);
    expect(splitForIrc("€€€", { maxBytes: 4 })).toEqual(["€", "€", "€"]);
  });

  it("never cuts a grapheme cluster when one fits in a line", () => {
    const family = "👨‍👩‍👧"; // 18 bytes: three emoji joined by ZWJs
    const flag = "🇫🇷"; // 8 bytes: two regional indicators
    const accented = "e\u0301"; // e + combining acute, 3 bytes
    expect(splitForIrc(`${family}${family}`, { maxBytes: 20 })).toEqual([family, family]);
    expect(splitForIrc(`${flag}${flag}${flag}`, { maxBytes: 12 })).toEqual([flag, flag, flag]);
    expect(splitForIrc(accented.repeat(3), { maxBytes: 7 })).toEqual([accented.repeat(2), accented]);
  });

  it("drops a colour code that cannot fit in any line, rather than cutting it", () => {
    expect(splitForIrc(`ab${IRC_FORMAT.hexColor}ff0000,00ff00cd`, { maxBytes: 6 })).toEqual(["ab", "cd"]);
  });

  it("cuts an oversized grapheme cluster between code points only", () => {
    const family = "👨‍👩‍👧";
    const lines = splitForIrc(family, { maxBytes: 8 });
    expect(lines.join("")).toBe(family);
    for (const line of lines) {
      expect(bytes(line)).toBeLessThanOrEqual(8);
      expect(line).not.toMatch(/\uFFFD/);
      expect(Buffer.from(line, "utf8").toString("utf8")).toBe(line);
    }
  });

  it("never separates a colour code from its digits", () => {
    // A code alone on a line is dropped: it would colour nothing.
    const text = `abc${IRC_FORMAT.color}04,12def`;
    expect(splitForIrc(text, { maxBytes: 6 })).toEqual(["abc", "def"]);
    expect(splitForIrc(`abc${IRC_FORMAT.color}04,12def`, { maxBytes: 9 })).toEqual([
      "abc",
      `${IRC_FORMAT.color}04,12def`,
    ]);
    expect(splitForIrc(`ab${IRC_FORMAT.color}04cd`, { maxBytes: 6 })).toEqual([
      `ab${IRC_FORMAT.color}04c`,
      "d",
    ]);
    expect(splitForIrc(`abc${IRC_FORMAT.color}04d`, { maxBytes: 5 })).toEqual([
      "abc",
      `${IRC_FORMAT.color}04d`,
    ]);
  });

  it("keeps formatting codes with the text they are in", () => {
    const b = IRC_FORMAT.bold;
    expect(splitForIrc(`${b}bold words${b} plain`, { maxBytes: 12 })).toEqual([
      `${b}bold words${b}`,
      "plain",
    ]);
  });

  it("refuses a limit below one code point", () => {
    expect(() => splitForIrc("a", { maxBytes: 3 })).toThrow(RangeError);
    expect(() => splitForIrc("a", { maxBytes: 4.5 })).toThrow(RangeError);
    expect(() => splitForIrc("a", { maxBytes: Number.NaN })).toThrow(RangeError);
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

describe("splitForIrc on generated text", () => {
  const pieces = ["a", "word", "longerword", " ", "  ", "é", "€", "😀", "🇫🇷", "👍🏽", "e\u0301", "\n"];
  const texts = Array.from({ length: 500 }, (_, n) => {
    const next = random(n + 1);
    return Array.from(
      { length: 1 + Math.floor(next() * 60) },
      () => pieces[Math.floor(next() * pieces.length)],
    ).join("");
  });

  it.each([8, 16, 33])("keeps lines within %i bytes, loses only whitespace, cuts no grapheme", (maxBytes) => {
    for (const text of texts) {
      const lines = splitForIrc(text, { maxBytes });
      for (const line of lines) {
        expect(bytes(line), JSON.stringify(line)).toBeLessThanOrEqual(maxBytes);
        expect(line.trim(), JSON.stringify(text)).not.toBe("");
      }
      expect(lines.join("").replace(/\s/g, ""), JSON.stringify(text)).toBe(text.replace(/\s/g, ""));
      // Every grapheme of the output is one of the input: no cluster was cut (all fit in 8 bytes).
      const known = new Set(graphemes(text));
      for (const line of lines)
        for (const g of graphemes(line)) expect(known, JSON.stringify(text)).toContain(g);
    }
  });
});

describe("ircPayloadBudget", () => {
  it("is what is left of 512 bytes after the prefix the receiver sees and CR LF", () => {
    const prefix = ":romeo!~romeo@host.example PRIVMSG juliet :";
    expect(
      ircPayloadBudget({
        nick: "romeo",
        user: "~romeo",
        host: "host.example",
        target: "juliet",
        command: "PRIVMSG",
      }),
    ).toBe(512 - 2 - prefix.length);
    expect(IRC_LINE_BYTES).toBe(512);
  });

  it("counts the command's length (NOTICE is one byte shorter than PRIVMSG)", () => {
    const base = { nick: "n", user: "u", host: "h", target: "t" };
    expect(ircPayloadBudget({ ...base, command: "NOTICE" })).toBe(
      ircPayloadBudget({ ...base, command: "PRIVMSG" }) + 1,
    );
  });

  it("leaves room for the CTCP ACTION framing", () => {
    const base = { nick: "n", user: "u", host: "h", target: "t", command: "PRIVMSG" } as const;
    expect(ircPayloadBudget({ ...base, action: true })).toBe(
      ircPayloadBudget(base) - "\x01ACTION ".length - 1,
    );
  });

  it("counts bytes, not characters", () => {
    const base = { nick: "n", user: "u", host: "h", command: "PRIVMSG" } as const;
    expect(ircPayloadBudget({ ...base, target: "é" })).toBe(ircPayloadBudget({ ...base, target: "e" }) - 1);
  });

  it("makes lines that fit in 512 bytes once the server adds the prefix", () => {
    const who = { nick: "romeo", user: "~r", host: "a.very.long.cloaked.host.example.org", target: "juliet" };
    const maxBytes = ircPayloadBudget({ ...who, command: "PRIVMSG" });
    const text = "word ".repeat(300) + "é".repeat(400);
    for (const line of splitForIrc(text, { maxBytes })) {
      const relayed = `:${who.nick}!${who.user}@${who.host} PRIVMSG ${who.target} :${line}\r\n`;
      expect(bytes(relayed)).toBeLessThanOrEqual(512);
    }
  });
});
