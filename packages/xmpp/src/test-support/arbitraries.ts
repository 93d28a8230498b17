import fc from "fast-check";
import { type Element, type XmlChildInput, xml } from "../element.js";

// fast-check generators for what arrives from the outside: stanzas from XMPP clients and text from
// legacy networks. They favour the characters that break things (XML-invalid controls, lone
// surrogates, U+FFFE/U+FFFF, markup, XEP-0106 escapes, emoji sequences) over plain letters.

/** One UTF-16 code unit or code point, biased towards trouble. */
export const nastyChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0x7f, max: 0x9f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom(
    "\ufffe",
    "\uffff",
    "<",
    ">",
    "&",
    "'",
    '"',
    "\\",
    "@",
    "/",
    ":",
    " ",
    "\n",
    "\r",
    "\t",
    "]]>",
    "&amp;",
    "\\20",
    "\\5c",
    "\\3a",
    "👍",
    "🏳️‍🌈",
    "❤️",
    "é",
    "e\u0301",
    "\u200d",
    "\ufeff",
    "İ",
    "ß",
    "Ω",
    "K",
  ),
);

/** Any string, usually short; sometimes empty. */
export const nastyString: fc.Arbitrary<string> = fc.string({ unit: nastyChar, maxLength: 24 });

/** Mostly short strings, now and then one far over every limit (and over 1023 bytes). */
export const nastyValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: nastyString },
  fc.constant(""),
  fc.tuple(nastyChar, fc.integer({ min: 300, max: 80_000 })).map(([char, n]) => char.repeat(n)),
);

/** Like {@link nastyValue}, but its long strings stop at a few kilobytes (over 1023 bytes still). */
export const mediumValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: nastyString },
  fc.constant(""),
  fc.tuple(nastyChar, fc.integer({ min: 300, max: 3_000 })).map(([char, n]) => char.repeat(n)),
);

/** An attribute value, or the attribute left out. */
const optional = (value: fc.Arbitrary<string>): fc.Arbitrary<string | undefined> =>
  fc.option(value, { nil: undefined, freq: 3 });

const id = optional(fc.oneof({ weight: 3, arbitrary: fc.constantFrom("m1", "a", "") }, nastyValue));

const NS = {
  sid: "urn:xmpp:sid:0",
  reply: "urn:xmpp:reply:0",
  fallback: "urn:xmpp:fallback:0",
  correction: "urn:xmpp:message-correct:0",
  retract: "urn:xmpp:message-retract:1",
  retractLegacy: "urn:xmpp:message-retract:0",
  fasten: "urn:xmpp:fasten:0",
  reactions: "urn:xmpp:reactions:0",
  chatStates: "http://jabber.org/protocol/chatstates",
  markers: "urn:xmpp:chat-markers:0",
  receipts: "urn:xmpp:receipts",
  oob: "jabber:x:oob",
};

const reaction = fc
  .oneof(fc.constantFrom("👍", " 👍 ", "❤️", "🏳️‍🌈", "👍👍", "a", "", "\u0000", "👍\u0007"), nastyString)
  .map((text) => xml("reaction", {}, text));

/** An element nobody asked for, with random name, namespace, attributes and a little nesting. */
const unknownElement: fc.Arbitrary<Element> = fc.letrec<{ element: Element }>((tie) => ({
  element: fc
    .tuple(
      fc.constantFrom("x", "body", "foo", "reaction", "received", "a:b", "query", "item"),
      optional(fc.oneof(fc.constantFrom(...Object.values(NS)), nastyString)),
      fc.dictionary(fc.constantFrom("id", "to", "from", "type", "by", "start", "end"), mediumValue, {
        maxKeys: 3,
      }),
      fc.array(fc.oneof({ depthSize: "small" }, { weight: 3, arbitrary: nastyString }, tie("element")), {
        maxLength: 3,
      }),
    )
    .map(([name, xmlns, attrs, children]) =>
      xml(name, { xmlns, ...attrs }, ...(children as XmlChildInput[])),
    ),
})).element;

