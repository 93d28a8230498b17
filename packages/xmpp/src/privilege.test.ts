import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import { parsePrivilegeAdvertisement } from "./privilege.js";

const advertisement = (namespace: string, perms: string) =>
  parseXml(
    `<message from="localhost" to="gw.localhost"><privilege xmlns="${namespace}">${perms}</privilege></message>`,
  );

describe("parsePrivilegeAdvertisement", () => {
  it("reads Prosody's urn:xmpp:privilege:2 advertisement", () => {
    const p = parsePrivilegeAdvertisement(
      advertisement(
        "urn:xmpp:privilege:2",
        `<perm access="roster" type="both"/><perm access="message" type="outgoing"/>
         <perm access="presence" type="roster"/>`,
      ),
    );
    expect(p).toEqual({
      namespace: "urn:xmpp:privilege:2",
      server: "localhost",
      roster: "both",
      message: "outgoing",
      presence: "roster",
      iq: {},
    });
  });

  it("reads ejabberd 23.01's urn:xmpp:privilege:1 advertisement, missing grants as none", () => {
    const p = parsePrivilegeAdvertisement(
      advertisement(
        "urn:xmpp:privilege:1",
        '<perm type="outgoing" access="message"/><perm type="get" access="roster"/>',
      ),
    );
    expect(p).toEqual({
      namespace: "urn:xmpp:privilege:1",
      server: "localhost",
      roster: "get",
      message: "outgoing",
      presence: "none",
      iq: {},
    });
  });

  it("reads the v2 IQ permission as Prosody sends it for one namespace", () => {
    // The exact shape mod_privilege's advertise_perm() builds for
    // iq = { ["urn:xmpp:http:upload:0"] = "get" }.
    const p = parsePrivilegeAdvertisement(
      advertisement(
        "urn:xmpp:privilege:2",
        '<perm access="iq"><namespace type="get" ns="urn:xmpp:http:upload:0"/></perm>',
      ),
    );
    expect(p?.iq).toEqual({ "urn:xmpp:http:upload:0": "get" });
  });

  it("reads several IQ namespaces, also nested inside each other as Prosody 0.12 emits them", () => {
    const p = parsePrivilegeAdvertisement(
      advertisement(
        "urn:xmpp:privilege:2",
        `<perm access="iq">
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
        </perm>`,
      ),
    );
    expect(p?.iq).toEqual({
      "urn:xmpp:http:upload:0": "get",
      "http://jabber.org/protocol/pubsub": "both",
      "jabber:iq:private": "set",
      "urn:example:twice": "both",
      ["__proto__"]: "get",
    });
    expect(Object.getPrototypeOf(p?.iq)).toBe(Object.prototype);
    expect(Object.hasOwn(p!.iq, "__proto__")).toBe(true);
  });

  it("ignores an IQ permission in a v1 advertisement, which has none", () => {
    const p = parsePrivilegeAdvertisement(
      advertisement(
        "urn:xmpp:privilege:1",
        '<perm access="iq"><namespace type="get" ns="urn:xmpp:http:upload:0"/></perm>',
      ),
    );
    expect(p?.iq).toEqual({});
  });

  it("ignores other messages, unknown values, perms without access, and other namespaces", () => {
    expect(parsePrivilegeAdvertisement(parseXml('<message from="localhost"><body>hi</body></message>'))).toBe(
      undefined,
    );
    expect(
      parsePrivilegeAdvertisement(
        advertisement("urn:xmpp:privilege:3", '<perm access="roster" type="both"/>'),
      ),
    ).toBeUndefined();
    const p = parsePrivilegeAdvertisement(
      advertisement(
        "urn:xmpp:privilege:2",
        '<perm access="roster" type="everything"/><perm type="outgoing"/><perm access="presence"/>',
      ),
    );
    expect(p).toMatchObject({ roster: "none", message: "none", presence: "none", iq: {} });
  });
});
