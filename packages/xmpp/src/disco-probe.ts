import { NS_DISCO_INFO } from "./disco.js";
import { type Element, xml } from "./element.js";

/**
 * Asking another entity what it supports (XEP-0030 disco#info), as a client of it: the gateway's
 * `doctor` asks its server (MAM, an upload service) before telling an operator what is missing.
 */

/** A disco#info get to `to`, from `from` (the component) when given. */
export function discoInfoQuery(to: string, from?: string): Element {
  return xml("iq", { type: "get", to, from }, xml("query", { xmlns: NS_DISCO_INFO }));
}

/** The feature vars of a disco#info result; empty when it has no query. */
export function discoFeaturesIn(result: Element): string[] {
  const query = result.getChild("query", NS_DISCO_INFO);
  if (!query) return [];
  return query
    .getChildren("feature")
    .map((feature) => feature.attrs.var)
    .filter((name): name is string => typeof name === "string" && name !== "");
}

/**
 * What `jid` says it supports, or undefined when it answered with an error or not at all
 * (`request` rejects): a server may refuse to describe an account to someone who is not its contact.
 */
export async function probeFeatures(
  request: (iq: Element) => Promise<Element>,
  jid: string,
  from?: string,
): Promise<string[] | undefined> {
  try {
    return discoFeaturesIn(await request(discoInfoQuery(jid, from)));
  } catch {
    return undefined;
  }
}
