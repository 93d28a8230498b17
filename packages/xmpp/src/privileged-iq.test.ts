import { describe, expect, it } from "vitest";
import { XmppComponent } from "./component.js";
import { type Element, parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { sendPrivilegedIq } from "./privileged-iq.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { MemoryTransport } from "./test-support/memory-transport.js";

const pubsubGet = (attrs: Record<string, string> = {}) =>
  xml(
    "iq",
    { type: "get", to: "pubsub.example.org", ...attrs },
    xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" }, xml("items", { node: "n" })),
  );

/** The outer result Prosody's mod_privilege sends back, forwarding `innerXml`. */
const forwarding = (innerXml: string) =>
  `<iq type="result" id="o1" from="alice@example.org" to="gw.example.org">` +
  `<privilege xmlns="urn:xmpp:privilege:2"><forwarded xmlns="urn:xmpp:forward:0">${innerXml}</forwarded></privilege></iq>`;

/** A `request` that records what is sent and answers with `reply(sent)` (a string) or rejects. */
function fakeRequest(reply: (sent: Element) => string | XmppError) {
  const sent: Element[] = [];
  const request = async (iq: Element): Promise<Element> => {
    sent.push(iq);
    const answer = reply(iq);
    if (answer instanceof XmppError) throw answer;
    return parseXml(answer);
  };
  return { sent, request };
}

/** The wrapped IQ's id, as sent. */
const innerId = (outer: Element | undefined) =>
  outer?.getChild("privileged_iq", "urn:xmpp:privilege:2")?.getChild("iq")?.attrs.id;

describe("sendPrivilegedIq", () => {
  it("wraps the IQ as XEP-0356 v2 and mod_privilege require, and returns the forwarded result", async () => {
    const { sent, request } = fakeRequest(() =>
      forwarding(
        `<iq xmlns="jabber:client" type="result" id="inner-1" from="pubsub.example.org" to="alice@example.org"><pubsub xmlns="http://jabber.org/protocol/pubsub"/></iq>`,
      ),
    );
    const original = pubsubGet({ id: "inner-1" });
    const before = original.toString();
    const result = await sendPrivilegedIq(request, {
      component: "gw.example.org",
      user: "alice@example.org",
      iq: original,
    });
    expect(sent.map(String)).toEqual([
      '<iq type="get" to="alice@example.org" from="gw.example.org">' +
        '<privileged_iq xmlns="urn:xmpp:privilege:2">' +
        '<iq xmlns="jabber:client" type="get" to="pubsub.example.org" from="alice@example.org" id="inner-1">' +
        '<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="n"/></pubsub>' +
        "</iq></privileged_iq></iq>",
    ]);
    expect(result.attrs).toMatchObject({ type: "result", id: "inner-1", from: "pubsub.example.org" });
    expect(result.getChild("pubsub", "http://jabber.org/protocol/pubsub")).toBeDefined();
    // The caller's element is copied, not rewritten or re-parented.
    expect(original.toString()).toBe(before);
    expect(original.getChildElements()[0]?.parent).toBe(original);
  });

  it("uses the IQ type for the outer IQ too: mod_privilege checks the grant against it", async () => {
    const { sent, request } = fakeRequest((outer) =>
      forwarding(`<iq type="result" id="${innerId(outer)}" from="alice@example.org"/>`),
    );
    await sendPrivilegedIq(request, {
      component: "gw.example.org",
      user: "alice@example.org",
      iq: xml("iq", { type: "set", to: "alice@example.org" }, xml("query", { xmlns: "jabber:iq:private" })),
    });
    expect(sent[0]?.attrs.type).toBe("set");
    expect(sent[0]?.getChild("privileged_iq")?.getChild("iq")?.attrs.type).toBe("set");
  });

  it("gives the wrapped IQ a fresh id when it has none (mod_privilege refuses it without)", async () => {
    const { sent, request } = fakeRequest((outer) =>
      forwarding(`<iq type="result" id="${innerId(outer)}" from="pubsub.example.org"/>`),
    );
    const call = () =>
      sendPrivilegedIq(request, { component: "gw.example.org", user: "alice@example.org", iq: pubsubGet() });
    await call();
    await call();
    const [first, second] = sent.map(innerId);
    expect(first).toMatch(/\S/);
    expect(second).toMatch(/\S/);
    expect(first).not.toBe(second);
  });

  it("leaves the outer from to the IQ caller when no component is given", async () => {
    const transport = new MemoryTransport("gw.example.org");
    const component = new XmppComponent(transport, {
      logger: captureLogger().logger,
      newId: () => "o1",
      requestTimeoutMs: 1000,
    });
    await component.start();
    const pending = sendPrivilegedIq((iq) => component.request(iq), {
      user: "alice@example.org",
      iq: pubsubGet({ id: "inner-1" }),
    });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(String(transport.sent[0])).toBe(
      '<iq type="get" to="alice@example.org" id="o1" from="gw.example.org">' +
        '<privileged_iq xmlns="urn:xmpp:privilege:2">' +
        '<iq xmlns="jabber:client" type="get" to="pubsub.example.org" from="alice@example.org" id="inner-1">' +
        '<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="n"/></pubsub>' +
        "</iq></privileged_iq></iq>",
    );
    // The outer result comes from the user's bare JID, which is who the request was sent to.
    transport.receive(parseXml(forwarding(`<iq type="result" id="inner-1" from="pubsub.example.org"/>`)));
    await expect(pending).resolves.toMatchObject({ attrs: { id: "inner-1", type: "result" } });
  });

  it("turns a forwarded error IQ into the target's XmppError, with text and application condition", async () => {
    const { request } = fakeRequest(() =>
      forwarding(
        `<iq xmlns="jabber:client" type="error" id="inner-1" from="pubsub.example.org"><error type="auth" by="pubsub.example.org">` +
          `<forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>` +
          `<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">Not your node</text>` +
          `<closed-node xmlns="http://jabber.org/protocol/pubsub#errors"/></error></iq>`,
      ),
    );
    const failure = (await sendPrivilegedIq(request, {
      component: "gw.example.org",
      user: "alice@example.org",
      iq: pubsubGet({ id: "inner-1" }),
    }).catch((error: unknown) => error)) as XmppError;
    expect(failure).toBeInstanceOf(XmppError);
    expect(failure.condition).toBe("forbidden");
    expect(failure.type).toBe("auth");
    expect(failure.text).toBe("Not your node");
    expect(failure.by).toBe("pubsub.example.org");
    expect(failure.applicationCondition?.is("closed-node", "http://jabber.org/protocol/pubsub#errors")).toBe(
      true,
    );
  });

  it("passes the server's own refusal (the outer error) through", async () => {
    const refusal = XmppError.fromStanza(
      parseXml(`<iq type="error" from="alice@example.org"><error type="auth">
        <forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas">you are not allowed to send privileged &lt;IQ&gt; stanzas</text>
      </error></iq>`),
    );
    const { request } = fakeRequest(() => refusal);
    await expect(
      sendPrivilegedIq(request, { component: "gw.example.org", user: "alice@example.org", iq: pubsubGet() }),
    ).rejects.toBe(refusal);
  });

  it.each([
    ["an empty result", `<iq type="result" id="o1" from="alice@example.org"/>`],
    [
      "a privilege of v1",
      `<iq type="result" id="o1" from="alice@example.org"><privilege xmlns="urn:xmpp:privilege:1"><forwarded xmlns="urn:xmpp:forward:0"><iq type="result" id="inner-1"/></forwarded></privilege></iq>`,
    ],
    ["no forwarded IQ", forwarding("")],
    ["the response to another IQ", forwarding(`<iq type="result" id="someone-else"/>`)],
    ["a forwarded request instead of a response", forwarding(`<iq type="get" id="inner-1"/>`)],
  ])("refuses %s as service-unavailable", async (_, answer) => {
    const { request } = fakeRequest(() => answer);
    const failure = (await sendPrivilegedIq(request, {
      component: "gw.example.org",
      user: "alice@example.org",
      iq: pubsubGet({ id: "inner-1" }),
    }).catch((error: unknown) => error)) as XmppError;
    expect(failure).toBeInstanceOf(XmppError);
    expect(failure.condition).toBe("service-unavailable");
    expect(failure.text).toMatch(/alice@example\.org|pubsub\.example\.org/);
  });

  it.each([
    ["a full JID as user", { user: "alice@example.org/phone" }],
    ["a domain as user", { user: "example.org" }],
    ["an empty user", { user: "" }],
    ["a message", { iq: xml("message", { to: "bob@example.org" }, xml("body", {}, "hi")) }],
    [
      "a result IQ",
      { iq: xml("iq", { type: "result", to: "pubsub.example.org" }, xml("x", { xmlns: "urn:x" })) },
    ],
    ["an IQ without payload", { iq: xml("iq", { type: "get", to: "pubsub.example.org" }) }],
    [
      "an IQ with two payloads",
      { iq: xml("iq", { type: "get" }, xml("a", { xmlns: "urn:a" }), xml("b", { xmlns: "urn:b" })) },
    ],
    ["an IQ from someone else", { iq: pubsubGet({ from: "bob@example.org" }) }],
    // mod_privilege wants the wrapped from to be exactly the outer to, the bare JID.
    ["an IQ from one of the user's resources", { iq: pubsubGet({ from: "alice@example.org/phone" }) }],
  ])("refuses %s before sending anything", async (_, override) => {
    const { sent, request } = fakeRequest(() => forwarding(""));
    await expect(
      sendPrivilegedIq(request, {
        component: "gw.example.org",
        user: "alice@example.org",
        iq: pubsubGet(),
        ...override,
      }),
    ).rejects.toThrow(RangeError);
    expect(sent).toEqual([]);
  });

  it("accepts an IQ already from the user's bare JID", async () => {
    const { sent, request } = fakeRequest((outer) =>
      forwarding(`<iq type="result" id="${innerId(outer)}" from="pubsub.example.org"/>`),
    );
    await sendPrivilegedIq(request, {
      component: "gw.example.org",
      user: "alice@example.org",
      iq: pubsubGet({ from: "alice@example.org" }),
    });
    expect(sent[0]?.getChild("privileged_iq")?.getChild("iq")?.attrs.from).toBe("alice@example.org");
  });
});
