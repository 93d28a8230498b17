import type { Element } from "./element.js";
import { buildForm } from "./forms.js";
import { sanitizeXmlText } from "./xml-text.js";

/** XEP-0444 §2.2: the FORM_TYPE of the restrictions an entity puts in its disco#info. */
export const NS_REACTIONS_RESTRICTIONS = "urn:xmpp:reactions:0:restrictions";

/**
 * The XEP-0444 restrictions form for a disco#info answer (XEP-0128): the only reactions the entity
 * accepts, so clients offer just those. Legacy networks name them, so each is cleaned of characters
 * XML cannot carry; empty ones and repeats are dropped (a repeat would change the XEP-0115 hash
 * without changing what is allowed).
 */
export function reactionRestrictionsForm(allowlist: Iterable<string>): Element {
  const allowed = [...new Set([...allowlist].map(sanitizeXmlText))].filter((reaction) => reaction !== "");
  return buildForm({
    type: "result",
    formType: NS_REACTIONS_RESTRICTIONS,
    fields: [{ var: "allowlist", type: "text-multi", value: allowed }],
  });
}
