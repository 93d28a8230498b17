import { describe, expect, it } from "vitest";
import { parseXml, xml } from "./element.js";
import { DEFAULT_ERROR_TYPES, errorReply, isStanzaErrorCondition, toXmppError, XmppError } from "./errors.js";

describe("XmppError", () => {
  it.each([
    ["not-authorized", "auth"],
    ["registration-required", "auth"],
    ["forbidden", "auth"],
    ["not-acceptable", "modify"],
    ["bad-request", "modify"],
    ["jid-malformed", "modify"],
    ["policy-violation", "modify"],
    ["item-not-found", "cancel"],
    ["service-unavailable", "cancel"],
    ["feature-not-implemented", "cancel"],
    ["not-allowed", "cancel"],
    ["conflict", "cancel"],
    ["internal-server-error", "wait"],
    ["remote-server-timeout", "wait"],
    ["recipient-unavailable", "wait"],
    ["resource-constraint", "wait"],
  ] as const)("%s defaults to type %s", (condition, type) => {
    expect(new XmppError(condition).type).toBe(type);
    expect(DEFAULT_ERROR_TYPES[condition]).toBe(type);
  });

  it("lets the type be overridden", () => {
    expect(new XmppError("not-acceptable", undefined, { type: "cancel" }).type).toBe("cancel");
  });

  it("serializes to an RFC 6120 <error/> with text and application condition", () => {
    const error = new XmppError("not-acceptable", "Bad code", {
      applicationCondition: xml("bad-code", { xmlns: "urn:app" }),
    });
    expect(error.toElement().toString()).toBe(
      '<error type="modify"><not-acceptable xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">Bad code</text><bad-code xmlns="urn:app"/></error>',
    );
    expect(new XmppError("conflict").toElement().toString()).toBe(
      '<error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error>',
    );
  });

  it("is an Error whose message names the condition", () => {
    const error = new XmppError("forbidden", "No.");
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toBe("forbidden: No.");
    expect(error.name).toBe("XmppError");
  });

  it("reads an error stanza back (fromStanza)", () => {
    const stanza = parseXml(
      "<iq type='error' id='1' from='a@b'><query xmlns='q'/><error type='auth' by='b'>" +
        "<registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>" +
        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Register first</text><why xmlns='urn:app'/></error></iq>",
    );
    const error = XmppError.fromStanza(stanza);
    expect(error.condition).toBe("registration-required");
    expect(error.type).toBe("auth");
    expect(error.text).toBe("Register first");
    expect(error.by).toBe("b");
    expect(error.applicationCondition?.name).toBe("why");
  });

  it("maps unknown or missing conditions to undefined-condition", () => {
    expect(XmppError.fromStanza(parseXml("<message type='error'/>")).condition).toBe("undefined-condition");
    const odd = parseXml(
      "<message type='error'><error type='weird'><made-up xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
    );
    const error = XmppError.fromStanza(odd);
    expect(error.condition).toBe("undefined-condition");
    expect(error.type).toBe("cancel");
  });

  it("recognizes condition names", () => {
    expect(isStanzaErrorCondition("item-not-found")).toBe(true);
    expect(isStanzaErrorCondition("toString")).toBe(false);
  });
});

describe("errorReply", () => {
  it("swaps addresses, keeps the id, and does not echo the payload", () => {
    const request = parseXml(
      "<iq type='set' id='r1' from='u@h/r' to='gw.h'><query xmlns='jabber:iq:register'><password>x</password></query></iq>",
    );
    const reply = errorReply(request, new XmppError("not-allowed", "Nope"));
    expect(reply.toString()).toBe(
      '<iq from="gw.h" to="u@h/r" id="r1" type="error"><error type="cancel">' +
        '<not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>' +
        '<text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">Nope</text></error></iq>',
    );
  });

  it("includes an explicit payload before the error", () => {
    const request = parseXml(
      "<iq type='set' id='r1' from='u@h/r' to='gw.h'><query xmlns='jabber:iq:register'/></iq>",
    );
    const reply = errorReply(
      request,
      new XmppError("conflict"),
      xml("query", { xmlns: "jabber:iq:register" }),
    );
    expect(reply.getChildElements().map((child) => child.name)).toEqual(["query", "error"]);
  });

  it("answers messages and presences with the same stanza kind", () => {
    const msg = parseXml(
      "<message from='u@h/r' to='c@gw.h' type='chat' id='m'><body>secret</body></message>",
    );
    const reply = errorReply(msg, new XmppError("recipient-unavailable"));
    expect(reply.name).toBe("message");
    expect(reply.attrs).toEqual({ from: "c@gw.h", to: "u@h/r", id: "m", type: "error" });
    expect(reply.toString()).not.toContain("secret");
    expect(errorReply(parseXml("<presence from='u@h' to='gw.h'/>"), new XmppError("forbidden")).name).toBe(
      "presence",
    );
  });
});

describe("toXmppError", () => {
  it("passes XmppError through", () => {
    const error = new XmppError("item-not-found");
    expect(toXmppError(error)).toBe(error);
  });

  it("turns anything else into a generic internal-server-error that leaks nothing", () => {
    const thrown = new Error("password=hunter2 at /srv/app.js:1");
    const error = toXmppError(thrown);
    expect(error.condition).toBe("internal-server-error");
    expect(error.type).toBe("wait");
    expect(error.cause).toBe(thrown);
    expect(error.toElement().toString()).not.toMatch(/hunter2|app\.js/);
    expect(toXmppError("a string").condition).toBe("internal-server-error");
  });

  it("gives a failure that says what to tell the user its condition, type and text", () => {
    const thrown = Object.assign(new Error("postgres at db:5432 is unavailable: ECONNREFUSED"), {
      xmppCondition: "service-unavailable",
      xmppErrorType: "wait",
      userText: "The database is down; try again in a minute.",
    });
    const error = toXmppError(thrown);
    expect([error.condition, error.type, error.text]).toEqual([
      "service-unavailable",
      "wait",
      "The database is down; try again in a minute.",
    ]);
    expect(error.cause).toBe(thrown);
    expect(error.toElement().toString()).not.toMatch(/ECONNREFUSED|5432/);
  });

  it("ignores a hint whose condition is not a stanza error condition", () => {
    const thrown = Object.assign(new Error("x"), { xmppCondition: "on-fire", userText: "t" });
    expect(toXmppError(thrown).condition).toBe("internal-server-error");
  });
});
