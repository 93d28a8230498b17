import { describe, expect, it } from "vitest";
import {
  alternativeNicks,
  caseMappingFromIsupport,
  isValidNick,
  nickProblem,
  nicksEqual,
  normalizeNick,
} from "./nicks.js";

describe("normalizeNick", () => {
  it("folds ASCII letters under every mapping", () => {
    for (const mapping of ["rfc1459", "strict-rfc1459", "ascii"] as const) {
      expect(normalizeNick("RoMeO", mapping)).toBe("romeo");
    }
  });

  it("defaults to rfc1459: [ ] \\ ^ are the upper case of { } | ~", () => {
    expect(normalizeNick("[Romeo]\\^")).toBe("{romeo}|~");
    expect(normalizeNick("{romeo}|~")).toBe("{romeo}|~");
  });

  it("strict-rfc1459 folds [ ] \\ but not ^", () => {
    expect(normalizeNick("[a]\\^", "strict-rfc1459")).toBe("{a}|^");
  });

  it("ascii folds letters only", () => {
    expect(normalizeNick("[A]\\^", "ascii")).toBe("[a]\\^");
  });

  it("leaves digits, - _ ` and non-ASCII letters alone", () => {
    expect(normalizeNick("Ab-1_`ÉÀ")).toBe("ab-1_`ÉÀ");
  });

  it("is idempotent", () => {
    const nick = "[Weird]^Nick\\";
    expect(normalizeNick(normalizeNick(nick))).toBe(normalizeNick(nick));
  });
});

describe("nicksEqual", () => {
  it("compares under the casemapping", () => {
    expect(nicksEqual("[Romeo]", "{romeo}")).toBe(true);
    expect(nicksEqual("[Romeo]", "{romeo}", "ascii")).toBe(false);
    expect(nicksEqual("a^", "A~", "strict-rfc1459")).toBe(false);
    expect(nicksEqual("romeo", "juliet")).toBe(false);
  });
});

describe("caseMappingFromIsupport", () => {
  it.each([
    ["ascii", "ascii"],
    ["strict-rfc1459", "strict-rfc1459"],
    ["rfc1459", "rfc1459"],
    ["rfc7613", "rfc1459"],
    [undefined, "rfc1459"],
    [true, "rfc1459"],
  ])("%j → %s", (value, mapping) => {
    expect(caseMappingFromIsupport(value)).toBe(mapping);
  });
});

describe("nick validity", () => {
  it.each(["romeo", "Romeo_", "[away]", "{x}|^", "a-b", "x1", "`tick`", "jürgen", "_"])(
    "accepts %j",
    (nick) => {
      expect(nickProblem(nick)).toBeUndefined();
      expect(isValidNick(nick)).toBe(true);
    },
  );

  it.each([
    ["", "it is empty"],
    ["two words", "it contains whitespace"],
    ["tab\there", "it contains a control character"],
    ["bell\x07", "it contains a control character"],
    ["del\x7f", "it contains a control character"],
    ["a,b", 'it contains ","'],
    ["a*", 'it contains "*"'],
    ["wh?", 'it contains "?"'],
    ["n!u", 'it contains "!"'],
    ["u@h", 'it contains "@"'],
    ["irc.server", 'it contains "."'],
    ["#chan", 'it cannot start with "#"'],
    ["&chan", 'it cannot start with "&"'],
    ["$mask", 'it cannot start with "$"'],
    [":colon", 'it cannot start with ":"'],
    ["-dash", 'it cannot start with "-"'],
    ["1st", "it cannot start with a digit"],
  ])("refuses %j: %s", (nick, problem) => {
    expect(nickProblem(nick)).toBe(problem);
    expect(isValidNick(nick)).toBe(false);
  });

  it("uses the server's channel prefixes", () => {
    expect(isValidNick("+plus")).toBe(true);
    expect(nickProblem("+plus", { chanTypes: "#+" })).toBe('it cannot start with "+"');
    expect(isValidNick("&amp", { chanTypes: "#" })).toBe(true);
  });

  it("checks NICKLEN in characters when given", () => {
    expect(nickProblem("abcdefghij", { maxLength: 9 })).toBe("it is 10 characters long, the server allows 9");
    expect(isValidNick("abcdefghi", { maxLength: 9 })).toBe(true);
    expect(isValidNick("ééééééééé", { maxLength: 9 })).toBe(true);
    expect(isValidNick("a".repeat(100))).toBe(true);
  });
});

describe("alternativeNicks", () => {
  it("tries underscores, then numbers", () => {
    expect(alternativeNicks("romeo")).toEqual([
      "romeo_",
      "romeo__",
      "romeo1",
      "romeo2",
      "romeo3",
      "romeo4",
      "romeo5",
      "romeo6",
      "romeo7",
      "romeo8",
    ]);
  });

  it("is bounded by limit", () => {
    expect(alternativeNicks("romeo", { limit: 3 })).toEqual(["romeo_", "romeo__", "romeo1"]);
    expect(alternativeNicks("romeo", { limit: 0 })).toEqual([]);
  });

  it("shortens the nick to make room for the suffix", () => {
    const alternatives = alternativeNicks("montague", { maxLength: 9, limit: 12 });
    expect(alternatives.slice(0, 4)).toEqual(["montague_", "montagu__", "montague1", "montague2"]);
    expect(alternatives.at(-1)).toBe("montagu10");
    for (const nick of alternatives) expect([...nick].length).toBeLessThanOrEqual(9);
  });

  it("never proposes the nick itself or the same nick twice, case-insensitively", () => {
    // "ROMEO" + "_" would be the nick itself: skipped.
    const alternatives = alternativeNicks("ROMEO_", { maxLength: 6, limit: 4 });
    expect(alternatives).toEqual(["ROME__", "ROMEO1", "ROMEO2", "ROMEO3"]);
    const folded = alternativeNicks("[a]", { maxLength: 4, limit: 10 }).map((nick) => normalizeNick(nick));
    expect(folded).not.toContain("{a}");
    expect(new Set(folded).size).toBe(folded.length);
  });

  it("does not cut a grapheme cluster when shortening", () => {
    // e + combining acute is one cluster of two code points: it goes whole or not at all.
    expect(alternativeNicks("abcde\u0301f", { maxLength: 6, limit: 1 })).toEqual(["abcd_"]);
    expect(alternativeNicks("abcde\u0301", { maxLength: 7, limit: 1 })).toEqual(["abcde\u0301_"]);
    expect(alternativeNicks("abcdé", { maxLength: 5, limit: 1 })).toEqual(["abcd_"]);
  });

  it("gives nothing when no suffix fits", () => {
    expect(alternativeNicks("romeo", { maxLength: 1 })).toEqual([]);
    expect(alternativeNicks("", {})).toEqual([]);
  });

  it("gives valid nicks for a valid nick", () => {
    for (const nick of alternativeNicks("[away]", { maxLength: 16 })) expect(isValidNick(nick)).toBe(true);
  });
});
