import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { capsElement, capsVerification, capsVerificationString, entityCapabilities } from "./caps.js";
import { type DiscoInfo, discoInfoResult } from "./disco.js";
import { parseXml, xml } from "./element.js";
import { buildForm } from "./forms.js";

const MUC_FEATURES = [
  "http://jabber.org/protocol/caps",
  "http://jabber.org/protocol/disco#info",
  "http://jabber.org/protocol/disco#items",
  "http://jabber.org/protocol/muc",
];

// XEP-0115 §5.2: Exodus.
const SIMPLE: DiscoInfo = {
  identities: [{ category: "client", type: "pc", name: "Exodus 0.9.1" }],
  features: ["http://jabber.org/protocol/muc", ...MUC_FEATURES.slice(0, 3)].reverse(),
};

// XEP-0115 §5.3: Psi with two localized identities and a software-information form, given here in
// the order of the XEP's disco#info example (en before el), not the sorted order.
const SOFTWARE_INFO = `<x xmlns='jabber:x:data' type='result'>
  <field var='FORM_TYPE' type='hidden'>
    <value>urn:xmpp:dataforms:softwareinfo</value>
  </field>
  <field var='ip_version' type='text-multi'>
    <value>ipv4</value>
    <value>ipv6</value>
  </field>
  <field var='os'>
    <value>Mac</value>
  </field>
  <field var='os_version'>
    <value>10.5.1</value>
  </field>
  <field var='software'>
    <value>Psi</value>
  </field>
  <field var='software_version'>
    <value>0.11</value>
  </field>
</x>`;

function complex(): DiscoInfo {
  return {
    identities: [
      { category: "client", type: "pc", lang: "en", name: "Psi 0.11" },
      { category: "client", type: "pc", lang: "el", name: "Ψ 0.11" },
    ],
    features: MUC_FEATURES,
    forms: [parseXml(SOFTWARE_INFO)],
  };
}

describe("capsVerification", () => {
  it("reproduces the simple example of XEP-0115 §5.2", () => {
    expect(capsVerificationString(SIMPLE)).toBe(
      "client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<" +
        "http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<",
    );
    expect(capsVerification(SIMPLE)).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
  });

  it("reproduces the complex example of XEP-0115 §5.3", () => {
    expect(capsVerificationString(complex())).toBe(
      "client/pc/el/Ψ 0.11<client/pc/en/Psi 0.11<http://jabber.org/protocol/caps<" +
        "http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<" +
        "http://jabber.org/protocol/muc<urn:xmpp:dataforms:softwareinfo<ip_version<ipv4<ipv6<os<Mac<" +
        "os_version<10.5.1<software<Psi<software_version<0.11<",
    );
    expect(capsVerification(complex())).toBe("q07IKJEyjvHSyhy//CH0CxmKi8w=");
  });

  it("gives the same hash whatever the order of fields, values and forms", () => {
    const shuffled = parseXml(
      "<x xmlns='jabber:x:data' type='result'>" +
        "<field var='software_version'><value>0.11</value></field>" +
        "<field var='ip_version' type='text-multi'><value>ipv6</value><value>ipv4</value></field>" +
        "<field var='software'><value>Psi</value></field><field var='os'><value>Mac</value></field>" +
        "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:dataforms:softwareinfo</value></field>" +
        "<field var='os_version'><value>10.5.1</value></field></x>",
    );
    const other = buildForm({
      type: "result",
      formType: "urn:example:a",
      fields: [{ var: "z", type: "text-single", value: "1" }],
    });
    const base = complex();
    const one = capsVerification({ ...base, forms: [other, parseXml(SOFTWARE_INFO)] });
    const two = capsVerification({
      identities: [...base.identities].reverse(),
      features: [...MUC_FEATURES].reverse(),
      forms: [shuffled, other],
    });
    expect(one).toBe(two);
    // "urn:example:a" sorts before the software-info form, so it is hashed first.
    expect(capsVerificationString({ ...base, forms: [parseXml(SOFTWARE_INFO), other] })).toContain(
      "http://jabber.org/protocol/muc<urn:example:a<z<1<urn:xmpp:dataforms:softwareinfo<",
    );
  });

  it("hashes an entity without identities, features or forms as the hash of the empty string", () => {
    expect(capsVerification({ identities: [], features: [] })).toBe(
      createHash("sha1").update("").digest("base64"),
    );
    expect(capsVerification({ identities: [], features: [] })).toBe("2jmj7l5rSw0yVb/vlWAYkK/YBwk=");
  });

  it("sorts by UTF-8 octets, not UTF-16 code units", () => {
    // U+1F600 is D83D DE00 in UTF-16 (before U+FF01) but F0 9F 98 80 in UTF-8 (after EF BC 81).
    const s = capsVerificationString({ identities: [], features: ["urn:\u{ff01}", "urn:😀"] });
    expect(s).toBe("urn:\u{ff01}<urn:😀<");
  });

  it("sorts identities field by field, so a shorter category comes first", () => {
    // Joined as strings, "a-b/x" would sort before "a/y" ("-" < "/").
    const s = capsVerificationString({
      identities: [
        { category: "a-b", type: "x" },
        { category: "a", type: "y" },
      ],
      features: [],
    });
    expect(s).toBe("a/y//<a-b/x//<");
  });

  it("drops duplicate features and XML-invalid characters exactly as the XML does", () => {
    const info = { identities: [{ category: "gateway", type: "x\u0001" }], features: ["a", "a", "b\u0000"] };
    expect(capsVerificationString(info)).toBe("gateway/x//<a<b<");
    expect(discoInfoResult(info).toString()).toBe(
      '<query xmlns="http://jabber.org/protocol/disco#info"><identity category="gateway" type="x"/>' +
        '<feature var="a"/><feature var="b"/></query>',
    );
  });

  it("refuses what receivers would reject: duplicate identities, FORM_TYPEs, FORM_TYPE values", () => {
    expect(() =>
      capsVerification({
        identities: [
          { category: "client", type: "pc", name: "A" },
          { category: "client", type: "pc", name: "B" },
        ],
        features: [],
      }),
    ).toThrow(RangeError);
    const form = () => buildForm({ type: "result", formType: "urn:f", fields: [] });
    expect(() => capsVerification({ identities: [], features: [], forms: [form(), form()] })).toThrow(
      'Two extended disco#info forms have the FORM_TYPE "urn:f".',
    );
    const twoValues = parseXml(
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE' type='hidden'><value>a</value><value>b</value></field></x>",
    );
    expect(() => capsVerification({ identities: [], features: [], forms: [twoValues] })).toThrow(RangeError);
  });

  it("leaves out forms without a hidden FORM_TYPE, and elements that are not forms", () => {
    const noFormType = parseXml(
      "<x xmlns='jabber:x:data' type='result'><field var='a'><value>1</value></field></x>",
    );
    const notHidden = parseXml(
      "<x xmlns='jabber:x:data' type='result'><field var='FORM_TYPE'><value>urn:f</value></field></x>",
    );
    const notAForm = xml("x", { xmlns: "urn:other" });
    expect(capsVerification({ ...SIMPLE, forms: [noFormType, notHidden, notAForm] })).toBe(
      "QgayPKawpkPSDYmwT/WM94uAlu0=",
    );
  });

  it("keeps same-category identities in different languages apart", () => {
    const s = capsVerificationString({
      identities: [
        { category: "client", type: "pc", lang: "fr", name: "Élan" },
        { category: "client", type: "pc" },
      ],
      features: [],
    });
    expect(s).toBe("client/pc//<client/pc/fr/Élan<");
  });
});

