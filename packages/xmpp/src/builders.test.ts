import { describe, expect, it } from "vitest";
import { iq, iqResult, message, presence } from "./builders.js";
import { parseXml, xml } from "./element.js";

describe("stanza builders", () => {
  it("builds a message with explicit from, body first, then extra children", () => {
    const stanza = message(
      { from: "alice@gw.h/legacy", to: "u@h", type: "chat", id: "m1", body: "hi" },
      xml("active", { xmlns: "http://jabber.org/protocol/chatstates" }),
    );
    expect(stanza.toString()).toBe(
      '<message from="alice@gw.h/legacy" to="u@h" type="chat" id="m1"><body>hi</body>' +
        '<active xmlns="http://jabber.org/protocol/chatstates"/></message>',
    );
  });

  it("omits absent attributes and the body when not given", () => {
    expect(message({ to: "u@h" }).toString()).toBe('<message to="u@h"/>');
    expect(presence({ from: "c@gw.h", to: "u@h" }).toString()).toBe('<presence from="c@gw.h" to="u@h"/>');
    expect(presence({ to: "u@h", type: "unavailable" }, xml("status", {}, "bye")).toString()).toBe(
      '<presence to="u@h" type="unavailable"><status>bye</status></presence>',
    );
  });

  it("does not share the attributes object between stanzas", () => {
    const attrs = { to: "u@h", type: "chat" as const };
    const first = message(attrs);
    first.attrs.id = "x";
    expect(message(attrs).attrs.id).toBeUndefined();
  });

  it("builds IQ requests and results", () => {
    expect(iq({ type: "get", to: "u@h", id: "q" }, xml("ping", { xmlns: "urn:xmpp:ping" })).toString()).toBe(
      '<iq type="get" to="u@h" id="q"><ping xmlns="urn:xmpp:ping"/></iq>',
    );
    const request = parseXml("<iq type='get' id='7' from='u@h/r' to='c@gw.h'><query xmlns='q'/></iq>");
    expect(iqResult(request).toString()).toBe('<iq from="c@gw.h" to="u@h/r" id="7" type="result"/>');
    expect(iqResult(request, xml("query", { xmlns: "q" })).toString()).toBe(
      '<iq from="c@gw.h" to="u@h/r" id="7" type="result"><query xmlns="q"/></iq>',
    );
  });
});
