import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { NS_ROSTER, parseRosterItems, rosterGetIq, rosterSetIq, sameRosterItem } from "./roster.js";

describe("rosterGetIq", () => {
  it("asks for the whole roster", () => {
    expect(rosterGetIq("romeo@example.net").toString()).toBe(
      '<iq type="get" to="romeo@example.net"><query xmlns="jabber:iq:roster"/></iq>',
    );
  });
});

describe("rosterSetIq", () => {
  it("writes one item with name, subscription and groups", () => {
    expect(
      rosterSetIq("romeo@example.net", {
        jid: "alice@gw.example",
        name: "Alice <3",
        subscription: "both",
        groups: ["Gateway", "Friends"],
      }).toString(),
    ).toBe(
      '<iq type="set" to="romeo@example.net"><query xmlns="jabber:iq:roster">' +
        '<item jid="alice@gw.example" name="Alice &lt;3" subscription="both">' +
        "<group>Gateway</group><group>Friends</group></item></query></iq>",
    );
  });

  it("removes an item with nothing but its JID and subscription remove", () => {
    expect(
      rosterSetIq("romeo@example.net", {
        jid: "bob@gw.example",
        subscription: "remove",
        groups: [],
      }).toString(),
    ).toBe(
      '<iq type="set" to="romeo@example.net"><query xmlns="jabber:iq:roster">' +
        '<item jid="bob@gw.example" subscription="remove"/></query></iq>',
    );
  });

  it("cleans legacy text, leaves out an empty name and drops empty groups", () => {
    expect(
      rosterSetIq("romeo@example.net", {
        jid: "c@gw.example",
        name: "",
        groups: ["\u0001", "G\u0000"],
      }).toString(),
    ).toBe(
      '<iq type="set" to="romeo@example.net"><query xmlns="jabber:iq:roster">' +
        '<item jid="c@gw.example"><group>G</group></item></query></iq>',
    );
  });

  it("refuses a subscription RFC 6121 does not define", () => {
    expect(() =>
      rosterSetIq("romeo@example.net", {
        jid: "c@gw.example",
        subscription: "pending" as "none",
        groups: [],
      }),
    ).toThrow(RangeError);
  });
});

describe("parseRosterItems", () => {
  it("reads the items in order, with name, subscription and groups", () => {
    const result = parseXml(`<iq type="result" id="r1" to="gw.example"><query xmlns="${NS_ROSTER}" ver="v1">
      <item jid="alice@gw.example" name="Alice" subscription="both"><group>Gateway</group><group>Friends</group></item>
      <item jid="juliet@example.com" subscription="none" ask="subscribe"/>
    </query></iq>`);
    expect(parseRosterItems(result)).toEqual([
      { jid: "alice@gw.example", name: "Alice", subscription: "both", groups: ["Gateway", "Friends"] },
      { jid: "juliet@example.com", subscription: "none", groups: [] },
    ]);
  });

  it("reads what rosterSetIq writes", () => {
    const item = { jid: "alice@gw.example", name: "Alice", subscription: "from" as const, groups: ["G"] };
    expect(parseRosterItems(rosterSetIq("romeo@example.net", item))).toEqual([item]);
  });

  it("has no items for an empty result, another namespace, or items it cannot use", () => {
    expect(parseRosterItems(parseXml('<iq type="result" id="r1"/>'))).toEqual([]);
    expect(
      parseRosterItems(
        parseXml('<iq type="result"><query xmlns="urn:example"><item jid="a@b"/></query></iq>'),
      ),
    ).toEqual([]);
    const odd = parseXml(`<iq type="result"><query xmlns="${NS_ROSTER}">
      <item name="no jid"/><item jid=""/>
      <item jid="a@gw.example" subscription="everything"><group/><group>G</group></item>
    </query></iq>`);
    expect(parseRosterItems(odd)).toEqual([{ jid: "a@gw.example", groups: ["G"] }]);
  });
});

describe("sameRosterItem", () => {
  const wanted = { jid: "a@gw.example", name: "Alice", subscription: "both" as const, groups: ["Gateway"] };

  it("matches an item read back after setting it, groups in any order", () => {
    expect(sameRosterItem(parseRosterItems(rosterSetIq("r@example.net", wanted))[0]!, wanted)).toBe(true);
    const two = { ...wanted, groups: ["A", "B"] };
    expect(sameRosterItem({ ...two, groups: ["B", "A"] }, two)).toBe(true);
    expect(sameRosterItem({ ...wanted, groups: ["Gateway", "Gateway"] }, wanted)).toBe(true);
  });

  it("compares names and groups as they are written: cleaned, empty ones absent", () => {
    const odd = { ...wanted, name: "Al\u0007ice", groups: ["Gateway", ""] };
    expect(sameRosterItem(parseRosterItems(rosterSetIq("r@example.net", odd))[0]!, odd)).toBe(true);
    expect(sameRosterItem({ ...wanted, name: undefined }, { ...wanted, name: "" })).toBe(true);
  });

  it("tells apart a different JID, name, subscription or group set", () => {
    expect(sameRosterItem({ ...wanted, jid: "b@gw.example" }, wanted)).toBe(false);
    expect(sameRosterItem({ ...wanted, name: "Alicia" }, wanted)).toBe(false);
    expect(sameRosterItem({ ...wanted, name: undefined }, wanted)).toBe(false);
    expect(sameRosterItem({ ...wanted, subscription: "to" }, wanted)).toBe(false);
    expect(sameRosterItem({ ...wanted, subscription: undefined }, wanted)).toBe(false);
    expect(sameRosterItem({ ...wanted, groups: ["Gateway", "Other"] }, wanted)).toBe(false);
    expect(sameRosterItem({ ...wanted, groups: [] }, wanted)).toBe(false);
  });
});
