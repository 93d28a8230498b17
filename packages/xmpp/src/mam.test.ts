import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { XmppError } from "./errors.js";
import {
  mamFin,
  mamItemNotFound,
  mamMetadata,
  mamQueryForm,
  mamResultMessage,
  parseMamQuery,
} from "./mam.js";

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

function query(inner: string, attrs = "queryid='q1'"): ReturnType<typeof parseXml> {
  return parseXml(
    `<iq from='${USER}' to='${ROOM}' type='set' id='i1'><query xmlns='urn:xmpp:mam:2' ${attrs}>${inner}</query></iq>`,
  );
}

function form(fields: string, type = "submit", formType = "urn:xmpp:mam:2"): string {
  return (
    `<x xmlns='jabber:x:data' type='${type}'><field var='FORM_TYPE' type='hidden'><value>${formType}</value></field>` +
    `${fields}</x>`
  );
}

const field = (name: string, ...values: string[]) =>
  `<field var='${name}'>${values.map((value) => `<value>${value}</value>`).join("")}</field>`;

describe("parseMamQuery", () => {
  it("reads every filter, RSM and flip-page", () => {
    const parsed = parseMamQuery(
      query(
        form(
          field("start", "2026-01-01T00:00:00Z") +
            field("end", "2026-01-02T00:00:00+01:00") +
            field("with", `${ROOM}/Alice`) +
            field("before-id", "b9") +
            field("after-id", "a1"),
        ) +
          "<set xmlns='http://jabber.org/protocol/rsm'><max>10</max><before>x5</before><index>3</index></set><flip-page/>",
      ),
    );
    expect(parsed).toEqual({
      queryId: "q1",
      start: new Date("2026-01-01T00:00:00Z"),
      end: new Date("2026-01-01T23:00:00Z"),
      with: `${ROOM}/Alice`,
      beforeId: "b9",
      afterId: "a1",
      max: 10,
      before: "x5",
      index: 3,
      flipPage: true,
    });
    expect(Object.isFrozen(parsed)).toBe(true);
  });

  it("reads an empty query, ids, an empty <before/> (last page) and <after/>", () => {
    expect(parseMamQuery(query("", ""))).toEqual({ flipPage: false });
    const payload = query("").getChild("query");
    expect(payload && parseMamQuery(payload)).toEqual({ queryId: "q1", flipPage: false });
    expect(parseMamQuery(query(form(field("ids", "a", "b", "")), ""))).toEqual({
      ids: ["a", "b"],
      flipPage: false,
    });
    expect(parseMamQuery(query(form(field("ids", "a")), ""))).toEqual({ ids: ["a"], flipPage: false });
    expect(
      parseMamQuery(query("<set xmlns='http://jabber.org/protocol/rsm'><max>0</max><before/></set>", "")),
    ).toEqual({ max: 0, before: "", flipPage: false });
    expect(
      parseMamQuery(query("<set xmlns='http://jabber.org/protocol/rsm'><after>z</after></set>", "")),
    ).toEqual({
      after: "z",
      flipPage: false,
    });
    // A form without FORM_TYPE and empty values are tolerated: they filter nothing.
    expect(
      parseMamQuery(
        query("<x xmlns='jabber:x:data' type='submit'><field var='start'><value/></field></x>", ""),
      ),
    ).toEqual({
      flipPage: false,
    });
  });

  it("refuses malformed queries with the XEP's condition, quoting nothing", () => {
    const cases: [string, string][] = [
      [form(field("start", "SECRET")), "bad-request"],
      [form(field("end", "2026-13-01T00:00:00Z")), "bad-request"],
      [form(field("with", "a@b@SECRET")), "jid-malformed"],
      [form(field("withtext", "SECRET")), "feature-not-implemented"],
      [form(field("include-groupchat", "true")), "feature-not-implemented"],
      [form(field("start", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z")), "bad-request"],
      [form("", "form"), "bad-request"],
      [form("", "submit", "urn:xmpp:mam:1"), "bad-request"],
      ["<x xmlns='jabber:x:data' type='SECRET'/>", "bad-request"],
      ["<set xmlns='http://jabber.org/protocol/rsm'><max>-1</max></set>", "bad-request"],
      ["<set xmlns='http://jabber.org/protocol/rsm'><max>SECRET</max></set>", "bad-request"],
      ["<set xmlns='http://jabber.org/protocol/rsm'><max>99999999999999999999</max></set>", "bad-request"],
      ["<set xmlns='http://jabber.org/protocol/rsm'><index>1.5</index></set>", "bad-request"],
      ["<set xmlns='http://jabber.org/protocol/rsm'><after/></set>", "bad-request"],
    ];
    for (const [inner, condition] of cases) {
      const error = refusal(() => parseMamQuery(query(inner)));
      expect(error.condition, inner).toBe(condition);
      expect(error.text).not.toContain("SECRET");
    }
    expect(
      refusal(() => parseMamQuery(parseXml("<iq type='set'><query xmlns='urn:xmpp:mam:1'/></iq>"))).condition,
    ).toBe("bad-request");
    expect(refusal(() => parseMamQuery(parseXml("<iq type='set'/>"))).condition).toBe("bad-request");
  });
});

describe("MAM answers", () => {
  it("forwards an archived message with its delay, as jabber:client", () => {
    const archived = parseXml(
      `<message xmlns='jabber:component:accept' from='${ROOM}/alice' type='groupchat' id='m1'><body>hi</body>` +
        `<stanza-id xmlns='urn:xmpp:sid:0' id='s1' by='${ROOM}'/></message>`,
    );
    expect(
      mamResultMessage({
        from: ROOM,
        to: USER,
        queryId: "q1",
        id: "s1",
        stamp: new Date("2026-01-02T03:04:05Z"),
        message: archived,
      }).toString(),
    ).toBe(
      `<message from="${ROOM}" to="${USER}"><result xmlns="urn:xmpp:mam:2" queryid="q1" id="s1">` +
        '<forwarded xmlns="urn:xmpp:forward:0"><delay xmlns="urn:xmpp:delay" stamp="2026-01-02T03:04:05Z"/>' +
        `<message xmlns="jabber:client" from="${ROOM}/alice" type="groupchat" id="m1"><body>hi</body>` +
        `<stanza-id xmlns="urn:xmpp:sid:0" id="s1" by="${ROOM}"/></message></forwarded></result></message>`,
    );
    // The archived element is copied, not moved or changed.
    expect(archived.attrs.xmlns).toBe("jabber:component:accept");
    expect(archived.getChildren("body")).toHaveLength(1);
    expect(() =>
      mamResultMessage({
        from: ROOM,
        to: USER,
        id: "s1",
        stamp: new Date(),
        message: parseXml("<presence/>"),
      }),
    ).toThrow(RangeError);
  });

  it("ends a page with <fin/> and RSM first/last/count", () => {
    expect(mamFin({ complete: true, first: "a", last: "b", firstIndex: 0, count: 2 }).toString()).toBe(
      '<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm">' +
        '<first index="0">a</first><last>b</last><count>2</count></set></fin>',
    );
    expect(mamFin({ complete: false }).toString()).toBe(
      '<fin xmlns="urn:xmpp:mam:2"><set xmlns="http://jabber.org/protocol/rsm"/></fin>',
    );
    expect(mamFin({ complete: true, count: 0 }).toString()).toBe(
      '<fin xmlns="urn:xmpp:mam:2" complete="true"><set xmlns="http://jabber.org/protocol/rsm"><count>0</count></set></fin>',
    );
    expect(() => mamFin({ complete: true, first: "a" })).toThrow(RangeError);
  });

  it("answers the metadata query, also for an empty archive", () => {
    expect(
      mamMetadata({
        start: { id: "a", stamp: new Date(0) },
        end: { id: "b", stamp: new Date(1500) },
      }).toString(),
    ).toBe(
      '<metadata xmlns="urn:xmpp:mam:2"><start id="a" timestamp="1970-01-01T00:00:00Z"/>' +
        '<end id="b" timestamp="1970-01-01T00:00:01.500Z"/></metadata>',
    );
    expect(mamMetadata().toString()).toBe('<metadata xmlns="urn:xmpp:mam:2"/>');
  });

  it("describes the query form", () => {
    expect(mamQueryForm().toString()).toBe(
      '<query xmlns="urn:xmpp:mam:2"><x xmlns="jabber:x:data" type="form">' +
        '<field var="FORM_TYPE" type="hidden"><value>urn:xmpp:mam:2</value></field>' +
        '<field var="with" type="jid-single"/><field var="start" type="text-single"/>' +
        '<field var="end" type="text-single"/><field var="before-id" type="text-single"/>' +
        '<field var="after-id" type="text-single"/><field var="ids" type="list-multi">' +
        '<validate xmlns="http://jabber.org/protocol/xdata-validate" datatype="xs:string"><open/></validate></field>' +
        "</x></query>",
    );
  });

  it("names the RSM / extended id error", () => {
    const error = mamItemNotFound();
    expect([error.condition, error.type]).toEqual(["item-not-found", "cancel"]);
  });
});
