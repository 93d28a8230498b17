import { describe, expect, it } from "vitest";
import { Element, isStanza, parseXml, xml } from "./element.js";

describe("xml", () => {
  it("builds elements, stringifying attributes and skipping null-ish attributes and children", () => {
    const element = xml(
      "message",
      { to: "a@b", id: 7, type: undefined, from: null },
      xml("body", {}, "hi & <bye>"),
      null,
      false,
      [xml("x", { xmlns: "urn:test" })],
    );
    expect(element.toString()).toBe(
      '<message to="a@b" id="7"><body>hi &amp; &lt;bye&gt;</body><x xmlns="urn:test"/></message>',
    );
    expect(element).toBeInstanceOf(Element);
  });
});

describe("parseXml", () => {
  it("parses nested elements with inherited namespaces and text", () => {
    const iq = parseXml(
      "<iq type='get' id='1'><query xmlns='jabber:iq:roster'><item jid='a@b'><group>G</group></item></query></iq>",
    );
    expect(iq.attrs).toEqual({ type: "get", id: "1" });
    const item = iq.getChild("query", "jabber:iq:roster")?.getChild("item");
    expect(item?.is("item", "jabber:iq:roster")).toBe(true);
    expect(item?.getChildText("group")).toBe("G");
    expect(iq.getChild("query")?.parent).toBe(iq);
  });

  it("rejects malformed and incomplete input", () => {
    expect(() => parseXml("<a><b></a>")).toThrow(/invalid XML/);
    expect(() => parseXml("<a><b/>")).toThrow(/not one complete element/);
    expect(() => parseXml("just text")).toThrow(/invalid XML/);
  });
});

describe("isStanza", () => {
  it("is true only for message, presence and iq", () => {
    expect(
      ["message", "presence", "iq", "handshake", "stream:error"].map((name) => isStanza(xml(name))),
    ).toEqual([true, true, true, false, false]);
  });
});
