import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildChatMessage, buildPresence, parseChatMessage } from "./chat-message.js";
import { discoInfoResult, discoItemsResult } from "./disco.js";
import { type Element, parseXml, xml } from "./element.js";
import { errorReply, XmppError } from "./errors.js";
import { buildForm, parseForm } from "./forms.js";
import { subscriptionPresence } from "./presence.js";
import { parseRosterItems, rosterSetIq } from "./roster.js";
import { gatewayPromptQuery, searchFormQuery, searchResultQuery } from "./search.js";
import { nastyString, nastyValue, onlyXmlChars } from "./test-support/arbitraries.js";
import { vcard4Element, vcardTempElement } from "./vcard.js";
import { sanitizeXmlText } from "./xml-text.js";

// Properties over the builders: whatever text a legacy network hands over (controls, lone
// surrogates, U+FFFE, markup, CR), what goes on the component stream is well-formed XML 1.0 that
// reads back as the sanitized text. One XML-invalid character would make the server close the
// whole stream, for every user.

/**
 * What a receiving XML 1.0 parser makes of `element`: the serialization must hold only XML Chars
 * and parse back; line ends are normalized first, as XML 1.0 §2.11 has every parser do (ltx, the
 * parser at hand, does not).
 */
function received(element: Element): Element {
  const text = element.toString();
  expect(onlyXmlChars(text), JSON.stringify(text)).toBe(true);
  return parseXml(text.replace(/\r\n?/g, "\n"));
}

/** The text a receiver reads for `legacy` sent as element text. */
function expected(legacy: string): string {
  return sanitizeXmlText(legacy).replace(/\r\n?/g, "\n");
}

const FROM = "a\\40b@gw.example.org";

/** Names and such: short, now and then long enough to pass 1023 bytes. */
const legacyText = fc.oneof(
  { weight: 10, arbitrary: nastyString },
  fc.tuple(nastyString, fc.integer({ min: 50, max: 400 })).map(([text, n]) => text.repeat(n)),
);
const TO = "juliet@example.org";

describe("builders given legacy text", () => {
  it("buildChatMessage: the body (and a reply's quote) reads back as sent, whatever it holds", () => {
    fc.assert(
      fc.property(
        nastyValue,
        fc.option(nastyString, { nil: undefined }),
        fc.option(fc.array(nastyString, { maxLength: 4 }), { nil: undefined }),
        fc.boolean(),
        (body, fallbackText, emojis, correction) => {
          const sentBody = expected(body);
          const reply = sentBody !== "" && fallbackText !== undefined;
          const stanza = buildChatMessage({
            from: FROM,
            to: TO,
            id: "m1",
            body,
            ...(reply && { replyTo: { id: "m0", to: TO, fallbackText } }),
            ...(emojis && { reactions: { id: "m0", emojis } }),
            ...(correction && { correctionOf: "m0" }),
          });
          const parsed = parseChatMessage(received(stanza));
          // The fallback's offsets still cut exactly the quote: what the user reads is the body.
          expect(parsed.body ?? "").toBe(sentBody);
          if (emojis)
            for (const emoji of parsed.reactions?.emojis ?? []) expect(onlyXmlChars(emoji)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it("presences, roster items, vCards, search results, disco, forms and errors stay well-formed", () => {
    fc.assert(
      fc.property(fc.array(legacyText, { minLength: 8, maxLength: 8 }), (texts) => {
        const [a = "", b = "", c = "", d = "", e = "", f = "", g = "", h = ""] = texts;
        received(buildPresence({ from: FROM, to: TO, status: a, nick: b }));
        received(subscriptionPresence(FROM, TO, "subscribe", { nick: c }));

        const roster = received(rosterSetIq(TO, { jid: FROM, name: d, groups: [e, f] }));
        const [item] = parseRosterItems(xml("iq", {}, roster.getChild("query") ?? xml("query")));
        expect(item?.groups).toEqual([e, f].map(expected).filter((group) => group !== ""));

        const info = {
          fullName: a,
          nickname: b,
          given: c,
          family: d,
          email: e,
          phone: f,
          url: g,
          note: h,
          birthday: a,
        };
        received(vcardTempElement(info));
        received(vcard4Element(info));

        received(
          searchResultQuery({
            fields: [
              { var: "jid", label: a },
              { var: "name", label: c },
            ],
            // Column vars are the app's own; labels and values come from the legacy network.
            items: [{ jid: d, name: e }],
          }),
        );
        received(
          searchFormQuery({
            title: f,
            instructions: g,
            fields: [{ var: "q", type: "text-single", label: h }],
          }),
        );
        received(gatewayPromptQuery({ desc: a, prompt: b }));
        received(
          discoInfoResult({
            identities: [{ category: "client", type: "pc", name: c }],
            features: ["urn:xmpp:ping"],
          }),
        );
        received(discoItemsResult([{ jid: FROM, name: d, node: e }]));

        const form = received(
          buildForm({
            type: "form",
            title: a,
            instructions: b,
            fields: [
              { var: "pick", type: "list-single", label: c, desc: d, options: [{ label: e, value: "1" }] },
              { var: "note", type: "text-multi", label: f, value: g },
            ],
          }),
        );
        expect(parseForm(form).title ?? "").toBe(expected(a));

        const error = received(
          errorReply(xml("message", { from: TO, to: FROM, id: "m1" }), new XmppError("item-not-found", h)),
        );
        expect(
          error.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? "",
        ).toBe(expected(h));
      }),
      { numRuns: 1_500 },
    );
  });
});

describe("what the properties found", () => {
  it("a reply quote ending in CR does not make the fallback cut the first character of the body", () => {
    const stanza = buildChatMessage({
      from: FROM,
      to: TO,
      id: "m1",
      body: "yes",
      replyTo: { id: "m0", fallbackText: "ok?\r" },
    });
    expect(parseChatMessage(received(stanza)).body).toBe("yes");
  });

  it("an error text from a legacy network is sent without the characters XML cannot carry", () => {
    const error = new XmppError("service-unavailable", "server said: \u0000nope\uffff");
    expect(error.toElement().toString()).toContain(">server said: nope</text>");
  });

  it("form titles, labels and values are sent without the characters XML cannot carry", () => {
    const form = buildForm({
      type: "form",
      title: "a\u0001",
      fields: [
        {
          var: "v",
          type: "list-single",
          label: "b\ud800",
          value: "c\u0002",
          options: [{ label: "d\u0003", value: "c\u0002" }],
        },
      ],
    });
    expect(onlyXmlChars(form.toString())).toBe(true);
    expect(form.toString()).toContain('label="b"');
  });
});
