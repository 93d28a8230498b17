import { describe, expect, it } from "vitest";
import { XmppComponent } from "./component.js";
import { StanzaTooLargeError } from "./component-transport.js";
import { type Element, parseXml, xml } from "./element.js";
import { stanzaOverLimit } from "./stanza-size.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { MemoryTransport } from "./test-support/memory-transport.js";

const LIMIT = 2048;

/** A memory transport that refuses what is over LIMIT, as ComponentTransport with maxStanzaBytes does. */
class BoundedTransport extends MemoryTransport {
  override async send(stanza: Element): Promise<void> {
    const bytes = stanzaOverLimit(stanza, LIMIT);
    if (bytes !== undefined) throw new StanzaTooLargeError(bytes, LIMIT);
    return super.send(stanza);
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("XmppComponent with a stanza size limit", () => {
  it("answers an IQ whose result is too large with policy-violation naming the limit", async () => {
    const transport = new BoundedTransport("gw.h");
    const { logger } = captureLogger();
    const component = new XmppComponent(transport, { logger, newId: () => "c1", requestTimeoutMs: 1000 });
    component.iq.handle({ namespace: "vcard-temp", type: "get" }, () =>
      xml("vCard", { xmlns: "vcard-temp" }, xml("DESC", {}, "d".repeat(10_000))),
    );
    transport.receive(
      parseXml("<iq type='get' id='v' from='u@h/r' to='gw.h'><vCard xmlns='vcard-temp'/></iq>"),
    );
    await settle();
    expect(transport.sent).toHaveLength(1);
    const reply = transport.sent[0]!;
    expect(reply.attrs).toMatchObject({ type: "error", id: "v", to: "u@h/r" });
    const error = reply.getChild("error")!;
    expect(error.getChild("policy-violation", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(error.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(
      /^The answer is too large to send: \d+ bytes, over this gateway's limit of 2048 bytes per stanza\.$/,
    );
  });

  it("answers a message whose handler's reply was too large with the same error (UserFacingFailure)", async () => {
    const transport = new BoundedTransport("gw.h");
    const { logger } = captureLogger();
    const component = new XmppComponent(transport, { logger, newId: () => "c1", requestTimeoutMs: 1000 });
    // A chat command whose answer is too long: the handler's send() rejects, the handler throws it.
    component.onMessage(async (stanza) => {
      await transport.send(xml("message", { to: stanza.attrs.from }, xml("body", {}, "r".repeat(10_000))));
    });
    transport.receive(
      parseXml("<message type='chat' id='m' from='u@h/r' to='gw.h'><body>help</body></message>"),
    );
    await settle();
    expect(transport.sent).toHaveLength(1);
    const reply = transport.sent[0]!;
    expect(reply.attrs).toMatchObject({ type: "error", id: "m", to: "u@h/r" });
    const error = reply.getChild("error")!;
    expect(error.getChild("policy-violation", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(error.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(
      /limit of 2048 bytes per stanza\.$/,
    );
  });
});
