import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import { buildMention, jidFromXmppUri, parseMentions, xmppUri } from "./references.js";

function stanza(children: string, body = "hello bob"): ReturnType<typeof parseXml> {
  return parseXml(
    `<message type='groupchat' to='lobby@gw.example'><body>${body}</body>${children}</message>`,
  );
}

function refusal(run: () => unknown): XmppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XmppError);
    return error as XmppError;
  }
  throw new Error("expected an XmppError");
}

describe("XEP-0372 mentions", () => {
  it("builds a mention of an occupant, percent-encoding the nick", () => {
    expect(buildMention({ jid: "lobby@gw.example/bob smith", begin: 6, end: 15 }).toString()).toBe(
      '<reference xmlns="urn:xmpp:reference:0" type="mention" begin="6" end="15" uri="xmpp:lobby@gw.example/bob%20smith"/>',
    );
    expect(buildMention({ jid: "u@example.org" }).toString()).toBe(
      '<reference xmlns="urn:xmpp:reference:0" type="mention" uri="xmpp:u@example.org"/>',
    );
  });

  it("refuses ranges that cannot be written", () => {
    expect(() => buildMention({ jid: "u@h", begin: 1 })).toThrow(RangeError);
    expect(() => buildMention({ jid: "u@h", begin: 3, end: 2 })).toThrow(RangeError);
    expect(() => buildMention({ jid: "u@h", begin: -1, end: 2 })).toThrow(RangeError);
    expect(() => buildMention({ jid: "u@h", begin: 0.5, end: 2 })).toThrow(RangeError);
  });

  it("round-trips JIDs with escaped localparts and odd nicks through xmpp: URIs", () => {
    for (const jid of ["a\\20b@gw.example/x", "lobby@gw.example/#?/é", "gw.example", "u@h"]) {
      expect(jidFromXmppUri(xmppUri(jid))).toBe(jid);
    }
    expect(jidFromXmppUri("xmpp:u@h?join")).toBe("u@h");
    expect(jidFromXmppUri("https://example.org")).toBeUndefined();
    expect(jidFromXmppUri("xmpp://me@h/u@h")).toBeUndefined();
    expect(jidFromXmppUri("xmpp:%E0%A4%A")).toBeUndefined();
    expect(jidFromXmppUri("xmpp:@h")).toBeUndefined();
  });

  it("reads mentions in order, skipping other reference types", () => {
    const mentions = parseMentions(
      stanza(
        "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='6' end='9' uri='xmpp:lobby@gw.example/bob'/>" +
          "<reference xmlns='urn:xmpp:reference:0' type='data' uri='https://example.org'/>" +
          "<reference xmlns='urn:xmpp:reference:0' type='mention' uri='xmpp:U@Example.org'/>",
      ),
    );
    expect(mentions).toEqual([{ jid: "lobby@gw.example/bob", begin: 6, end: 9 }, { jid: "u@example.org" }]);
  });

  it("counts offsets in code points", () => {
    const mentions = parseMentions(
      stanza(
        "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='2' end='5' uri='xmpp:l@gw/bob'/>",
        "😀 bob",
      ),
    );
    expect(mentions).toEqual([{ jid: "l@gw/bob", begin: 2, end: 5 }]);
  });

  it("refuses malformed mentions with bad-request, quoting nothing", () => {
    const cases = [
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='3'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' uri='https://evil.example/SECRET'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' uri='xmpp:u@h'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='x' end='3' uri='xmpp:u@h'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='5' end='3' uri='xmpp:u@h'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='99' uri='xmpp:u@h'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='-1' end='3' uri='xmpp:u@h'/>",
      "<reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='99999999999999999999' uri='xmpp:u@h'/>",
    ];
    for (const children of cases) {
      const error = refusal(() => parseMentions(stanza(children)));
      expect(error.condition, children).toBe("bad-request");
      expect(error.text).not.toContain("SECRET");
    }
  });

  it("bounds ranges by an empty body when there is none", () => {
    const message = parseXml(
      "<message><reference xmlns='urn:xmpp:reference:0' type='mention' begin='0' end='1' uri='xmpp:u@h'/></message>",
    );
    expect(refusal(() => parseMentions(message)).condition).toBe("bad-request");
  });
});

describe("xmppUri", () => {
  it("refuses a JID XML cannot carry instead of throwing URIError", () => {
    expect(() => xmppUri("lobby@gw.example/a\ud800")).toThrow(RangeError);
  });
});
