import { describe, expect, it } from "vitest";
import { parseChatMessage } from "./chat-message.js";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  checkChatMessage,
  MESSAGE_LIMIT_TEXTS,
  MESSAGE_LIMITS,
  readReaction,
  utf8Length,
} from "./message-limits.js";

const NS_REACTIONS = "urn:xmpp:reactions:0";

function stanza(children: string) {
  return parseXml(
    `<message xmlns='jabber:component:accept' from='juliet@example.org/pc' to='romeo@gw.example.org' type='chat' id='m1'>${children}</message>`,
  );
}

function reactions(...emojis: string[]): string {
  return `<reactions xmlns='${NS_REACTIONS}' id='m0'>${emojis.map((e) => `<reaction>${e}</reaction>`).join("")}</reactions>`;
}

/** The error checkChatMessage throws for these children, as condition, type and text. */
function refusal(children: string) {
  try {
    checkChatMessage(stanza(children));
  } catch (thrown) {
    expect(thrown).toBeInstanceOf(XmppError);
    const { condition, type, text } = thrown as XmppError;
    return { condition, type, text };
  }
  return undefined;
}

const INVALID_REACTION = {
  condition: "not-acceptable",
  type: "modify",
  text: "A reaction must be a single emoji (such as 👍, ❤️ or 🇫🇷), without text, markup, spaces or control characters.",
};

describe("MESSAGE_LIMITS", () => {
  it("has the documented defaults and cannot be changed", () => {
    expect(MESSAGE_LIMITS).toEqual({
      bodyBytes: 65536,
      reactions: 20,
      reactionGraphemes: 1,
      reactionCodePoints: 32,
    });
    expect(Object.isFrozen(MESSAGE_LIMITS)).toBe(true);
  });
});

