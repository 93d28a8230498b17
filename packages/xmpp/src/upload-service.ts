import { NS_DISCO_INFO, NS_DISCO_ITEMS } from "./disco.js";
import { type Element, xml } from "./element.js";
import { NS_DATA_FORMS } from "./forms.js";
import { NS_HTTP_UPLOAD } from "./http-upload.js";

/** An XEP-0363 upload service found on a server, and the largest file it takes when it says. */
export interface UploadService {
  jid: string;
  maxFileSize?: number;
}

/** Items of a server looked at, at most: a server lists its components, a handful. */
const MAX_ITEMS = 20;

/**
 * Finds `server`'s XEP-0363 upload service (XEP-0363 §2): the server itself or one of its disco#items
 * whose disco#info has the `urn:xmpp:http:upload:0` feature. `request` sends an IQ and resolves with
 * the result (rejects on an error). Resolves with undefined when there is none; an item that does
 * not answer is skipped.
 */
export async function discoverUploadService(
  request: (iq: Element) => Promise<Element>,
  server: string,
  from?: string,
): Promise<UploadService | undefined> {
  const info = (jid: string) =>
    request(xml("iq", { type: "get", to: jid, from }, xml("query", { xmlns: NS_DISCO_INFO }))).then(
      (result) => uploadServiceIn(jid, result),
      () => undefined,
    );
  const itself = await info(server);
  if (itself) return itself;
  const items = await request(
    xml("iq", { type: "get", to: server, from }, xml("query", { xmlns: NS_DISCO_ITEMS })),
  ).catch(() => undefined);
  const jids = (items?.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? [])
    .filter((item) => item.attrs.jid && item.attrs.node === undefined)
    .map((item) => item.attrs.jid as string)
    .slice(0, MAX_ITEMS);
  const found = await Promise.all(jids.map(info));
  return found.find((service) => service !== undefined);
}

/** The upload service `jid` is, from its disco#info result, or undefined when it is none. */
export function uploadServiceIn(jid: string, result: Element): UploadService | undefined {
  const query = result.getChild("query", NS_DISCO_INFO);
  if (!query?.getChildren("feature").some((feature) => feature.attrs.var === NS_HTTP_UPLOAD))
    return undefined;
  const form = query
    .getChildren("x", NS_DATA_FORMS)
    .find((x) =>
      x
        .getChildren("field")
        .some((field) => field.attrs.var === "FORM_TYPE" && field.getChildText("value") === NS_HTTP_UPLOAD),
    );
  const max = form
    ?.getChildren("field")
    .find((field) => field.attrs.var === "max-file-size")
    ?.getChildText("value")
    ?.trim();
  return max && /^\d{1,15}$/.test(max) ? { jid, maxFileSize: Number(max) } : { jid };
}
