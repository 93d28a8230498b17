import { parseXml } from "@gangway/xmpp";
import { describe, expect, it } from "vitest";
import {
  canReadRoster,
  canWriteRoster,
  describeMissingPrivileges,
  parsePrivilegeAdvertisement,
} from "./privileges.js";

describe("parsePrivilegeAdvertisement", () => {
  it("reads Prosody's urn:xmpp:privilege:2 advertisement", () => {
    const p = parsePrivilegeAdvertisement(
      parseXml(`<message from="localhost" to="gw.localhost"><privilege xmlns="urn:xmpp:privilege:2">
        <perm access="roster" type="both"/><perm access="message" type="outgoing"/><perm access="presence" type="roster"/>
      </privilege></message>`),
    );
    expect(p).toEqual({
      namespace: "urn:xmpp:privilege:2",
      server: "localhost",
      roster: "both",
      message: "outgoing",
      presence: "roster",
    });
    expect(canWriteRoster(p)).toBe(true);
    expect(describeMissingPrivileges(p)).toEqual([]);
  });

  it("reads ejabberd 23.01's urn:xmpp:privilege:1 advertisement", () => {
    const p = parsePrivilegeAdvertisement(
      parseXml(`<message from="localhost" to="gw.localhost"><privilege xmlns="urn:xmpp:privilege:1">
        <perm type="outgoing" access="message"/><perm type="get" access="roster"/></privilege></message>`),
    );
    expect(p?.namespace).toBe("urn:xmpp:privilege:1");
    expect(canReadRoster(p)).toBe(true);
    expect(canWriteRoster(p)).toBe(false);
    expect(p?.presence).toBe("none");
    expect(describeMissingPrivileges(p)).toHaveLength(1);
  });

  it("ignores other messages and unknown permission values", () => {
    expect(
      parsePrivilegeAdvertisement(parseXml(`<message from="localhost"><body>hi</body></message>`)),
    ).toBeUndefined();
    const p = parsePrivilegeAdvertisement(
      parseXml(
        `<message from="localhost"><privilege xmlns="urn:xmpp:privilege:2"><perm access="roster" type="everything"/></privilege></message>`,
      ),
    );
    expect(p?.roster).toBe("none");
    expect(describeMissingPrivileges(undefined)).toHaveLength(2);
  });
});
