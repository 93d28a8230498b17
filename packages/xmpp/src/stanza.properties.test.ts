import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parsePubsubItemsRequest } from "./avatar.js";
import { parseChatMessage } from "./chat-message.js";
import { type Element, parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { type FormField, parseForm, validateSubmission } from "./forms.js";
import { checkChatMessage, MESSAGE_LIMITS } from "./message-limits.js";
import { parseAvatarUpdateHash, parseUserPresence } from "./presence.js";
import { parsePrivilegeAdvertisement } from "./privilege.js";
import { parseRosterItems } from "./roster.js";
import { parseGatewayPrompt, parseSearchSubmission } from "./search.js";
import {
  messageStanza,
  nastyString,
  nastyValue,
  onlyXmlChars,
  payload,
  textElement,
} from "./test-support/arbitraries.js";
import { parseVCardTempPhoto } from "./vcard.js";
import { sanitizeXmlText } from "./xml-text.js";

// Properties over generated stanzas: whatever a client sends, the parsers return a value or
// refuse it with an XmppError (which the IQ/message routers turn into a stanza error), never a
// TypeError that would escape as a crash. Run counts are explicit: 10,000 messages and a further
// 5,000 payloads of other kinds per run of this file.

/** Runs `parse` and returns what it threw; fails the property on anything but an XmppError. */
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

/**
 * The element as a server would deliver it: serialized, without the characters XML cannot carry
 * (a server refuses those before they reach us), then parsed back.
 */
function overTheWire(element: Element): Element {
  const text = sanitizeXmlText(element.toString());
  expect(onlyXmlChars(text)).toBe(true);
  return parseXml(text);
}

describe("generated messages", () => {
  it("parseChatMessage never throws and checkChatMessage refuses only with an XmppError", () => {
    fc.assert(
      fc.property(messageStanza, fc.boolean(), (generated, wire) => {
        const stanza = wire ? overTheWire(generated) : generated;
        const parsed = parseChatMessage(stanza);
        expect(Object.isFrozen(parsed)).toBe(true);
        const checked = outcome(() => checkChatMessage(stanza));
        if ("error" in checked) {
          expect(["bad-request", "policy-violation", "not-acceptable"]).toContain(checked.error.condition);
          // Refusals name the limit, never quote what the user wrote.
          const body = parsed.rawBody?.trim();
          if (body && body.length > 12) expect(checked.error.text ?? "").not.toContain(body);
          return;
        }
        // What the checker lets through, the parser reads as sent: no reaction silently dropped,
        // no correction or retraction turned into a new message.
        if (parsed.reactions) {
          expect(parsed.reactions.invalid).toBe(0);
          expect(parsed.reactions.emojis.length).toBeLessThanOrEqual(MESSAGE_LIMITS.reactions);
        }
        if (stanza.getChild("replace", "urn:xmpp:message-correct:0")) expect(parsed.correction).toBeDefined();
        if (stanza.getChild("retract", "urn:xmpp:message-retract:1")) expect(parsed.retraction).toBeDefined();
        if (parsed.body !== undefined) expect(parsed.rawBody).toBeDefined();
        if (parsed.rawBody?.trim()) expect(parsed.hasContent).toBe(true);
      }),
      { numRuns: 10_000 },
    );
  });
});

describe("generated payloads of other kinds", () => {
  const field = textElement("field", ["var", "type", "label"]).map((element) => {
    // Most fields get values, which is where parseForm reads.
    element.append(xml("value", {}, element.attrs.var ?? ""));
    return element;
  });
  const dataForm = payload(
    "x",
    "jabber:x:data",
    fc.oneof(field, textElement("title"), textElement("instructions")),
  );
  const formTypes = fc.constantFrom("submit", "form", "result", "cancel", "", "SUBMIT");

  it("parseForm, parseSearchSubmission and validateSubmission answer with a value or an XmppError", () => {
    const fields: FormField[] = [
      { var: "name", type: "text-single", label: "Name", required: true },
      { var: "flag", type: "boolean" },
      { var: "pick", type: "list-single", options: [{ label: "A", value: "a" }] },
      { var: "many", type: "list-multi", options: [{ label: "B", value: "b" }] },
      { var: "lines", type: "text-multi" },
      { var: "who", type: "jid-single" },
    ];
    fc.assert(
      fc.property(dataForm, formTypes, fc.boolean(), (x, type, wire) => {
        if (x.attrs.type === undefined) x.attrs.type = type;
        const form = wire ? overTheWire(x) : x;
        const parsed = outcome(() => parseForm(form));
        if ("value" in parsed) outcome(() => validateSubmission(fields, parsed.value.values));
        outcome(() => parseSearchSubmission(xml("query", { xmlns: "jabber:iq:search" }, form)));
      }),
      { numRuns: 1_500 },
    );
  });

  it("presence, roster, vCard, pubsub, privilege and gateway parsers answer with a value or an XmppError", () => {
    const presenceStanza = fc
      .tuple(
        fc.constantFrom(undefined, "unavailable"),
        optional(nastyString),
        fc.array(
          fc.oneof(
            textElement("show"),
            textElement("status", ["xml:lang"]),
            textElement("priority"),
            payload("x", "vcard-temp:x:update", textElement("photo")),
          ),
          { maxLength: 4 },
        ),
      )
      .map(([type, from, children]) => xml("presence", { type, from }, ...children));
    const rosterResult = payload(
      "query",
      "jabber:iq:roster",
      fc
        .tuple(
          fc.dictionary(fc.constantFrom("jid", "name", "subscription", "ask"), nastyValue, { maxKeys: 4 }),
          fc.array(textElement("group"), { maxLength: 3 }),
        )
        .map(([attrs, groups]) => xml("item", attrs, ...groups)),
    ).map((query) => xml("iq", { type: "result" }, query));
    const vcard = payload(
      "vCard",
      "vcard-temp",
      payload(
        "PHOTO",
        "vcard-temp",
        fc.oneof(textElement("TYPE"), textElement("BINVAL"), textElement("EXTVAL")),
      ),
    ).map((card) => xml("iq", { type: "result" }, card));
    const pubsub = payload(
      "pubsub",
      "http://jabber.org/protocol/pubsub",
      payload(
        "items",
        "http://jabber.org/protocol/pubsub",
        textElement("item", ["id"]).map((item) => item),
      ),
    );
    const privilege = fc
      .tuple(
        fc.constantFrom("urn:xmpp:privilege:2", "urn:xmpp:privilege:1", "urn:xmpp:privilege:3"),
        fc.array(
          fc
            .tuple(
              fc.dictionary(
                fc.constantFrom("access", "type"),
                fc.oneof(
                  fc.constantFrom("roster", "message", "presence", "iq", "both", "get", "outgoing"),
                  nastyString,
                ),
                { maxKeys: 2 },
              ),
              fc.array(textElement("namespace", ["ns", "type"]), { maxLength: 3 }),
            )
            .map(([attrs, namespaces]) => xml("perm", attrs, ...namespaces)),
          { maxLength: 5 },
        ),
        optional(nastyString),
      )
      .map(([ns, perms, from]) => xml("message", { from }, xml("privilege", { xmlns: ns }, ...perms)));
    const gatewayQuery = payload("query", "jabber:iq:gateway", textElement("prompt"));

    fc.assert(
      fc.property(
        fc.oneof(
          presenceStanza.map((stanza) => ["presence", stanza] as const),
          rosterResult.map((stanza) => ["roster", stanza] as const),
          vcard.map((stanza) => ["vcard", stanza] as const),
          pubsub.map((stanza) => ["pubsub", stanza] as const),
          privilege.map((stanza) => ["privilege", stanza] as const),
          gatewayQuery.map((stanza) => ["gateway", stanza] as const),
        ),
        fc.boolean(),
        ([kind, generated], wire) => {
          const element = wire ? overTheWire(generated) : generated;
          switch (kind) {
            case "presence": {
              const parsed = outcome(() => parseUserPresence(element));
              if ("value" in parsed && parsed.value.show !== undefined) {
                expect(["chat", "away", "xa", "dnd"]).toContain(parsed.value.show);
              }
              outcome(() => parseAvatarUpdateHash(element));
              break;
            }
            case "roster": {
              const parsed = outcome(() => parseRosterItems(element));
              if ("value" in parsed) for (const item of parsed.value) expect(item.jid).not.toBe("");
              break;
            }
            case "vcard":
              outcome(() => parseVCardTempPhoto(element));
              break;
            case "pubsub": {
              const parsed = outcome(() => parsePubsubItemsRequest(element));
              if ("value" in parsed && parsed.value?.maxItems !== undefined) {
                expect(Number.isSafeInteger(parsed.value.maxItems) && parsed.value.maxItems > 0).toBe(true);
              }
              break;
            }
            case "privilege":
              outcome(() => parsePrivilegeAdvertisement(element));
              break;
            case "gateway": {
              const parsed = outcome(() => parseGatewayPrompt(element));
              if ("value" in parsed && parsed.value !== undefined)
                expect(parsed.value.trim()).toBe(parsed.value);
              break;
            }
          }
        },
      ),
      { numRuns: 3_500 },
    );
  });

  it("parseUserPresence refuses a non-availability presence with a RangeError, as documented", () => {
    fc.assert(
      fc.property(
        nastyString.filter((type) => type !== "unavailable"),
        (type) => {
          expect(() => parseUserPresence(xml("presence", { type }))).toThrow(RangeError);
        },
      ),
      { numRuns: 200 },
    );
  });
});

function optional<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.option(arbitrary, { nil: undefined });
}