// What disco.ts writes must hash to what capsVerification computed from the same input.
describe("discoInfoResult and the hash", () => {
  it("round-trips: a receiver recomputing the hash from our XML gets our ver", () => {
    const info = complex();
    const parsed = parseXml(discoInfoResult(info).toString());
    const again: DiscoInfo = {
      identities: parsed.getChildren("identity").map((identity) => ({
        category: identity.attrs.category!,
        type: identity.attrs.type!,
        lang: identity.attrs["xml:lang"],
        name: identity.attrs.name,
      })),
      features: parsed.getChildren("feature").map((feature) => feature.attrs.var!),
      forms: parsed.getChildren("x", "jabber:x:data"),
    };
    expect(capsVerification(again)).toBe("q07IKJEyjvHSyhy//CH0CxmKi8w=");
  });
});

describe("capsElement", () => {
  it("writes the XEP-0115 <c/> with sha-1", () => {
    expect(
      capsElement({ node: "https://gangway.example", ver: "QgayPKawpkPSDYmwT/WM94uAlu0=" }).toString(),
    ).toBe(
      '<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://gangway.example" ver="QgayPKawpkPSDYmwT/WM94uAlu0="/>',
    );
  });
});

describe("entityCapabilities", () => {
  it("hashes once and builds matching <c/> and disco#info answers", () => {
    const caps = entityCapabilities("https://gangway.example", SIMPLE);
    expect(caps.ver).toBe("QgayPKawpkPSDYmwT/WM94uAlu0=");
    expect(caps.capsNode).toBe("https://gangway.example#QgayPKawpkPSDYmwT/WM94uAlu0=");
    expect(caps.caps().toString()).toBe(
      '<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://gangway.example" ver="QgayPKawpkPSDYmwT/WM94uAlu0="/>',
    );
    expect(caps.discoInfo(caps.capsNode).attrs.node).toBe(caps.capsNode);
    expect(caps.discoInfo().attrs.node).toBeUndefined();
    expect(caps.caps()).not.toBe(caps.caps());
  });

  it("gives each disco#info answer its own copy of the forms", () => {
    const caps = entityCapabilities("https://gangway.example", complex());
    const first = caps.discoInfo();
    const second = caps.discoInfo();
    const firstForm = first.getChild("x", "jabber:x:data")!;
    const secondForm = second.getChild("x", "jabber:x:data")!;
    expect(firstForm).not.toBe(secondForm);
    expect(firstForm.parent).toBe(first);
    expect(secondForm.parent).toBe(second);
    expect(firstForm.toString()).toBe(parseXml(SOFTWARE_INFO).toString());
  });
});
