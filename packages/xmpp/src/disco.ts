import { type Element, xml } from "./element.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";

/** One XEP-0030 `<identity/>`. */
export interface DiscoIdentity {
  category: string;
  type: string;
  /** Written as `xml:lang`. */
  lang?: string;
  name?: string;
}

/** What an entity answers to disco#info: also the input of the XEP-0115 verification string. */
export interface DiscoInfo {
  identities: readonly DiscoIdentity[];
  features: readonly string[];
  /** XEP-0128 extended information: `<x xmlns="jabber:x:data" type="result">` forms with a FORM_TYPE. */
  forms?: readonly Element[];
}

/** One XEP-0030 `<item/>` of a disco#items answer. */
export interface DiscoItem {
  jid: string;
  name?: string;
  node?: string;
}

/**
 * The identities as they go on the wire: XML-invalid characters dropped (app-supplied names come
 * from legacy networks), empty names and languages left out. Throws `RangeError` for two
 * identities with the same category/type/lang, which XEP-0030 forbids and which makes XEP-0115
 * receivers discard the answer. Shared with caps.ts so the hash is computed from exactly this.
 */
export function normalizeIdentities(identities: readonly DiscoIdentity[]): DiscoIdentity[] {
  const seen = new Set<string>();
  return identities.map((identity) => {
    const clean: DiscoIdentity = {
      category: sanitizeXmlText(identity.category),
      type: sanitizeXmlText(identity.type),
    };
    if (identity.lang) clean.lang = sanitizeXmlText(identity.lang);
    if (identity.name) clean.name = sanitizeXmlText(identity.name);
    const key = `${clean.category}\u0000${clean.type}\u0000${clean.lang ?? ""}`;
    if (seen.has(key)) {
      throw new RangeError(
        `Two disco#info identities have category "${clean.category}", type "${clean.type}" and the same language.`,
      );
    }
    seen.add(key);
    return clean;
  });
}

/**
 * The features as they go on the wire, in the given order. A duplicate makes XEP-0115 receivers
 * discard the whole answer (§5.4 step 3.3), so it is dropped here, where both the XML and the
 * hash get their features from, rather than reported.
 */
export function normalizeFeatures(features: readonly string[]): string[] {
  return [...new Set(features.map(sanitizeXmlText))];
}

/**
 * The disco#info answer: `<query xmlns="http://jabber.org/protocol/disco#info" node?>` with the
 * identities, features (duplicates dropped) and forms in the given order. `node` must echo the
 * request's (XEP-0115 clients verify a hash by asking for `node#ver`). The forms are appended as
 * they are, so an element already in another tree is moved: pass fresh ones per answer.
 */
export function discoInfoResult(info: DiscoInfo & { node?: string | undefined }): Element {
  const { node, identities, features, forms = [] } = info;
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    normalizeIdentities(identities).map(({ category, type, lang, name }) =>
      xml("identity", { category, type, name, "xml:lang": lang }),
    ),
    normalizeFeatures(features).map((feature) => xml("feature", { var: feature })),
    forms,
  );
}

/**
 * The disco#items answer: `<query xmlns="http://jabber.org/protocol/disco#items" node?>` with one
 * `<item/>` per entry, in the given order. Names come from apps and legacy networks, so every text
 * is cleaned of characters XML cannot carry (one of them would close the component stream).
 */
export function discoItemsResult(items: readonly DiscoItem[], node?: string): Element {
  const text = (value: string | undefined) => (value ? sanitizeXmlText(value) : undefined);
  return xml(
    "query",
    { xmlns: NS_DISCO_ITEMS, node: text(node) },
    items.map((item) =>
      xml("item", { jid: sanitizeXmlText(item.jid), name: text(item.name), node: text(item.node) }),
    ),
  );
}