/** One child a 1:1 message can carry: every XEP the parser reads, well- or ill-formed. */
const messageChild: fc.Arbitrary<Element> = fc.oneof(
  nastyValue.map((text) => xml("body", {}, text)),
  fc
    .tuple(optional(fc.constantFrom("en", "")), nastyValue)
    .map(([lang, text]) => xml("body", { "xml:lang": lang }, text)),
  id.map((value) => xml("replace", { xmlns: NS.correction, id: value })),
  id.map((value) => xml("retract", { xmlns: NS.retract, id: value })),
  fc
    .tuple(id, fc.boolean())
    .map(([value, inner]) =>
      xml(
        "apply-to",
        { xmlns: NS.fasten, id: value },
        inner ? xml("retract", { xmlns: NS.retractLegacy }) : null,
      ),
    ),
  fc
    .tuple(id, fc.array(fc.oneof({ weight: 5, arbitrary: reaction }, unknownElement), { maxLength: 25 }))
    .map(([value, reactions]) => xml("reactions", { xmlns: NS.reactions, id: value }, ...reactions)),
  fc.tuple(id, optional(nastyString)).map(([value, to]) => xml("reply", { xmlns: NS.reply, id: value, to })),
  fc
    .tuple(
      optional(fc.constantFrom(NS.reply, NS.retract, "")),
      fc.array(
        fc.tuple(
          fc.constantFrom("body", "subject"),
          optional(
            fc.oneof(fc.nat({ max: 40 }).map(String), nastyString, fc.constant("99999999999999999999")),
          ),
          optional(fc.oneof(fc.nat({ max: 40 }).map(String), nastyString, fc.constant("-1"))),
        ),
        { maxLength: 3 },
      ),
    )
    .map(([forNs, ranges]) =>
      xml(
        "fallback",
        { xmlns: NS.fallback, for: forNs },
        ...ranges.map(([name, start, end]) => xml(name, { start, end })),
      ),
    ),
  fc
    .tuple(fc.constantFrom("received", "displayed", "acknowledged", "markable"), id)
    .map(([name, value]) => xml(name, { xmlns: NS.markers, id: value })),
  fc
    .tuple(
      fc.constantFrom("active", "composing", "paused", "inactive", "gone", "typing", "cs:paused"),
      fc.boolean(),
    )
    .map(([name, prefixed]) =>
      prefixed ? xml(name, { "xmlns:cs": NS.chatStates }) : xml(name, { xmlns: NS.chatStates }),
    ),
  fc
    .tuple(fc.constantFrom("request", "received"), id)
    .map(([name, value]) => xml(name, { xmlns: NS.receipts, id: value })),
  id.map((value) => xml("origin-id", { xmlns: NS.sid, id: value })),
  fc.tuple(id, id).map(([value, by]) => xml("stanza-id", { xmlns: NS.sid, id: value, by })),
  optional(nastyValue).map((url) =>
    xml("x", { xmlns: NS.oob }, url === undefined ? null : xml("url", {}, url)),
  ),
  unknownElement,
);

/** A `<message/>` as a client might send one: any mix of extensions, attributes and text. */
export const messageStanza: fc.Arbitrary<Element> = fc
  .record({
    type: optional(
      fc.oneof(fc.constantFrom("chat", "normal", "groupchat", "headline", "error"), nastyString),
    ),
    from: optional(
      fc.oneof(fc.constantFrom("juliet@example.org/balcony", "juliet@example.org"), nastyString),
    ),
    to: optional(fc.oneof(fc.constantFrom("romeo@gw.example.org", "gw.example.org"), nastyString)),
    id,
    children: fc.array(fc.oneof(messageChild, nastyString), { maxLength: 8 }),
  })
  .map(({ type, from, to, id: stanzaId, children }) =>
    xml("message", { xmlns: "jabber:component:accept", type, from, to, id: stanzaId }, ...children),
  );

/** Any element with the given name and namespace, with random children and attributes. */
export function payload(name: string, xmlns: string, children: fc.Arbitrary<Element>): fc.Arbitrary<Element> {
  return fc
    .tuple(
      fc.dictionary(fc.constantFrom("type", "node", "var", "max_items", "id", "from"), mediumValue, {
        maxKeys: 3,
      }),
      fc.array(fc.oneof({ weight: 3, arbitrary: children }, unknownElement, nastyString), { maxLength: 6 }),
    )
    .map(([attrs, kids]) => xml(name, { ...attrs, xmlns }, ...(kids as XmlChildInput[])));
}

/** An element named `name` holding `text` children and random attributes. */
export function textElement(name: string, attrNames: readonly string[] = []): fc.Arbitrary<Element> {
  return fc
    .tuple(
      attrNames.length > 0
        ? fc.dictionary(fc.constantFrom(...attrNames), mediumValue, { maxKeys: attrNames.length })
        : fc.constant({}),
      fc.array(fc.oneof(mediumValue, unknownElement), { maxLength: 3 }),
    )
    .map(([attrs, kids]) => xml(name, attrs, ...(kids as XmlChildInput[])));
}

// XML 1.0 §2.2 Char, as a whole-string test (the `u` flag makes a lone surrogate fail it).
const ONLY_XML_CHARS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/** True when every character of `text` is an XML 1.0 Char. */
export function onlyXmlChars(text: string): boolean {
  return ONLY_XML_CHARS.test(text);
}
