import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { parseMamQuery } from "./mam.js";
import { classifyMucPing, parseRoomMessage } from "./muc.js";
import { parseModerationRequest } from "./muc-moderation.js";
import { parseMucPresence } from "./muc-presence.js";
import { jidFromXmppUri, parseMentions, xmppUri } from "./references.js";
import { mediumValue, messageStanza, nastyString, payload, textElement } from "./test-support/arbitraries.js";

// Whatever a client sends to a room, the room parsers return a value or refuse with an XmppError
// (turned into the XEP's stanza error), never a TypeError; and their refusals never quote input.

function outcome<T>(parse: () => T): { value: T } | { error: XmppError } {
  try {
    return { value: parse() };
  } catch (error) {
    if (!(error instanceof XmppError)) {
      throw new Error(`threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    return { error };
  }
}

const roomAddress = fc.oneof(
  fc.constantFrom(
    "lobby@gw.example",
    "lobby@gw.example/romeo",
    "lobby@gw.example/ ",
    "gw.example",
    "@x",
    "a@b/",
  ),
  nastyString,
  nastyString.map((nick) => `lobby@gw.example/${nick}`),
);
const optional = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

/** No refusal text quotes a generated value of more than a few characters. */
function quotesNothing(error: XmppError, values: readonly (string | undefined)[]): void {
  for (const value of values) {
    if (value !== undefined && value.trim().length > 8) expect(error.text ?? "").not.toContain(value.trim());
  }
}

describe("generated room stanzas", () => {
  it("parseMucPresence answers with a value or an XmppError", () => {
    const history = textElement("history", ["maxchars", "maxstanzas", "seconds", "since"]);
    const mucX = payload("x", "http://jabber.org/protocol/muc", fc.oneof(history, textElement("password")));
    const stanza = fc
      .record({
        type: optional(fc.oneof(fc.constantFrom("unavailable", "error", "subscribe", "probe"), nastyString)),
        from: optional(fc.oneof(fc.constant("romeo@example.org/phone"), nastyString)),
        to: optional(roomAddress),
        children: fc.array(fc.oneof(mucX, textElement("show"), textElement("status")), { maxLength: 4 }),
        current: optional(fc.constantFrom("romeo", "juliet")),
      })
      .map(({ current, children, ...attrs }) => ({ current, element: xml("presence", attrs, ...children) }));
    fc.assert(
      fc.property(stanza, ({ current, element }) => {
        const result = outcome(() => parseMucPresence(element, current));
        if ("error" in result) {
          const history = element.getChild("x")?.getChild("history")?.attrs ?? {};
          quotesNothing(result.error, [element.attrs.to, element.attrs.from, ...Object.values(history)]);
        } else {
          expect(Object.isFrozen(result.value)).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it("parseRoomMessage and classifyMucPing answer with a value or an XmppError", () => {
    const reference = textElement("reference", ["type", "begin", "end", "uri"]).map((element) => {
      element.attrs.xmlns = "urn:xmpp:reference:0";
      return element;
    });
    fc.assert(
      fc.property(
        messageStanza,
        fc.array(reference, { maxLength: 3 }),
        roomAddress,
        (stanza, references, to) => {
          stanza.attrs.to = to;
          for (const element of references) stanza.append(element);
          const result = outcome(() => parseRoomMessage(stanza));
          if ("error" in result) quotesNothing(result.error, [to, ...references.map((r) => r.attrs.uri)]);
          const ping = xml("iq", { type: "get", to, id: "p" }, xml("ping", { xmlns: "urn:xmpp:ping" }));
          expect(["room", "joined", "not-joined", "occupant", "no-occupant"]).toContain(
            classifyMucPing(ping, "romeo", () => true),
          );
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("parseMamQuery and parseModerationRequest answer with a value or an XmppError", () => {
    const field = fc
      .record({
        var: fc.oneof(
          fc.constantFrom("FORM_TYPE", "start", "end", "with", "before-id", "after-id", "ids"),
          nastyString,
        ),
        values: fc.array(mediumValue, { maxLength: 3 }),
      })
      .map(({ var: name, values }) =>
        xml(
          "field",
          { var: name },
          values.map((value) => xml("value", {}, value)),
        ),
      );
    const form = payload("x", "jabber:x:data", field);
    const set = payload(
      "set",
      "http://jabber.org/protocol/rsm",
      fc.oneof(textElement("max"), textElement("before"), textElement("after"), textElement("index")),
    );
    const query = payload("query", "urn:xmpp:mam:2", fc.oneof(form, set, textElement("flip-page")));
    const moderate = fc.oneof(
      payload(
        "moderate",
        "urn:xmpp:message-moderate:1",
        fc.oneof(payload("retract", "urn:xmpp:message-retract:1", textElement("x")), textElement("reason")),
      ),
      payload(
        "apply-to",
        "urn:xmpp:fasten:0",
        payload("moderate", "urn:xmpp:message-moderate:0", textElement("reason")),
      ),
    );
    fc.assert(
      fc.property(
        query,
        moderate,
        fc.constantFrom("submit", "form", "", undefined),
        (q: Element, m: Element, type) => {
          const x = q.getChild("x");
          if (x && type !== undefined) x.attrs.type = type;
          const parsed = outcome(() => parseMamQuery(xml("iq", { type: "set", id: "q" }, q)));
          if ("value" in parsed) expect(Object.isFrozen(parsed.value)).toBe(true);
          outcome(() => parseModerationRequest(m));
        },
      ),
      { numRuns: 3_000 },
    );
  });

  it("xmpp: URIs round-trip every valid JID and never throw on garbage", () => {
    fc.assert(
      fc.property(nastyString, nastyString, (nick, garbage) => {
        const jid = `lobby@gw.example/${nick}`;
        if (nick.trim() !== "" && !/[\ud800-\udfff]/.test(nick)) {
          const uri = outcome(() => xmppUri(jid));
          if ("value" in uri) expect(jidFromXmppUri(uri.value)).toBe(jid);
        }
        jidFromXmppUri(`xmpp:${garbage}`);
        outcome(() =>
          parseMentions(
            xml(
              "message",
              {},
              xml("reference", {
                xmlns: "urn:xmpp:reference:0",
                type: "mention",
                uri: `xmpp:${garbage}`,
                begin: "0",
                end: "0",
              }),
            ),
          ),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
