import { MemoryTransport, sequentialIds } from "@gangway/testing";
import { XmppComponent, xml } from "@gangway/xmpp";
import { pino } from "pino";
import { beforeEach, describe, expect, it } from "vitest";

// The stanza-test kit driving the real XmppComponent: routed IQs, message handlers, requests.
describe("XmppComponent on a MemoryTransport", () => {
  let transport: MemoryTransport;
  let component: XmppComponent;

  beforeEach(async () => {
    transport = new MemoryTransport({ domain: "gateway.localhost" });
    component = new XmppComponent(transport, { logger: pino({ level: "silent" }), newId: sequentialIds() });
    await component.start();
  });

  it("answers a routed IQ, and nothing else is sent", async () => {
    component.iq.handle({ namespace: "jabber:iq:version", type: "get" }, async () =>
      xml("query", { xmlns: "jabber:iq:version" }, xml("name", {}, "Gangway"), xml("version", {}, "0.0.0")),
    );
    await transport.inject(
      `<iq type="get" id="v1" from="alice@localhost/r" to="gateway.localhost"><query xmlns="jabber:iq:version"/></iq>`,
    );
    transport.expectSent(`
      <iq type="result" id="v1" from="gateway.localhost" to="alice@localhost/r">
        <query xmlns="jabber:iq:version"><name>Gangway</name><version>0.0.0</version></query>
      </iq>`);
    transport.expectNothingSent();
  });

  it("bounces an unhandled IQ with service-unavailable", async () => {
    await transport.inject(
      `<iq type="get" id="q1" from="alice@localhost/r" to="gateway.localhost"><query xmlns="urn:example:unknown"/></iq>`,
    );
    const reply = transport.nextSent();
    expect(reply.attrs).toMatchObject({ type: "error", id: "q1", to: "alice@localhost/r" });
    expect(reply.getChild("error")?.getChild("service-unavailable")).toBeDefined();
  });

  it("uses the deterministic id source for its own requests", async () => {
    const pending = component.request(
      xml("iq", { type: "get", to: "alice@localhost" }, xml("query", { xmlns: "jabber:iq:roster" })),
    );
    await transport.waitForSent((stanza) => stanza.is("iq"));
    await transport.inject(`<iq type="result" id="id1" from="alice@localhost" to="gateway.localhost"/>`);
    await expect(pending).resolves.toMatchObject({ attrs: { type: "result", id: "id1" } });
  });

  it("hands messages to the message handlers", async () => {
    const bodies: string[] = [];
    component.onMessage(async (stanza) => {
      bodies.push(stanza.getChildText("body") ?? "");
      await component.send(
        xml("message", { to: stanza.attrs.from, from: stanza.attrs.to, type: "chat" }, xml("body", {}, "ok")),
      );
    });
    await transport.inject(
      `<message type="chat" from="alice@localhost/r" to="bob@gateway.localhost"><body>hi</body></message>`,
    );
    expect(bodies).toEqual(["hi"]);
    transport.expectSent(
      `<message type="chat" from="bob@gateway.localhost" to="alice@localhost/r"><body>ok</body></message>`,
    );
  });
});
