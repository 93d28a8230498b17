import { describe, expect, it } from "vitest";
import { discoInfoResult, discoItemsResult, NS_DISCO_INFO, NS_DISCO_ITEMS } from "./disco.js";
import { parseXml } from "./element.js";
import { buildForm } from "./forms.js";

describe("discoInfoResult", () => {
  it("writes node, identities with name and xml:lang, features and forms in the given order", () => {
    const form = buildForm({
      type: "result",
      formType: "urn:xmpp:reactions:0:restrictions",
      fields: [{ var: "allowlist", type: "text-multi", value: ["👍"] }],
    });
    const query = discoInfoResult({
      node: "urn:gangway:puppet#abc",
      identities: [
        { category: "client", type: "pc", name: "Psi", lang: "en" },
        { category: "pubsub", type: "pep" },
      ],
      features: [NS_DISCO_INFO, "urn:xmpp:ping"],
      forms: [form],
    });
    expect(query.toString()).toBe(
      '<query xmlns="http://jabber.org/protocol/disco#info" node="urn:gangway:puppet#abc">' +
        '<identity category="client" type="pc" name="Psi" xml:lang="en"/>' +
        '<identity category="pubsub" type="pep"/>' +
        '<feature var="http://jabber.org/protocol/disco#info"/><feature var="urn:xmpp:ping"/>' +
        `${form.toString()}</query>`,
    );
  });

  it("writes an empty query when there is nothing to announce, and leaves an undefined node out", () => {
    expect(discoInfoResult({ identities: [], features: [], node: undefined }).toString()).toBe(
      '<query xmlns="http://jabber.org/protocol/disco#info"/>',
    );
  });

  it("escapes markup, drops XML-invalid characters and duplicate features", () => {
    const query = discoInfoResult({
      identities: [{ category: "gateway", type: "irc", name: 'A<B> & "C"\u0007' }],
      features: ["urn:a", "urn:a", "urn:b\u0000"],
    });
    expect(query.toString()).toBe(
      '<query xmlns="http://jabber.org/protocol/disco#info">' +
        '<identity category="gateway" type="irc" name="A&lt;B&gt; &amp; &quot;C&quot;"/>' +
        '<feature var="urn:a"/><feature var="urn:b"/></query>',
    );
    // What we write is what a receiver parses back.
    expect(parseXml(query.toString()).getChild("identity")?.attrs.name).toBe('A<B> & "C"');
  });

  it("refuses two identities with the same category, type and language", () => {
    expect(() =>
      discoInfoResult({
        identities: [
          { category: "client", type: "pc", name: "a" },
          { category: "client", type: "pc", name: "b" },
        ],
        features: [],
      }),
    ).toThrow(RangeError);
  });
});

describe("discoItemsResult", () => {
  it("writes the items in order, with name and node only when given", () => {
    expect(
      discoItemsResult(
        [
          { jid: "gw.example", node: "register", name: "Register" },
          { jid: "alice@gw.example" },
          { jid: "gw.example", name: "" },
        ],
        "http://jabber.org/protocol/commands",
      ).toString(),
    ).toBe(
      '<query xmlns="http://jabber.org/protocol/disco#items" node="http://jabber.org/protocol/commands">' +
        '<item jid="gw.example" name="Register" node="register"/>' +
        '<item jid="alice@gw.example"/><item jid="gw.example"/></query>',
    );
  });

  it("writes an empty query for no items, and cleans names from legacy networks", () => {
    expect(discoItemsResult([]).toString()).toBe(`<query xmlns="${NS_DISCO_ITEMS}"/>`);
    expect(discoItemsResult([{ jid: "gw.example", name: "Bell\u0007 & co" }]).toString()).toBe(
      `<query xmlns="${NS_DISCO_ITEMS}"><item jid="gw.example" name="Bell &amp; co"/></query>`,
    );
  });
});
