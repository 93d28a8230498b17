import { createHash } from "node:crypto";
import { type DiscoInfo, discoInfoResult, normalizeFeatures, normalizeIdentities } from "./disco.js";
import { type Element, xml } from "./element.js";
import { NS_DATA_FORMS } from "./forms.js";

export const NS_CAPS = "http://jabber.org/protocol/caps";

/**
 * The XEP-0115 §5.1 verification string (`ver`) of a disco#info answer, hashed with SHA-1 and
 * base64-encoded. Pure and deterministic: the order of identities, features, forms, fields and
 * values does not matter, so a gateway computes it once per feature set and reuses it for every
 * puppet that advertises that set (see {@link entityCapabilities}).
 *
 * Throws `RangeError` for input a receiver would reject under §5.4 (two identities with the same
 * category/type/lang, two forms with the same FORM_TYPE, a FORM_TYPE with several values): such a
 * `ver` could never be verified, so every contact using it would be queried again and again.
 */
export function capsVerification(info: DiscoInfo): string {
  return createHash("sha1").update(capsVerificationString(info), "utf8").digest("base64");
}

/**
 * The string that is hashed (for tests and debugging). Identities and features are sanitized exactly
 * as {@link discoInfoResult} writes them, so the hash matches what receivers recompute from our XML.
 */
export function capsVerificationString({ identities, features, forms = [] }: DiscoInfo): string {
  let s = "";
  // §5.1 step 2 sorts by category, then type, then xml:lang; XEP-0030 forbids two identities with
  // the same triple (normalizeIdentities refuses them), so the name never decides.
  const ids = normalizeIdentities(identities).sort(
    (a, b) =>
      compareOctets(a.category, b.category) ||
      compareOctets(a.type, b.type) ||
      compareOctets(a.lang ?? "", b.lang ?? ""),
  );
  for (const id of ids) s += `${id.category}/${id.type}/${id.lang ?? ""}/${id.name ?? ""}<`;
  for (const feature of sortOctets(normalizeFeatures(features))) s += `${feature}<`;
  const parsed = forms.map(readForm).filter((form) => form !== undefined);
  const formTypes = new Set<string>();
  for (const form of parsed) {
    if (formTypes.has(form.formType)) {
      throw new RangeError(`Two extended disco#info forms have the FORM_TYPE "${form.formType}".`);
    }
    formTypes.add(form.formType);
  }
  parsed.sort((a, b) => compareOctets(a.formType, b.formType));
  for (const form of parsed) {
    s += `${form.formType}<`;
    form.fields.sort((a, b) => compareOctets(a.var, b.var));
    for (const field of form.fields) {
      s += `${field.var}<`;
      for (const value of sortOctets(field.values)) s += `${value}<`;
    }
  }
  return s;
}

interface CapsForm {
  formType: string;
  fields: { var: string; values: string[] }[];
}

// §5.1 step 6 / §5.4: a form without a hidden FORM_TYPE is not part of the hash at all.
function readForm(form: Element): CapsForm | undefined {
  if (!form.is("x", NS_DATA_FORMS)) return undefined;
  let formType: string | undefined;
  const fields: CapsForm["fields"] = [];
  for (const field of form.getChildren("field")) {
    const name = field.attrs.var;
    if (name === undefined) continue;
    // Hashed as written: a form is the caller's element and goes into the XML unchanged.
    const values = field.getChildren("value").map((value) => value.text());
    if (name === "FORM_TYPE") {
      if (field.attrs.type !== "hidden") return undefined;
      if (values.length !== 1) throw new RangeError("A FORM_TYPE field must have exactly one value.");
      formType = values[0];
      continue;
    }
    fields.push({ var: name, values });
  }
  return formType === undefined ? undefined : { formType, fields };
}

// "i;octet" (RFC 4790) compares UTF-8 bytes; JavaScript compares UTF-16 code units, which orders
// astral characters before U+E000–U+FFFF. Buffer.compare on the UTF-8 encoding is the octet order.
function compareOctets(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function sortOctets(values: readonly string[]): string[] {
  return [...values].sort(compareOctets);
}

/** The XEP-0115 `<c/>` element for presences. */
export function capsElement({ node, ver }: { node: string; ver: string }): Element {
  return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node, ver });
}

/** One feature set, hashed once: what a gateway keeps per distinct set of puppet capabilities. */
export interface EntityCapabilities {
  readonly node: string;
  readonly ver: string;
  /** `${node}#${ver}`: the node a client queries to verify the hash. */
  readonly capsNode: string;
  /** A fresh `<c/>` for a presence (fresh so that one presence's tree never adopts another's child). */
  caps(): Element;
  /**
   * A fresh disco#info answer. Pass the node of the request: the answer must echo it, and it is
   * `capsNode` when a client verifies the hash.
   */
  discoInfo(requestNode?: string): Element;
}

/**
 * Computes the `ver` of `info` once and returns builders for the presence `<c/>` and the disco#info
 * answer. `node` identifies the software (XEP-0115 §4: a URI such as the project's home page).
 * Forms are serialized only when built, so callers must not mutate them afterwards.
 */
export function entityCapabilities(node: string, info: DiscoInfo): EntityCapabilities {
  const ver = capsVerification(info);
  const capsNode = `${node}#${ver}`;
  return {
    node,
    ver,
    capsNode,
    caps: () => capsElement({ node, ver }),
    discoInfo: (requestNode) =>
      discoInfoResult({
        ...info,
        node: requestNode,
        // ltx elements keep a single parent; clones keep each answer a self-contained tree.
        forms: info.forms?.map(cloneElement),
      }),
  };
}

function cloneElement(element: Element): Element {
  return xml(
    element.name,
    { ...element.attrs },
    element.children.map((child) => (typeof child === "string" ? child : cloneElement(child))),
  );
}
