import { describe, expect, it } from "vitest";
import { type Element, parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import { discoverUploadService } from "./upload-service.js";

const INFO = "http://jabber.org/protocol/disco#info";
const ITEMS = "http://jabber.org/protocol/disco#items";

/** A server with three components: a MUC, one that does not answer, and an upload service. */
function server(uploadForm: string) {
  const asked: string[] = [];
  const request = async (iq: Element): Promise<Element> => {
    const to = iq.attrs.to!;
    const ns = iq.getChild("query")!.attrs.xmlns;
    asked.push(`${ns === INFO ? "info" : "items"} ${to}`);
    if (ns === ITEMS)
      return parseXml(`<iq type="result"><query xmlns="${ITEMS}"><item jid="muc.example.org"/>
        <item jid="down.example.org"/><item jid="example.org" node="x"/><item jid="upload.example.org"/></query></iq>`);
    if (to === "down.example.org") throw new XmppError("remote-server-not-found");
    if (to === "upload.example.org")
      return parseXml(`<iq type="result"><query xmlns="${INFO}"><identity category="store" type="file"/>
        <feature var="urn:xmpp:http:upload:0"/>${uploadForm}</query></iq>`);
    return parseXml(`<iq type="result"><query xmlns="${INFO}"><feature var="${INFO}"/></query></iq>`);
  };
  return { asked, request };
}

describe("discoverUploadService (XEP-0363 §2)", () => {
  it("finds the item with the upload feature and its max-file-size, skipping one that fails", async () => {
    const { asked, request } = server(`<x xmlns="jabber:x:data" type="result">
      <field var="FORM_TYPE" type="hidden"><value>urn:xmpp:http:upload:0</value></field>
      <field var="max-file-size"><value>10485760</value></field></x>`);
    expect(await discoverUploadService(request, "example.org", "gw.example.org")).toEqual({
      jid: "upload.example.org",
      maxFileSize: 10485760,
    });
    expect(asked).toEqual([
      "info example.org",
      "items example.org",
      "info muc.example.org",
      "info down.example.org",
      "info upload.example.org",
    ]);
  });

  it("has no size when the service announces none, and finds nothing on a server without one", async () => {
    expect(await discoverUploadService(server("").request, "example.org")).toEqual({
      jid: "upload.example.org",
    });
    const none = async (iq: Element) =>
      parseXml(`<iq type="result"><query xmlns="${iq.getChild("query")!.attrs.xmlns}"/></iq>`);
    expect(await discoverUploadService(none, "example.org")).toBeUndefined();
  });
});
