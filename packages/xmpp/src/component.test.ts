import { describe, expect, it } from "vitest";
import { XmppComponent } from "./component.js";
import { parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { MemoryTransport } from "./test-support/memory-transport.js";

function setUp() {
  const transport = new MemoryTransport("gw.h");
  const { logger, lines } = captureLogger();
  let next = 0;
  const component = new XmppComponent(transport, {
    logger,
    newId: () => `c${++next}`,
    requestTimeoutMs: 1000,
  });
  return { transport, component, lines };
}

/** Lets the dispatch promise chains run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("XmppComponent", () => {
  it("answers routed IQs through the transport, exactly once", async () => {
    const { transport, component } = setUp();
    component.iq.handle({ namespace: "urn:xmpp:ping", type: "get" }, () => undefined);
    transport.receive(
      parseXml("<iq type='get' id='p' from='u@h/r' to='gw.h'><ping xmlns='urn:xmpp:ping'/></iq>"),
    );
    transport.receive(
      parseXml("<iq type='get' id='v' from='u@h/r' to='gw.h'><query xmlns='jabber:iq:version'/></iq>"),
    );
    await settle();
    const byId = transport.sent.sort((a, b) => (a.attrs.id ?? "").localeCompare(b.attrs.id ?? ""));
    expect(byId.map(String)).toEqual([
      '<iq from="gw.h" to="u@h/r" id="p" type="result"/>',
      '<iq from="gw.h" to="u@h/r" id="v" type="error"><error type="cancel"><service-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>',
    ]);
  });

  it("pairs responses with request() and never answers them", async () => {
    const { transport, component } = setUp();
    const response = component.request(
      xml("iq", { type: "get", to: "u@h" }, xml("query", { xmlns: "jabber:iq:roster" })),
    );
    expect(transport.sent[0]?.attrs).toMatchObject({ id: "c1", from: "gw.h", to: "u@h" });
    transport.receive(parseXml("<iq type='result' id='c1' from='u@h' to='gw.h'/>"));
    transport.receive(parseXml("<iq type='result' id='unknown' from='u@h' to='gw.h'/>"));
    await expect(response).resolves.toMatchObject({ attrs: { id: "c1" } });
    await settle();
    expect(transport.sent).toHaveLength(1);
  });

  it("delivers messages and presences to their handlers, in registration order", async () => {
    const { transport, component } = setUp();
    const seen: string[] = [];
    component.onMessage((stanza) => {
      seen.push(`m1:${stanza.getChildText("body")}`);
    });
    const remove = component.onMessage(async () => {
      seen.push("m2");
    });
    component.onPresence((stanza) => {
      seen.push(`p:${stanza.attrs.type ?? "available"}`);
    });
    transport.receive(parseXml("<message from='u@h/r' to='c@gw.h'><body>hi</body></message>"));
    transport.receive(parseXml("<presence from='u@h/r' to='gw.h'/>"));
    await settle();
    remove();
    transport.receive(parseXml("<message from='u@h/r' to='c@gw.h'><body>again</body></message>"));
    await settle();
    expect(seen).toEqual(["m1:hi", "m2", "p:available", "m1:again"]);
  });

  it("starts every handler on stanzas in arrival order, even when an earlier one is still running", async () => {
    const { transport, component } = setUp();
    const started: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    component.onMessage(async (stanza) => {
      started.push(`slow:${stanza.attrs.id}`);
      await gate;
    });
    component.onMessage((stanza) => {
      started.push(`second:${stanza.attrs.id}`);
    });
    transport.receive(parseXml("<message id='1' from='u@h/r' to='c@gw.h'/>"));
    transport.receive(parseXml("<message id='2' from='u@h/r' to='c@gw.h'/>"));
    expect(started).toEqual(["slow:1", "second:1", "slow:2", "second:2"]);
    release();
    await settle();
    expect(transport.sent).toEqual([]);
    expect(transport.sent).toEqual([]);
  });

  it("bounces a message whose handler throws an XmppError with a message error", async () => {
    const { transport, component } = setUp();
    component.onMessage(async () => {
      throw new XmppError("recipient-unavailable", "Not logged in");
    });
    transport.receive(
      parseXml("<message id='m1' type='chat' from='u@h/r' to='c@gw.h'><body>secret</body></message>"),
    );
    await settle();
    expect(transport.sent.map(String)).toEqual([
      '<message from="c@gw.h" to="u@h/r" id="m1" type="error"><error type="wait">' +
        '<recipient-unavailable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">Not logged in</text></error></message>',
    ]);
  });

  it("bounces a presence with internal-server-error on other exceptions, and logs them", async () => {
    const { transport, component, lines } = setUp();
    component.onPresence(() => {
      throw new Error("boom");
    });
    transport.receive(parseXml("<presence from='u@h/r' to='c@gw.h' type='subscribe'/>"));
    await settle();
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.name).toBe("presence");
    expect(transport.sent[0]?.getChild("error")?.getChild("internal-server-error")).toBeDefined();
    expect(lines.some((line) => line.msg === "presence handler failed" && line.level === 50)).toBe(true);
  });

  it("never answers an error stanza with an error", async () => {
    const { transport, component } = setUp();
    component.onMessage(() => {
      throw new XmppError("item-not-found");
    });
    transport.receive(
      parseXml("<message type='error' from='u@h/r' to='c@gw.h'><error type='cancel'/></message>"),
    );
    await settle();
    expect(transport.sent).toEqual([]);
  });

  it("rejects pending requests when the transport goes offline", async () => {
    const { transport, component } = setUp();
    await component.start();
    expect(component.status).toBe("online");
    const response = component.request(
      xml("iq", { type: "get", to: "u@h" }, xml("query", { xmlns: "urn:q" })),
    );
    await component.stop();
    await expect(response).rejects.toMatchObject({ condition: "remote-server-timeout" });
    expect(transport.status).toBe("offline");
  });

  it("exposes the transport's domain", () => {
    expect(setUp().component.domain).toBe("gw.h");
  });
});
