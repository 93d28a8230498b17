import { parseXml, type TransportStatus } from "@gangway/xmpp";
import { beforeEach, describe, expect, it } from "vitest";
import { canonicalXml, diffLines } from "./canonical-xml.js";
import { MemoryTransport, StanzaAssertionError, sequentialIds } from "./memory-transport.js";

const reply = `<message from="someone@gateway.localhost" to="alice@localhost/r" type="chat" id="m1">
  <body>hello</body>
  <active xmlns="http://jabber.org/protocol/chatstates"/>
</message>`;

describe("canonicalXml", () => {
  it("ignores attribute order, stream namespaces and indentation", () => {
    const a = canonicalXml(reply);
    const b = canonicalXml(
      `<message xmlns="jabber:component:accept" id="m1" type="chat" to="alice@localhost/r" from="someone@gateway.localhost"><body>hello</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>`,
    );
    const c = canonicalXml(
      `<message xmlns="jabber:client" type="chat" id="m1" from="someone@gateway.localhost" to="alice@localhost/r"><body>hello</body><active xmlns="http://jabber.org/protocol/chatstates"></active></message>`,
    );
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it("accepts indented template literals", () => {
    expect(
      canonicalXml(`
      <presence to="a@localhost">
        <status>away</status>
      </presence>
    `),
    ).toBe(`<presence to="a@localhost">\n  <status>away</status>\n</presence>`);
  });

  it("keeps namespaces that are not the stream's", () => {
    expect(canonicalXml(`<x xmlns="urn:a"><y/></x>`)).not.toBe(
      canonicalXml(`<x xmlns="urn:a"><y xmlns="urn:b"/></x>`),
    );
    expect(canonicalXml(`<x xmlns="urn:a"/>`)).toBe(`<x xmlns="urn:a"/>`);
  });

  it("keeps significant text exactly and merges split text runs", () => {
    const element = parseXml("<body>a</body>");
    element.t("b");
    expect(canonicalXml(element)).toBe("<body>ab</body>");
    expect(canonicalXml("<body> a </body>")).not.toBe(canonicalXml("<body>a</body>"));
  });

  it("diffs line by line, expected first", () => {
    expect(diffLines("a\nb\nc", "a\nx\nc")).toBe("  a\n- b\n+ x\n  c");
  });
});

describe("MemoryTransport", () => {
  let transport: MemoryTransport;

  beforeEach(async () => {
    transport = new MemoryTransport();
    await transport.start();
  });

  it("passes expectSent for an equal stanza written differently", async () => {
    await transport.send(parseXml(reply));
    const actual = transport.expectSent(
      `<message type="chat" to="alice@localhost/r" from="someone@gateway.localhost" id="m1"><body>hello</body><active xmlns="http://jabber.org/protocol/chatstates"/></message>`,
    );
    expect(actual.getChildText("body")).toBe("hello");
    transport.expectNothingSent();
  });

  const wrongVersions: Array<[string, string]> = [
    ["a wrong attribute value", reply.replace('type="chat"', 'type="normal"')],
    ["a missing attribute", reply.replace(' id="m1"', "")],
    ["an extra attribute", reply.replace('id="m1"', 'id="m1" xml:lang="en"')],
    ["wrong text", reply.replace("hello", "hullo")],
    ["a missing child", reply.replace('<active xmlns="http://jabber.org/protocol/chatstates"/>', "")],
    ["an extra child", reply.replace("</message>", "<thread>t</thread></message>")],
    ["a child in another namespace", reply.replace("chatstates", "chatstates2")],
    ["another element name", reply.replace("<message", "<presence").replace("</message>", "</presence>")],
  ];

  it.each(wrongVersions)("expectSent fails on %s, with a diff of both", async (_what, expected) => {
    await transport.send(parseXml(reply));
    let failure: unknown;
    try {
      transport.expectSent(expected);
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(StanzaAssertionError);
    const assertion = failure as StanzaAssertionError;
    expect(assertion.message).toContain("(- expected, + actual)");
    expect(assertion.message).toMatch(/^[-+] /m);
    expect(assertion.expected).toBe(canonicalXml(expected));
    expect(assertion.actual).toBe(canonicalXml(reply));
  });

  it("shows the diff lines that differ", async () => {
    await transport.send(parseXml("<presence to='a@localhost' type='unavailable'/>"));
    expect(() =>
      transport.expectSent("<presence from='gateway.localhost' to='a@localhost' type='subscribed'/>"),
    ).toThrow(
      '- <presence from="gateway.localhost" to="a@localhost" type="subscribed"/>\n' +
        '+ <presence from="gateway.localhost" to="a@localhost" type="unavailable"/>',
    );
  });

  it("fills in a missing from with the component domain, as the real transport does", async () => {
    await transport.send(parseXml("<presence to='a@localhost'/>"));
    await transport.send(parseXml("<presence from='puppet@gateway.localhost' to='a@localhost'/>"));
    expect(transport.nextSent().attrs.from).toBe("gateway.localhost");
    expect(transport.nextSent().attrs.from).toBe("puppet@gateway.localhost");
  });

  it("expectSent fails when nothing was sent", () => {
    expect(() => transport.expectSent("<presence from='gateway.localhost'/>")).toThrow(
      /nothing \(more\) was sent/,
    );
  });

  it("expectSent consumes stanzas in order", async () => {
    await transport.send(parseXml("<presence id='1'/>"));
    await transport.send(parseXml("<presence id='2'/>"));
    expect(transport.uncheckedCount).toBe(2);
    expect(() => transport.expectSent("<presence from='gateway.localhost' id='2'/>")).toThrow(
      StanzaAssertionError,
    );
    transport.expectSent("<presence from='gateway.localhost' id='2'/>");
    transport.expectNothingSent();
    expect(transport.sent).toHaveLength(2);
  });

  it("expectNothingSent lists what was sent", async () => {
    await transport.send(parseXml("<presence id='x'/>"));
    expect(() => transport.expectNothingSent()).toThrow(
      /1 stanza\(s\) were:\n1\. <presence from="gateway\.localhost" id="x"\/>/,
    );
  });

  it("expectSentUnordered accepts any order and rejects a wrong set", async () => {
    for (const id of ["1", "2", "3"]) await transport.send(parseXml(`<presence id='${id}'/>`));
    transport.expectSentUnordered([
      "<presence from='gateway.localhost' id='2'/>",
      "<presence from='gateway.localhost' id='1'/>",
    ]);
    transport.expectSent("<presence from='gateway.localhost' id='3'/>");

    for (const id of ["4", "5"]) await transport.send(parseXml(`<presence id='${id}'/>`));
    expect(() =>
      transport.expectSentUnordered([
        "<presence from='gateway.localhost' id='5'/>",
        "<presence from='gateway.localhost' id='6'/>",
      ]),
    ).toThrow(
      /Not sent:\n<presence from="gateway\.localhost" id="6"\/>[\s\S]*Sent but not expected:\n<presence from="gateway\.localhost" id="4"\/>/,
    );
  });

  it("expectSentUnordered fails when too few were sent", async () => {
    await transport.send(parseXml("<presence id='1'/>"));
    expect(() =>
      transport.expectSentUnordered([
        "<presence from='gateway.localhost' id='1'/>",
        "<presence from='gateway.localhost' id='2'/>",
      ]),
    ).toThrow(/Expected 2 stanza\(s\) in any order; 1 were sent/);
  });

  it("nextSent returns stanzas in order and throws when empty", async () => {
    await transport.send(parseXml("<iq id='a' type='get'/>"));
    expect(transport.nextSent().attrs.id).toBe("a");
    expect(() => transport.nextSent()).toThrow(StanzaAssertionError);
  });

  it("inject delivers to listeners and awaits their async work", async () => {
    const seen: string[] = [];
    transport.onStanza(async (stanza) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      seen.push(stanza.attrs.id ?? "");
      await transport.send(parseXml(`<message id='reply-${stanza.attrs.id}'/>`));
    });
    await transport.inject("<message id='in1' from='alice@localhost/r' to='gateway.localhost'/>");
    expect(seen).toEqual(["in1"]);
    transport.expectSent("<message from='gateway.localhost' id='reply-in1'/>");
  });

  it("inject lets chained promise work settle even when the listener returns nothing", async () => {
    transport.onStanza((stanza) => {
      void Promise.resolve()
        .then(() => Promise.resolve())
        .then(() => transport.send(parseXml(`<presence id='${stanza.attrs.id}'/>`)));
    });
    await transport.inject("<presence id='p1'/>");
    transport.expectSent("<presence from='gateway.localhost' id='p1'/>");
  });

  it("inject waits for fire-and-forget handlers that send more than once", async () => {
    transport.onStanza((stanza) => {
      const work = async () => {
        for (const n of [1, 2, 3]) {
          await new Promise((resolve) => setImmediate(resolve));
          await transport.send(parseXml(`<presence id='${stanza.attrs.id}-${n}'/>`));
        }
      };
      void work();
    });
    await transport.inject("<presence id='p'/>");
    transport.expectSent("<presence from='gateway.localhost' id='p-1'/>");
    transport.expectSent("<presence from='gateway.localhost' id='p-2'/>");
    transport.expectSent("<presence from='gateway.localhost' id='p-3'/>");
  });

  it("inject refuses while the stream is down", async () => {
    transport.goOffline();
    await expect(transport.inject("<presence/>")).rejects.toThrow(/reconnecting/);
  });

  it("removing a listener stops delivery", async () => {
    let calls = 0;
    const remove = transport.onStanza(() => {
      calls++;
    });
    await transport.inject("<presence/>");
    remove();
    await transport.inject("<presence/>");
    expect(calls).toBe(1);
  });

  it("waitForSent resolves when a matching stanza is written later, and times out with a listing", async () => {
    setTimeout(() => void transport.send(parseXml("<message id='late'/>")), 10);
    const found = await transport.waitForSent((stanza) => stanza.attrs.id === "late", 1000);
    expect(found.attrs.id).toBe("late");
    transport.expectNothingSent();

    await transport.send(parseXml("<message id='other'/>"));
    await expect(transport.waitForSent((stanza) => stanza.attrs.id === "never", 30)).rejects.toThrow(
      /No sent stanza matched within 30 ms[\s\S]*id="other"/,
    );
  });

  it("holds stanzas while offline and writes them in order on goOnline", async () => {
    const statuses: TransportStatus[] = [];
    transport.onStatus((status) => statuses.push(status));
    transport.goOffline();
    let firstWritten = false;
    const first = transport.send(parseXml("<presence id='1'/>")).then(() => {
      firstWritten = true;
    });
    const second = transport.send(parseXml("<presence id='2'/>"));
    await Promise.resolve();
    expect(firstWritten).toBe(false);
    transport.expectNothingSent();

    transport.goOnline();
    await Promise.all([first, second]);
    transport.expectSent("<presence from='gateway.localhost' id='1'/>");
    transport.expectSent("<presence from='gateway.localhost' id='2'/>");
    expect(statuses).toEqual(["reconnecting", "online"]);
  });

  it("stop drops held stanzas and refuses new ones", async () => {
    transport.goOffline();
    const held = transport.send(parseXml("<presence id='held'/>"));
    await transport.stop();
    await expect(held).rejects.toThrow(/stopped/);
    await expect(transport.send(parseXml("<presence/>"))).rejects.toThrow(/stopped/);
    expect(transport.status).toBe("offline");
    transport.expectNothingSent();
  });

  it("reports status changes through start and stop", async () => {
    const fresh = new MemoryTransport({ domain: "irc.localhost" });
    const statuses: TransportStatus[] = [];
    fresh.onStatus((status) => statuses.push(status));
    expect(fresh.status).toBe("offline");
    await fresh.start();
    await fresh.stop();
    expect(statuses).toEqual(["connecting", "online", "stopping", "offline"]);
    expect(fresh.domain).toBe("irc.localhost");
  });
});

describe("sequentialIds", () => {
  it("counts from 1 per generator", () => {
    const next = sequentialIds();
    expect([next(), next(), next()]).toEqual(["id1", "id2", "id3"]);
    expect(sequentialIds("gw-")()).toBe("gw-1");
  });
});
