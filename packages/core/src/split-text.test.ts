import { describe, expect, it } from "vitest";
import { splitForStanza, splitText, xmlTextBytes } from "./split-text.js";

const segmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });
const graphemeEnds = (text: string) => {
  const ends = new Set<number>([0]);
  for (const { index, segment } of segmenter.segment(text)) ends.add(index + segment.length);
  return ends;
};

/** Deterministic pseudo-random numbers (mulberry32): the same cases on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  "a",
  "word ",
  "\n",
  " ",
  "é",
  "e\u0301",
  "€",
  "😀",
  "👍🏽",
  "👨‍👩‍👧",
  "🇫🇷",
  "&",
  "<",
  ">",
  "\r\n",
  "\t",
  "漢字",
];

describe("xmlTextBytes", () => {
  it("counts UTF-8 with the escapes the serializer writes", () => {
    expect(xmlTextBytes("abc")).toBe(3);
    expect(xmlTextBytes("é€😀")).toBe(2 + 3 + 4);
    expect(xmlTextBytes("&<>")).toBe(5 + 4 + 4);
  });
});

describe("splitText", () => {
  it("leaves a text that fits alone", () => {
    expect(splitText("hello world", 64)).toEqual(["hello world"]);
  });

  it("prefers a line break, then a space, then a grapheme boundary", () => {
    expect(splitText("first line\nsecond line", 16)).toEqual(["first line\n", "second line"]);
    expect(splitText("one two three four", 10)).toEqual(["one two ", "three four"]);
    // What follows an early line break still does not fit: cut again at a later space.
    expect(splitText(`a\n${"b".repeat(10)} ${"c".repeat(10)}`, 16)).toEqual([
      "a\n",
      `${"b".repeat(10)} `,
      "c".repeat(10),
    ]);
    expect(splitText("x".repeat(40), 16)).toEqual(["x".repeat(16), "x".repeat(16), "x".repeat(8)]);
  });

  it("never cuts a surrogate pair or an emoji sequence", () => {
    const family = "👨‍👩‍👧"; // 18 bytes, one grapheme
    const parts = splitText(family.repeat(5), 40);
    expect(parts.join("")).toBe(family.repeat(5));
    for (const part of parts) {
      expect(xmlTextBytes(part)).toBeLessThanOrEqual(40);
      expect(part.length % family.length).toBe(0);
    }
  });

  it("cuts a single grapheme larger than a part between code points", () => {
    const zalgo = `a${"\u0301".repeat(100)}`; // one grapheme of 201 bytes
    const parts = splitText(`${zalgo}b`, 32);
    expect(parts.join("")).toBe(`${zalgo}b`);
    for (const part of parts) expect(xmlTextBytes(part)).toBeLessThanOrEqual(32);
  });

  it("drops characters XML cannot carry before measuring", () => {
    expect(splitText("a\u0000b\u001Fc", 16)).toEqual(["abc"]);
  });

  it("on 2000 generated texts: parts fit, lose nothing and end on grapheme boundaries", () => {
    const next = random(11);
    for (let n = 0; n < 2000; n += 1) {
      const count = Math.floor(next() * 200);
      let text = "";
      for (let i = 0; i < count; i += 1) text += PIECES[Math.floor(next() * PIECES.length)];
      // Over the largest generated grapheme (the family, 18 bytes): every cut falls between graphemes.
      const max = 20 + Math.floor(next() * 100);
      const parts = splitText(text, max);
      expect(parts.join("")).toBe(text);
      const ends = graphemeEnds(text);
      let offset = 0;
      for (const part of parts) {
        if (text !== "") expect(part.length).toBeGreaterThan(0);
        expect(xmlTextBytes(part)).toBeLessThanOrEqual(max);
        offset += part.length;
        expect(ends.has(offset)).toBe(true);
      }
    }
  });
});

describe("splitForStanza", () => {
  it("leaves 4 KiB of each stanza to the envelope", () => {
    const parts = splitForStanza("a ".repeat(10_000), 8192);
    expect(parts.join("")).toBe("a ".repeat(10_000));
    for (const part of parts) expect(xmlTextBytes(part)).toBeLessThanOrEqual(4096);
    expect(parts).toHaveLength(5);
  });
});
