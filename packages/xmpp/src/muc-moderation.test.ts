import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import { buildModeratedRetraction, parseModerationRequest } from "./muc-moderation.js";

const ROOM = "lobby@gw.example";
const USER = "romeo@example.org/phone";

function refusal(run: () => unknown): XmppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XmppError);
    return error as XmppError;
  }
  throw new Error("expected an XmppError");
}

const iq = (payload: string) =>
  parseXml(`<iq from='${USER}' to='${ROOM}' type='set' id='mod1'>${payload}</iq>`);

describe("parseModerationRequest", () => {
  it("reads the XEP-0425 0.3 request, from the IQ or its payload", () => {
    const request = iq(
      "<moderate xmlns='urn:xmpp:message-moderate:1' id='s1'><retract xmlns='urn:xmpp:message-retract:1'/>" +
        "<reason> Spam </reason></moderate>",
    );
    expect(parseModerationRequest(request)).toEqual({ id: "s1", reason: "Spam" });
    const payload = request.getChildElements()[0];
    expect(payload && parseModerationRequest(payload)).toEqual({ id: "s1", reason: "Spam" });
  });

  it("reads the 0.2 fastening form and a request without reason", () => {
    expect(
      parseModerationRequest(
        iq(
          "<apply-to xmlns='urn:xmpp:fasten:0' id='s2'><moderate xmlns='urn:xmpp:message-moderate:0'>" +
            "<retract xmlns='urn:xmpp:message-retract:0'/></moderate></apply-to>",
        ),
      ),
    ).toEqual({ id: "s2" });
    expect(
      parseModerationRequest(
        iq(
          "<moderate xmlns='urn:xmpp:message-moderate:1' id='s3'><retract xmlns='urn:xmpp:message-retract:1'/><reason/></moderate>",
        ),
      ),
    ).toEqual({ id: "s3" });
  });

  it("refuses requests without id, without retraction or of another kind with bad-request", () => {
    for (const payload of [
      "<moderate xmlns='urn:xmpp:message-moderate:1'><retract xmlns='urn:xmpp:message-retract:1'/></moderate>",
      "<moderate xmlns='urn:xmpp:message-moderate:1' id=''><retract xmlns='urn:xmpp:message-retract:1'/></moderate>",
      "<moderate xmlns='urn:xmpp:message-moderate:1' id='s1'><reason>SECRET</reason></moderate>",
      "<moderate xmlns='urn:xmpp:message-moderate:1' id='s1'><retract xmlns='urn:xmpp:message-retract:0'/></moderate>",
      "<apply-to xmlns='urn:xmpp:fasten:0' id='s1'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to>",
      "<apply-to xmlns='urn:xmpp:fasten:0'><moderate xmlns='urn:xmpp:message-moderate:0'><retract xmlns='urn:xmpp:message-retract:0'/></moderate></apply-to>",
      "<query xmlns='urn:example'/>",
      "",
    ]) {
      const error = refusal(() => parseModerationRequest(iq(payload)));
      expect(error.condition, payload).toBe("bad-request");
      expect(error.text).not.toContain("SECRET");
    }
  });
});

describe("buildModeratedRetraction", () => {
  it("carries both XEP-0425 forms, the moderator's occupant id and the reason", () => {
    expect(
      buildModeratedRetraction({
        room: ROOM,
        to: USER,
        id: "x1",
        retractedId: "s1",
        moderatorNick: "alice",
        moderatorOccupantId: "o1",
        reason: "spam",
        stanzaId: "s2",
      }).toString(),
    ).toBe(
      `<message from="${ROOM}" to="${USER}" type="groupchat" id="x1">` +
        '<retract xmlns="urn:xmpp:message-retract:1" id="s1">' +
        `<moderated xmlns="urn:xmpp:message-moderate:1" by="${ROOM}/alice">` +
        '<occupant-id xmlns="urn:xmpp:occupant-id:0" id="o1"/></moderated><reason>spam</reason></retract>' +
        '<apply-to xmlns="urn:xmpp:fasten:0" id="s1">' +
        `<moderated xmlns="urn:xmpp:message-moderate:0" by="${ROOM}/alice">` +
        '<retract xmlns="urn:xmpp:message-retract:0"/><reason>spam</reason></moderated></apply-to>' +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="s2" by="${ROOM}"/></message>`,
    );
  });

  it("names the room as moderator and leaves out an empty reason when unknown", () => {
    expect(
      buildModeratedRetraction({
        room: ROOM,
        to: USER,
        id: "x2",
        retractedId: "s1",
        reason: " \u0000",
      }).toString(),
    ).toBe(
      `<message from="${ROOM}" to="${USER}" type="groupchat" id="x2">` +
        `<retract xmlns="urn:xmpp:message-retract:1" id="s1"><moderated xmlns="urn:xmpp:message-moderate:1" by="${ROOM}"/></retract>` +
        `<apply-to xmlns="urn:xmpp:fasten:0" id="s1"><moderated xmlns="urn:xmpp:message-moderate:0" by="${ROOM}">` +
        '<retract xmlns="urn:xmpp:message-retract:0"/></moderated></apply-to></message>',
    );
  });
});
