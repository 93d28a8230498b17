import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { XmppError } from "./errors.js";
import { JID } from "./jid.js";
import { escapeLocalpart, isValidLocalpart, MAX_JID_PART_BYTES, unescapeLocalpart } from "./jid-escaping.js";
import { nastyChar, nastyString } from "./test-support/arbitraries.js";

// Properties of the XEP-0106 mapping from legacy ids to JID localparts, over any string a legacy
// network could use as an id.

/** Ids as networks make them: mostly escapable, sometimes long, sometimes hostile. */
const legacyId = fc.oneof(
  { weight: 6, arbitrary: nastyString },
  fc.string({
    unit: fc.constantFrom("\\", "2", "f", "F", "5", "c", "C", "3", "a", "@", " ", "/", "x"),
    maxLength: 12,
  }),
  fc.tuple(nastyChar, fc.integer({ min: 200, max: 1100 })).map(([char, n]) => char.repeat(n)),
  fc.integer({ min: 300, max: 600 }).map((n) => "İ".repeat(n)),
);

/** What XEP-0106 and RFC 7622 leave without a localpart, predicted independently of the module. */
function unmappable(id: string): boolean {
  return (
    id === "" ||
    id.startsWith(" ") ||
    id.endsWith(" ") ||
    /\p{Cc}|\p{Cs}|[\ufffe\uffff]/u.test(id) ||
    Buffer.byteLength(escapedByHand(id), "utf8") > MAX_JID_PART_BYTES ||
    // RFC 7622 §3.3 counts the prepared form, which servers lowercase.
    Buffer.byteLength(escapedByHand(id).toLowerCase(), "utf8") > MAX_JID_PART_BYTES
  );
}

/** The XEP-0106 §3.2 escape of each character, written out again here as a cross-check. */
function escapedByHand(id: string): string {
  let out = "";
  for (let i = 0; i < id.length; i += 1) {
    const char = id[i] as string;
    const code = `\\${char.charCodeAt(0).toString(16).padStart(2, "0")}`;
    if (` "&'/:<>@`.includes(char)) out += code;
    else if (char === "\\" && /^(20|22|26|27|2f|3a|3c|3e|40|5c)$/i.test(id.slice(i + 1, i + 3))) out += code;
    else out += char;
  }
  return out;
}

describe("XEP-0106 escaping of legacy ids", () => {
  it("every id either escapes to a valid localpart that unescapes to it, or is refused with jid-malformed", () => {
    fc.assert(
      fc.property(legacyId, (id) => {
        let escaped: string;
        try {
          escaped = escapeLocalpart(id);
        } catch (error) {
          expect(error).toBeInstanceOf(XmppError);
          expect((error as XmppError).condition).toBe("jid-malformed");
          expect(unmappable(id)).toBe(true);
          return;
        }
        expect(unmappable(id)).toBe(false);
        expect(escaped).toBe(escapedByHand(id));
        expect(isValidLocalpart(escaped)).toBe(true);
        expect(Buffer.byteLength(escaped, "utf8")).toBeLessThanOrEqual(MAX_JID_PART_BYTES);
        expect(escaped).not.toMatch(/[ "&'/:<>@]/);
        expect(unescapeLocalpart(escaped)).toBe(id);
        // The escaped form is a JID localpart on its own: it parses, and nothing leaks into the domain.
        const jid = JID.parse(`${escaped}@gw.example.org/r`);
        expect(jid.domain).toBe("gw.example.org");
        expect(jid.resource).toBe("r");
      }),
      { numRuns: 4_000 },
    );
  });

  it("different ids never share an escaped form", () => {
    fc.assert(
      fc.property(legacyId, legacyId, (a, b) => {
        fc.pre(a !== b && !unmappable(a) && !unmappable(b));
        expect(escapeLocalpart(a)).not.toBe(escapeLocalpart(b));
      }),
      { numRuns: 1_000 },
    );
  });

  // The documented case policy (README, "JIDs and escaping"): escaping keeps case, servers and
  // JID.parse fold it, so what comes back from a JID the user addressed is the id lowercased.
  // Networks with case-insensitive ids normalize them (IRC case-maps nicks); networks with
  // case-sensitive ids must map them to lowercase localparts themselves.
  it("an id read back from a JID the user addressed is the id lowercased, and only that", () => {
    fc.assert(
      fc.property(legacyId, (id) => {
        fc.pre(!unmappable(id));
        const addressed = JID.parse(`${escapeLocalpart(id)}@gw.example.org`);
        expect(unescapeLocalpart(addressed.local)).toBe(id.toLowerCase());
      }),
      { numRuns: 3_000 },
    );
  });

  it("ids that differ only by case meet at one JID (the collision the policy names)", () => {
    const alice = JID.parse(`${escapeLocalpart("Alice")}@gw.example.org`);
    const lower = JID.parse(`${escapeLocalpart("alice")}@gw.example.org`);
    expect(alice.equals(lower)).toBe(true);
    expect(escapeLocalpart("Alice")).toBe("Alice");
  });

  it("a backslash before upper-case hex is escaped, so the folded JID does not read as an escape", () => {
    expect(escapeLocalpart("a\\2Fb")).toBe("a\\5c2Fb");
    expect(unescapeLocalpart(JID.parse("a\\5c2Fb@gw").local)).toBe("a\\2fb");
    expect(unescapeLocalpart("a\\5c2Fb")).toBe("a\\2Fb");
  });
});
