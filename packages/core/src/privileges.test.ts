import { type Privileges, parsePrivilegeAdvertisement, parseXml } from "@gangway/xmpp";
import { describe, expect, it } from "vitest";
import { canReadRoster, canSendIqAs, canWriteRoster, describeMissingPrivileges } from "./privileges.js";

// Reading advertisements is tested in @gangway/xmpp (privilege.test.ts); this is the core's policy.

const NONE: Privileges = {
  namespace: "urn:xmpp:privilege:2",
  server: "localhost",
  roster: "none",
  message: "none",
  presence: "none",
  iq: {},
};

describe("roster privileges", () => {
  it("reads with get or both, writes with set or both", () => {
    const roster = (grant: Privileges["roster"]) => ({ ...NONE, roster: grant });
    expect([canReadRoster(roster("get")), canWriteRoster(roster("get"))]).toEqual([true, false]);
    expect([canReadRoster(roster("set")), canWriteRoster(roster("set"))]).toEqual([false, true]);
    expect([canReadRoster(roster("both")), canWriteRoster(roster("both"))]).toEqual([true, true]);
    expect([canReadRoster(NONE), canWriteRoster(NONE)]).toEqual([false, false]);
    expect([canReadRoster(undefined), canWriteRoster(undefined)]).toEqual([false, false]);
  });
});

describe("canSendIqAs", () => {
  const p: Privileges = {
    ...NONE,
    iq: Object.fromEntries([
      ["urn:xmpp:http:upload:0", "get"],
      ["http://jabber.org/protocol/pubsub", "both"],
      ["jabber:iq:private", "set"],
      ["__proto__", "get"],
    ]),
  };

  it("allows exactly the granted IQ types per namespace", () => {
    expect(canSendIqAs(p, "urn:xmpp:http:upload:0", "get")).toBe(true);
    expect(canSendIqAs(p, "urn:xmpp:http:upload:0", "set")).toBe(false);
    expect(canSendIqAs(p, "http://jabber.org/protocol/pubsub", "set")).toBe(true);
    expect(canSendIqAs(p, "jabber:iq:private", "get")).toBe(false);
    expect(canSendIqAs(p, "jabber:iq:roster", "get")).toBe(false);
    expect(canSendIqAs(p, "__proto__", "get")).toBe(true);
  });

  it("takes no inherited property for a grant, and nothing without privileges", () => {
    expect(canSendIqAs(p, "toString", "get")).toBe(false);
    expect(canSendIqAs(NONE, "urn:xmpp:http:upload:0", "get")).toBe(false);
    expect(canSendIqAs(undefined, "urn:xmpp:http:upload:0", "get")).toBe(false);
  });
});

describe("describeMissingPrivileges", () => {
  it("names nothing when roster set and outgoing messages are granted, whatever the IQ grants", () => {
    expect(describeMissingPrivileges({ ...NONE, roster: "both", message: "outgoing" })).toEqual([]);
    expect(
      describeMissingPrivileges({ ...NONE, roster: "set", message: "outgoing", presence: "none" }),
    ).toEqual([]);
  });

  it("names what is missing and what it costs", () => {
    const missing = describeMissingPrivileges({ ...NONE, roster: "get", message: "outgoing" });
    expect(missing).toEqual([
      "roster (set): contacts are offered as subscription requests instead of appearing in rosters",
    ]);
    expect(describeMissingPrivileges(NONE)).toHaveLength(2);
    expect(describeMissingPrivileges(undefined)).toHaveLength(2);
  });
});

describe("parsePrivilegeAdvertisement", () => {
  it("is still offered by the core, as the gateway reads it", () => {
    const p = parsePrivilegeAdvertisement(
      parseXml(`<message from="localhost" to="gw.localhost"><privilege xmlns="urn:xmpp:privilege:1">
        <perm type="outgoing" access="message"/><perm type="get" access="roster"/></privilege></message>`),
    );
    expect(p?.namespace).toBe("urn:xmpp:privilege:1");
    expect(canReadRoster(p)).toBe(true);
    expect(describeMissingPrivileges(p)).toHaveLength(1);
  });
});
