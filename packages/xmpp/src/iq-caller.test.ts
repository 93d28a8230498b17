import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type Element, parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { IqCaller } from "./iq-caller.js";

function setUp(send: (stanza: Element) => Promise<void> = async () => {}) {
  const sent: Element[] = [];
  let next = 0;
  const caller = new IqCaller({
    send: (stanza) => {
      sent.push(stanza);
      return send(stanza);
    },
    domain: "gw.h",
    defaultTimeoutMs: 1000,
    newId: () => `id${++next}`,
  });
  return { caller, sent };
}

const rosterGet = () => xml("iq", { type: "get", to: "user@h" }, xml("query", { xmlns: "jabber:iq:roster" }));

describe("IqCaller", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends with an id and from, and resolves with the matching result", async () => {
    const { caller, sent } = setUp();
    const response = caller.request(rosterGet());
    expect(sent[0]?.toString()).toBe(
      '<iq type="get" to="user@h" id="id1" from="gw.h"><query xmlns="jabber:iq:roster"/></iq>',
    );
    const result = parseXml(
      "<iq type='result' id='id1' from='User@H' to='gw.h'><query xmlns='jabber:iq:roster'/></iq>",
    );
    expect(caller.handleResponse(result)).toBe(true);
    await expect(response).resolves.toBe(result);
    expect(caller.pendingCount).toBe(0);
  });

  it("ignores a response with the right id from another JID", async () => {
    const { caller } = setUp();
    const response = caller.request(rosterGet());
    expect(caller.handleResponse(parseXml("<iq type='result' id='id1' from='mallory@h'/>"))).toBe(false);
    expect(caller.handleResponse(parseXml("<iq type='result' id='id1' from='user@h/res'/>"))).toBe(false);
    expect(caller.handleResponse(parseXml("<iq type='result' id='id1'/>"))).toBe(false);
    expect(caller.pendingCount).toBe(1);
    caller.handleResponse(parseXml("<iq type='result' id='id1' from='user@h'/>"));
    await expect(response).resolves.toBeDefined();
  });

  it("rejects with the peer's error", async () => {
    const { caller } = setUp();
    const response = caller.request(rosterGet());
    caller.handleResponse(
      parseXml(
        "<iq type='error' id='id1' from='user@h'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
      ),
    );
    await expect(response).rejects.toMatchObject({ condition: "item-not-found", type: "cancel" });
  });

  it("times out with remote-server-timeout and forgets the request", async () => {
    const { caller } = setUp();
    const response = caller.request(rosterGet(), 50);
    const settled = expect(response).rejects.toMatchObject({ condition: "remote-server-timeout" });
    await vi.advanceTimersByTimeAsync(49);
    expect(caller.pendingCount).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await settled;
    expect(caller.pendingCount).toBe(0);
    expect(caller.handleResponse(parseXml("<iq type='result' id='id1' from='user@h'/>"))).toBe(false);
  });

  it("rejects when sending fails", async () => {
    const { caller } = setUp(async () => {
      throw new Error("queue full");
    });
    await expect(caller.request(rosterGet())).rejects.toThrow("queue full");
    expect(caller.pendingCount).toBe(0);
  });

  it("rejects every pending request on rejectAll", async () => {
    const { caller } = setUp();
    const first = caller.request(rosterGet());
    const second = caller.request(rosterGet());
    const closed = new XmppError("remote-server-timeout", "closed");
    caller.rejectAll(closed);
    await expect(first).rejects.toBe(closed);
    await expect(second).rejects.toBe(closed);
    expect(caller.pendingCount).toBe(0);
  });

  it("refuses requests without a valid addressee and duplicate ids", async () => {
    const { caller } = setUp();
    await expect(caller.request(xml("iq", { type: "get" }, xml("q")))).rejects.toBeInstanceOf(XmppError);
    void caller.request(xml("iq", { type: "get", to: "a@b", id: "same" }, xml("q"))).catch(() => {});
    await expect(caller.request(xml("iq", { type: "get", to: "a@b", id: "same" }, xml("q")))).rejects.toThrow(
      /already pending/,
    );
    caller.rejectAll(new Error("done"));
  });
});