describe("checkChatMessage", () => {
  it("accepts ordinary messages", () => {
    expect(refusal("<body>hello</body>")).toBeUndefined();
    expect(refusal(`<body>hi</body><replace xmlns='urn:xmpp:message-correct:0' id='m0'/>`)).toBeUndefined();
    expect(refusal(`<retract xmlns='urn:xmpp:message-retract:1' id='m0'/>`)).toBeUndefined();
    expect(refusal(reactions("👍", "❤️", "👍"))).toBeUndefined();
  });

  it("refuses a body over the limit, naming the limit and not quoting the body", () => {
    const secret = "s3cret ";
    const body = secret + "x".repeat(MESSAGE_LIMITS.bodyBytes);
    expect(refusal(`<body>${body}</body>`)).toEqual({
      condition: "policy-violation",
      type: "modify",
      text: "This message is too long: the gateway accepts at most 65536 bytes of text (UTF-8) per message. Split it into several messages.",
    });
    expect(refusal(`<body>${body}</body>`)?.text).not.toContain(secret);
    // Counted in UTF-8 bytes: 16384 four-byte emoji are exactly the limit, one more is over it.
    expect(refusal(`<body>${"😀".repeat(16384)}</body>`)).toBeUndefined();
    expect(refusal(`<body>${"😀".repeat(16384)}a</body>`)?.condition).toBe("policy-violation");
    // Several bodies (xml:lang) count together.
    const half = "x".repeat(MESSAGE_LIMITS.bodyBytes / 2 + 1);
    expect(refusal(`<body>${half}</body><body xml:lang='fr'>${half}</body>`)?.condition).toBe(
      "policy-violation",
    );
  });

  it("refuses 1000 distinct reactions, naming the limit; repeats count once", () => {
    const many = Array.from({ length: 1000 }, (_, i) => String.fromCodePoint(0x1f300 + i));
    expect(refusal(reactions(...many))).toEqual({
      condition: "not-acceptable",
      type: "modify",
      text: "Too many reactions: the gateway accepts at most 20 different reactions per message.",
    });
    expect(refusal(reactions(...many.slice(0, 20)))).toBeUndefined();
    expect(refusal(reactions(...many.slice(0, 21)))?.condition).toBe("not-acceptable");
    expect(refusal(reactions(...Array<string>(1000).fill("👍")))).toBeUndefined();
  });

  it("refuses a 10 KB reaction, markup, text, whitespace, control characters and an empty reaction", () => {
    for (const bad of [
      "👍".repeat(2560),
      "x".repeat(10 * 1024),
      "<b>x</b>",
      "<b>👍</b>",
      "&lt;b&gt;",
      "+1",
      "a",
      "👍 👍",
      "👍&#9;👎",
      "",
      "   ",
      "👍\u0085",
    ]) {
      expect(refusal(reactions(bad)), JSON.stringify(bad)).toEqual(INVALID_REACTION);
      // Never an empty set ("remove all"): the parser counts it as invalid.
      expect(parseChatMessage(stanza(reactions(bad))).reactions?.invalid, JSON.stringify(bad)).toBe(1);
    }
    // One grapheme made huge with combining marks is still refused (code point bound).
    expect(refusal(reactions(`👍${"\u0301".repeat(5000)}`))).toEqual(INVALID_REACTION);
    // A valid one next to an invalid one does not make it acceptable.
    expect(refusal(reactions("👍", "<i>x</i>"))).toEqual(INVALID_REACTION);
  });

  it("accepts flags, keycaps, skin tones and ZWJ sequences as one emoji each", () => {
    const family = "👨‍👩‍👧‍👦";
    const kiss = "👩🏻‍❤️‍💋‍👨🏼";
    const scotland = "🏴󠁧󠁢󠁳󠁣󠁴󠁿";
    expect(refusal(reactions("🇫🇷", family, kiss, scotland, "1️⃣", "👍🏽", "❤️", " 🎉 "))).toBeUndefined();
    expect(parseChatMessage(stanza(reactions("🇫🇷", family, " 🎉 "))).reactions).toEqual({
      id: "m0",
      emojis: ["🇫🇷", family, "🎉"],
      invalid: 0,
    });
  });

  it("reads an empty <reactions/> as 'remove all', and accepts it", () => {
    expect(refusal(`<reactions xmlns='${NS_REACTIONS}' id='m0'/>`)).toBeUndefined();
    expect(parseChatMessage(stanza(`<reactions xmlns='${NS_REACTIONS}' id='m0'/>`)).reactions).toEqual({
      id: "m0",
      emojis: [],
      invalid: 0,
    });
  });

  it("refuses references without an id with bad-request", () => {
    const bad = (text: string) => ({ condition: "bad-request", type: "modify", text });
    const correction = bad(
      "A correction (XEP-0308 <replace/>) must name the message it corrects in its id attribute.",
    );
    expect(refusal(`<body>fixed</body><replace xmlns='urn:xmpp:message-correct:0'/>`)).toEqual(correction);
    expect(refusal(`<body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id=''/>`)).toEqual(
      correction,
    );
    const retraction = bad(
      "A retraction (XEP-0424 <retract/>) must name the message it retracts in its id attribute.",
    );
    expect(refusal(`<retract xmlns='urn:xmpp:message-retract:1'/>`)).toEqual(retraction);
    expect(
      refusal(`<apply-to xmlns='urn:xmpp:fasten:0'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to>`),
    ).toEqual(retraction);
    expect(refusal(`<reactions xmlns='${NS_REACTIONS}'><reaction>👍</reaction></reactions>`)).toEqual(
      bad("Reactions (XEP-0444 <reactions/>) must name the message they react to in their id attribute."),
    );
    // The parser alone would have read the correction as a new message.
    expect(
      parseChatMessage(stanza(`<body>fixed</body><replace xmlns='urn:xmpp:message-correct:0'/>`)).correction,
    ).toBe(undefined);
  });

  it("leaves markers and replies without an id to the parser, which ignores them", () => {
    expect(refusal(`<displayed xmlns='urn:xmpp:chat-markers:0'/>`)).toBeUndefined();
    expect(refusal(`<body>hi</body><reply xmlns='urn:xmpp:reply:0'/>`)).toBeUndefined();
    expect(
      parseChatMessage(stanza(`<displayed xmlns='urn:xmpp:chat-markers:0'/>`)).displayed,
    ).toBeUndefined();
  });

  it("names other limits in the texts when given other limits", () => {
    const limits = { ...MESSAGE_LIMITS, bodyBytes: 10, reactions: 1, reactionGraphemes: 2 };
    expect(() => checkChatMessage(stanza("<body>12345678901</body>"), limits)).toThrow(
      MESSAGE_LIMIT_TEXTS.bodyTooLong(limits),
    );
    expect(() => checkChatMessage(stanza(reactions("👍👍")), limits)).not.toThrow();
    expect(() => checkChatMessage(stanza(reactions("👍", "👎")), limits)).toThrow("at most 1 different");
    expect(MESSAGE_LIMIT_TEXTS.invalidReaction(limits)).toMatch(/^A reaction must be at most 2 emoji/);
  });
});

describe("readReaction and utf8Length", () => {
  it("reads one emoji", () => {
    expect(readReaction(parseXml("<reaction> 👍 </reaction>"))).toBe("👍");
    expect(readReaction(parseXml("<reaction>👍<x/></reaction>"))).toBeUndefined();
  });

  it("counts UTF-8 bytes like Buffer.byteLength, lone surrogates as 3", () => {
    for (const text of ["", "abc", "é", "€", "😀", "a😀é€", "\ud800", "\udc00x"]) {
      expect(utf8Length(text), JSON.stringify(text)).toBe(Buffer.byteLength(text, "utf8"));
    }
  });
});
