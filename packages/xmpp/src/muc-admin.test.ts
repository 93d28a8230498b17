import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import { mucAdminList, parseMucAdminRequest } from "./muc-admin.js";

const iq = (type: "get" | "set", items: string) =>
  parseXml(
    `<iq from='romeo@example.org/phone' to='lobby@gw.example' type='${type}' id='a1'>` +
      `<query xmlns='http://jabber.org/protocol/muc#admin'>${items}</query></iq>`,
  );

function refusal(run: () => unknown): XmppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XmppError);
    return error as XmppError;
  }
  throw new Error("expected an XmppError");
}

describe("parseMucAdminRequest", () => {
  it("reads a kick (role none by nick) with its reason", () => {
    expect(parseMucAdminRequest(iq("set", "<item nick='bob' role='none'><reason> spam </reason></item>"))).toEqual(
      { kind: "change", changes: [{ nick: "bob", role: "none", reason: "spam" }] },
    );
  });

  it("reads several changes, by nick and by JID", () => {
    const request = parseMucAdminRequest(
      iq("set", "<item nick='bob' role='visitor'/><item jid='eve@example.org' affiliation='outcast'/>"),
    );
    expect(request).toEqual({
      kind: "change",
      changes: [
        { nick: "bob", role: "visitor" },
        { jid: "eve@example.org", affiliation: "outcast" },
      ],
    });
  });

  it("reads list requests by role or affiliation", () => {
    expect(parseMucAdminRequest(iq("get", "<item role='moderator'/>"))).toEqual({
      kind: "list",
      role: "moderator",
    });
    expect(parseMucAdminRequest(iq("get", "<item affiliation='member'/>"))).toEqual({
      kind: "list",
      affiliation: "member",
    });
  });

  it("refuses what XEP-0045 does not define, quoting nothing", () => {
    const cases = [
      iq("set", ""),
      iq("set", "<item role='none'/>"),
      iq("set", "<item nick='bob'/>"),
      iq("set", "<item nick='bob' role='king&lt;script&gt;'/>"),
      iq("set", "<item nick='bob' affiliation='friend'/>"),
      iq("get", "<item/>"),
      iq("get", "<item role='moderator' affiliation='owner'/>"),
      parseXml("<iq type='set'><query xmlns='other'/></iq>"),
    ];
    for (const stanza of cases) {
      const error = refusal(() => parseMucAdminRequest(stanza));
      expect(error.condition).toBe("bad-request");
      expect(error.text).not.toContain("king");
      expect(error.text).not.toContain("friend");
    }
  });
});

describe("mucAdminList", () => {
  it("writes one item per occupant, leaving out what is unknown", () => {
    const query = mucAdminList([
      { nick: "alice", role: "moderator", affiliation: "admin", jid: "alice@gw.example" },
      { nick: "bob", role: "moderator" },
    ]);
    expect(query.attrs.xmlns).toBe("http://jabber.org/protocol/muc#admin");
    expect(query.getChildren("item").map((item) => item.attrs)).toEqual([
      { affiliation: "admin", role: "moderator", nick: "alice", jid: "alice@gw.example" },
      { role: "moderator", nick: "bob" },
    ]);
  });
});
