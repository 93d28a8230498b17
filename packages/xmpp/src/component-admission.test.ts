import { describe, expect, it } from "vitest";
import { XmppComponent } from "./component.js";
import type { Element } from "./element.js";
import { parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { MemoryTransport } from "./test-support/memory-transport.js";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const REFUSAL = new XmppError("policy-violation", "at most 1 stanza", { type: "wait" });

/** A component whose admission refuses every stanza from u@h, and records what it was asked. */
function setUp() {
  const transport = new MemoryTransport("gw.h");
  const asked: string[] = [];
  const component = new XmppComponent(transport, {
    logger: captureLogger().logger,
    newId: () => "c1",
    admit: (stanza: Element) => {
      asked.push(`${stanza.name}:${stanza.attrs.type ?? ""}`);
      return stanza.attrs.from?.startsWith("u@h") ? REFUSAL : undefined;
    },
  });
  const handled: string[] = [];
  component.onMessage((stanza) => {
    handled.push(`message from ${stanza.attrs.from}`);
  });
  component.onPresence((stanza) => {
    handled.push(`presence from ${stanza.attrs.from}`);
  });
  component.iq.handle({ namespace: "urn:xmpp:ping", type: "get" }, () => {
    handled.push("ping");
    return undefined;
  });
  return { transport, component, asked, handled };
}

describe("XmppComponent admission", () => {
  it("answers a refused message and IQ with the refusal, before any handler or route sees them", async () => {
    const { transport, handled } = setUp();
    transport.receive(
      parseXml("<message id='m' type='chat' from='u@h/r' to='c@gw.h'><body>private</body></message>"),
    );
    transport.receive(
      parseXml("<iq type='get' id='p' from='u@h/r' to='gw.h'><ping xmlns='urn:xmpp:ping'/></iq>"),
    );
    await settle();
    expect(handled).toEqual([]);
    expect(transport.sent.map(String)).toEqual([
      '<message from="c@gw.h" to="u@h/r" id="m" type="error"><error type="wait">' +
        '<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">at most 1 stanza</text></error></message>',
      '<iq from="gw.h" to="u@h/r" id="p" type="error"><error type="wait">' +
        '<policy-violation xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">at most 1 stanza</text></error></iq>',
    ]);
  });

  it("drops a refused presence or error stanza without answering", async () => {
    const { transport, handled, asked } = setUp();
    transport.receive(parseXml("<presence from='u@h/r' to='c@gw.h' type='subscribe'/>"));
    transport.receive(
      parseXml("<message type='error' from='u@h/r' to='c@gw.h'><error type='cancel'/></message>"),
    );
    await settle();
    expect(asked).toEqual(["presence:subscribe", "message:error"]);
    expect(handled).toEqual([]);
    expect(transport.sent).toEqual([]);
  });

  it("hands admitted stanzas on, and never submits responses to its own requests", async () => {
    const { transport, component, handled, asked } = setUp();
    const response = component.request(
      xml("iq", { type: "get", to: "u@h" }, xml("query", { xmlns: "urn:q" })),
    );
    transport.receive(parseXml("<iq type='result' id='c1' from='u@h' to='gw.h'/>"));
    await expect(response).resolves.toMatchObject({ attrs: { id: "c1" } });
    transport.receive(parseXml("<message id='m' from='v@h/r' to='c@gw.h'/>"));
    transport.receive(parseXml("<presence from='v@h/r' to='gw.h'/>"));
    transport.receive(
      parseXml("<iq type='get' id='p' from='v@h/r' to='gw.h'><ping xmlns='urn:xmpp:ping'/></iq>"),
    );
    await settle();
    expect(asked).toEqual(["message:", "presence:", "iq:get"]);
    expect(handled).toEqual(["message from v@h/r", "presence from v@h/r", "ping"]);
    expect(transport.sent.slice(1).map((s) => s.attrs.type)).toEqual(["result"]);
  });
});
