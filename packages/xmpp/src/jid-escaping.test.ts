import { describe, expect, it } from "vitest";
import { XmppError } from "./errors.js";
import { escapeLocalpart, isValidLocalpart, unescapeLocalpart } from "./jid-escaping.js";
import { sanitizeXmlText } from "./xml-text.js";

// XEP-0106 §5 (Examples), localparts only.
const XEP_0106_EXAMPLES: ReadonlyArray<readonly [string, string]> = [
  ["space cadet", String.raw`space\20cadet`],
  ['call me "ishmael"', String.raw`call\20me\20\22ishmael\22`],
  ["at&t guy", String.raw`at\26t\20guy`],
  ["d'artagnan", String.raw`d\27artagnan`],
  ["/.fanboy", String.raw`\2f.fanboy`],
  ["::foo::", String.raw`\3a\3afoo\3a\3a`],
  ["<foo>", String.raw`\3cfoo\3e`],
  ["user@host", String.raw`user\40host`],
  [String.raw`c:\net`, String.raw`c\3a\net`],
  [String.raw`c:\\net`, String.raw`c\3a\\net`],
  [String.raw`c:\cool stuff`, String.raw`c\3a\cool\20stuff`],
  [String.raw`c:\5commas`, String.raw`c\3a\5c5commas`],
];

describe("escapeLocalpart / unescapeLocalpart", () => {
  it.each(XEP_0106_EXAMPLES)("escapes %j as in XEP-0106", (unescaped, escaped) => {
    expect(escapeLocalpart(unescaped)).toBe(escaped);
    expect(unescapeLocalpart(escaped)).toBe(unescaped);
  });

  it("escapes every special character and a backslash before an escape code", () => {
    expect(escapeLocalpart(`a b"c&d'e/f:g<h>i@j`)).toBe(String.raw`a\20b\22c\26d\27e\2ff\3ag\3ch\3ei\40j`);
    expect(escapeLocalpart(String.raw`x\20y`)).toBe(String.raw`x\5c20y`);
    expect(escapeLocalpart(String.raw`x\5cy`)).toBe(String.raw`x\5c5cy`);
    expect(escapeLocalpart(String.raw`x\zz`)).toBe(String.raw`x\zz`);
  });

  it("round-trips strings that contain literal escape sequences", () => {
    for (const original of [String.raw`\20`, String.raw`a\5c20b`, "\\\\40\\", "plain", "ünïcödé 😀 id"]) {
      expect(unescapeLocalpart(escapeLocalpart(original))).toBe(original);
    }
  });

  it("leaves ordinary localparts and non-sequences untouched", () => {
    expect(escapeLocalpart("12345678")).toBe("12345678");
    expect(unescapeLocalpart(String.raw`a\zzb\2`)).toBe(String.raw`a\zzb\2`);
  });

  it.each([
    ["", /empty/],
    [" leading", /starts or ends with a space/],
    ["trailing ", /starts or ends with a space/],
    ["bell\u0007", /control characters/],
    ["x".repeat(1024), /1023 bytes/],
    ["é".repeat(512), /1023 bytes/],
  ])("refuses %j with a clear jid-malformed error", (input, message) => {
    let thrown: unknown;
    try {
      escapeLocalpart(input);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(XmppError);
    expect((thrown as XmppError).condition).toBe("jid-malformed");
    expect((thrown as XmppError).text).toMatch(message);
  });

  it("accepts exactly 1023 bytes after escaping", () => {
    expect(escapeLocalpart("x".repeat(1023))).toHaveLength(1023);
    expect(() => escapeLocalpart(`${"x".repeat(1021)}@`)).toThrow(/1023 bytes/); // @ becomes 3 bytes
  });
});

describe("isValidLocalpart", () => {
  it("accepts escaped localparts and rejects raw special characters", () => {
    expect(isValidLocalpart(String.raw`d\27artagnan`)).toBe(true);
    for (const bad of [
      "",
      "a b",
      'a"b',
      "a&b",
      "a'b",
      "a/b",
      "a:b",
      "a<b",
      "a>b",
      "a@b",
      "a\u0000b",
      "a\u007fb",
      "a\ud800b",
    ]) {
      expect(isValidLocalpart(bad), JSON.stringify(bad)).toBe(false);
    }
  });
});

describe("sanitizeXmlText", () => {
  it("drops characters XML 1.0 cannot carry and keeps the rest", () => {
    expect(sanitizeXmlText("a\u0000b\u0008c\u000bd\u000ce\u001ff\ufffeg\uffffh")).toBe("abcdefgh");
    expect(sanitizeXmlText("tab\tnl\ncr\r emoji 😀 \ue000")).toBe("tab\tnl\ncr\r emoji 😀 \ue000");
  });

  it("drops lone surrogates but keeps pairs", () => {
    expect(sanitizeXmlText("x\ud83dy\ude00z😀")).toBe("xyz😀");
  });

  it("returns the very same string when nothing needs dropping", () => {
    const clean = "nothing to do here";
    expect(sanitizeXmlText(clean)).toBe(clean);
  });
});
