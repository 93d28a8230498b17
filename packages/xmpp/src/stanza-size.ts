import type { Element } from "./element.js";

/**
 * A cheap upper bound on a stanza's serialized UTF-8 size, without serializing: each UTF-16 unit
 * is at most 6 bytes (3 for a BMP character, never escaped; 6 for `"` escaped as `&quot;`), each tag at most its name
 * twice plus 5. Stanzas under the bound need no exact measure (nearly all of them).
 */
function upperBound(element: Element): number {
  let bytes = element.name.length * 2 + 5;
  for (const [key, value] of Object.entries(element.attrs)) {
    if (value === undefined || value === null) continue;
    bytes += key.length + 4 + String(value).length * 6;
  }
  for (const child of element.children) {
    bytes += typeof child === "string" ? child.length * 6 : upperBound(child);
  }
  return bytes;
}

/**
 * Whether `stanza` serializes to more than `maxBytes` UTF-8 bytes; returns the exact size when it
 * does (to say by how much), `undefined` when it fits.
 */
export function stanzaOverLimit(stanza: Element, maxBytes: number): number | undefined {
  if (upperBound(stanza) <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(stanza.toString(), "utf8");
  return bytes > maxBytes ? bytes : undefined;
}

/** What names a stanza in a log line without its content (bodies are private). */
export function stanzaSummary(stanza: Element): Record<string, string | undefined> {
  const { name, attrs } = stanza;
  const payload = stanza.getChildElements()[0];
  const { type, id, from, to } = attrs;
  return { name, type, id, from, to, payload: payload?.getNS() ?? payload?.name };
}
