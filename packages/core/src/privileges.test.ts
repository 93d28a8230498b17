import { parseXml } from "@gangway/xmpp";
import { describe, expect, it } from "vitest";
import {
  canReadRoster,
  canSendIqAs,
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
      iq: {},
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
    expect(p?.iq).toEqual({});
    expect(describeMissingPrivileges(p)).toHaveLength(1);
  });

  it("reads the v2 IQ permission as Prosody sends it for one namespace", () => {
    // The exact shape mod_privilege's advertise_perm() builds for
    // iq = { ["urn:xmpp:http:upload:0"] = "get" }.
    const p = parsePrivilegeAdvertisement(
      parseXml(`<message from="localhost" to="gw.localhost"><privilege xmlns="urn:xmpp:privilege:2">
        <perm access="roster" type="both"/><perm access="message" type="outgoing"/><perm access="presence" type="roster"/>
        <perm access="iq"><namespace type="get" ns="urn:xmpp:http:upload:0"/></perm>
      </privilege></message>`),
    );
    expect(p?.iq).toEqual({ "urn:xmpp:http:upload:0": "get" });
    expect(canSendIqAs(p, "urn:xmpp:http:upload:0", "get")).toBe(true);
    expect(canSendIqAs(p, "urn:xmpp:http:upload:0", "set")).toBe(false);
    expect(canSendIqAs(p, "jabber:iq:roster", "get")).toBe(false);
    // Optional: granting it or not changes nothing an operator is warned about.
    expect(describeMissingPrivileges(p)).toEqual([]);
  });

  it("reads several IQ namespaces, also nested inside each other as Prosody 0.12 emits them", () => {
    const p = parsePrivilegeAdvertisement(
      parseXml(`<message from="localhost"><privilege xmlns="urn:xmpp:privilege:2">
        <perm access="iq">
          <namespace ns="urn:xmpp:http:upload:0" type="get">
            <namespace ns="http://jabber.org/protocol/pubsub" type="both">
              <namespace ns="jabber:iq:private" type="set"/>
            </namespace>
          </namespace>
          <namespace ns="urn:example:twice" type="get"/>
          <namespace ns="urn:example:twice" type="set"/>
          <namespace ns="urn:example:bad" type="everything"/>
          <namespace type="get"/>
          <namespace ns="__proto__" type="get"/>
        </perm>
      </privilege></message>`),
    );
    expect(p?.iq).toEqual({
      "urn:xmpp:http:upload:0": "get",
      "http://jabber.org/protocol/pubsub": "both",
      "jabber:iq:private": "set",
      "urn:example:twice": "both",
      ["__proto__"]: "get",
    });
    expect(Object.getPrototypeOf(p?.iq)).toBe(Object.prototype);
    expect(canSendIqAs(p, "http://jabber.org/protocol/pubsub", "set")).toBe(true);
    expect(canSendIqAs(p, "jabber:iq:private", "get")).toBe(false);
    expect(canSendIqAs(p, "urn:example:bad", "get")).toBe(false);
    expect(canSendIqAs(p, "__proto__", "get")).toBe(true);
    // Inherited properties are no grants.
    expect(canSendIqAs(p, "toString", "get")).toBe(false);
  });

  it("ignores an IQ permission in a v1 advertisement, which has none (and we only wrap in v2)", () => {
    const p = parsePrivilegeAdvertisement(
      parseXml(`<message from="localhost"><privilege xmlns="urn:xmpp:privilege:1">
        <perm access="iq"><namespace type="get" ns="urn:xmpp:http:upload:0"/></perm></privilege></message>`),
    );
    expect(p?.iq).toEqual({});
    expect(canSendIqAs(p, "urn:xmpp:http:upload:0", "get")).toBe(false);
    expect(canSendIqAs(undefined, "urn:xmpp:http:upload:0", "get")).toBe(false);
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
