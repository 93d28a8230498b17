import { describe, expect, it } from "vitest";
import { parseXml } from "./element.js";
import {
  NODE_VCARD4,
  parseVCardTempPhoto,
  type VCardInfo,
  vcard4Element,
  vcard4PepItem,
  vcardTempElement,
  vcardTempRequest,
} from "./vcard.js";

// Every byte value, so base64 padding and the non-ASCII half are both exercised.
const BINARY = Uint8Array.from({ length: 256 }, (_, i) => i);

const FULL: VCardInfo = {
  fullName: "Zoë Ångström",
  nickname: "zoë",
  given: "Zoë",
  family: "Ångström",
  email: "zoe@example.org",
  phone: "+46 8 123 45 67",
  url: "https://example.org/~zoe",
  note: "Line 1\nLine 2 <b>&</b>",
  birthday: "1990-04-23",
  avatar: { type: "image/png", data: Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x00, 0xff) },
};

describe("vcardTempElement", () => {
  it("writes every known field in DTD order, with the photo as base64", () => {
    expect(vcardTempElement(FULL).toString()).toBe(
      '<vCard xmlns="vcard-temp"><FN>Zoë Ångström</FN><N><FAMILY>Ångström</FAMILY><GIVEN>Zoë</GIVEN></N>' +
        "<NICKNAME>zoë</NICKNAME><PHOTO><TYPE>image/png</TYPE><BINVAL>iVBORwD/</BINVAL></PHOTO>" +
        "<BDAY>1990-04-23</BDAY><TEL><NUMBER>+46 8 123 45 67</NUMBER></TEL>" +
        "<EMAIL><USERID>zoe@example.org</USERID></EMAIL><URL>https://example.org/~zoe</URL>" +
        "<DESC>Line 1\nLine 2 &lt;b&gt;&amp;&lt;/b&gt;</DESC></vCard>",
    );
  });

  it("writes an empty vCard when nothing is known, and leaves out empty and blank fields", () => {
    expect(vcardTempElement({}).toString()).toBe('<vCard xmlns="vcard-temp"/>');
    expect(
      vcardTempElement({
        fullName: "",
        nickname: "  \n",
        email: "\u0000",
        note: "\u0001\u0002",
        avatar: { type: "image/png", data: new Uint8Array(0) },
      }).toString(),
    ).toBe('<vCard xmlns="vcard-temp"/>');
  });

  it("writes only the name part that is known", () => {
    expect(vcardTempElement({ given: "Ann" }).toString()).toBe(
      '<vCard xmlns="vcard-temp"><N><GIVEN>Ann</GIVEN></N></vCard>',
    );
    expect(vcardTempElement({ family: "Lee" }).toString()).toBe(
      '<vCard xmlns="vcard-temp"><N><FAMILY>Lee</FAMILY></N></vCard>',
    );
  });

  it("drops XML-invalid characters from legacy text, so the result always parses", () => {
    const element = vcardTempElement({ fullName: "A\u0000B\u001b\ufffeC\ud800", nickname: "😀\u000b" });
    expect(element.toString()).toBe('<vCard xmlns="vcard-temp"><FN>ABC</FN><NICKNAME>😀</NICKNAME></vCard>');
    expect(parseXml(element.toString()).getChildText("FN")).toBe("ABC");
  });

  it("encodes arbitrary binary photos, and only the bytes of a view", () => {
    const element = vcardTempElement({ avatar: { type: "image/jpeg", data: BINARY } });
    const binval = element.getChild("PHOTO")!.getChildText("BINVAL")!;
    expect(binval).toBe(Buffer.from(BINARY).toString("base64"));
    expect(binval).not.toMatch(/\s/);
    expect([...Buffer.from(binval, "base64")]).toEqual([...BINARY]);

    const view = BINARY.subarray(10, 13);
    expect(vcardTempElement({ avatar: { type: "", data: view } }).toString()).toBe(
      '<vCard xmlns="vcard-temp"><PHOTO><BINVAL>CgsM</BINVAL></PHOTO></vCard>',
    );
  });
});

describe("vcard4Element", () => {
  it("writes every known field with its XEP-0292 value type", () => {
    expect(vcard4Element(FULL).toString()).toBe(
      '<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><fn><text>Zoë Ångström</text></fn>' +
        "<n><surname>Ångström</surname><given>Zoë</given></n><nickname><text>zoë</text></nickname>" +
        "<bday><date>1990-04-23</date></bday><tel><uri>tel:+46-8-123-45-67</uri></tel>" +
        "<email><text>zoe@example.org</text></email><url><uri>https://example.org/~zoe</uri></url>" +
        "<note><text>Line 1\nLine 2 &lt;b&gt;&amp;&lt;/b&gt;</text></note></vcard>",
    );
  });

  it("writes an empty vcard when nothing is known, and leaves out empty and blank fields", () => {
    expect(vcard4Element({}).toString()).toBe('<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/>');
    expect(
      vcard4Element({
        fullName: " ",
        phone: "",
        url: "\u0000",
        birthday: "\t",
        avatar: FULL.avatar,
      }).toString(),
    ).toBe('<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/>');
  });

  it("writes both name components, an unknown one empty", () => {
    expect(vcard4Element({ given: "Ann" }).toString()).toBe(
      '<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><n><surname/><given>Ann</given></n></vcard>',
    );
    expect(vcard4Element({ family: "Lee" }).toString()).toBe(
      '<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><n><surname>Lee</surname><given/></n></vcard>',
    );
  });

  it.each([
    ["+1 (555) 010-9999", "<uri>tel:+1-(555)-010-9999</uri>"],
    ["+33.1.23.45.67.89", "<uri>tel:+33.1.23.45.67.89</uri>"],
    ["  +4930123456 ", "<uri>tel:+4930123456</uri>"],
    ["tel:+1-201-555-0123;ext=1234", "<uri>tel:+1-201-555-0123;ext=1234</uri>"],
    ["030 123456", "<text>030 123456</text>"],
    ["+1 555 0100 x12", "<text>+1 555 0100 x12</text>"],
    ["+", "<text>+</text>"],
  ])("turns the phone number %j into %s", (phone, value) => {
    expect(vcard4Element({ phone }).toString()).toBe(
      `<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><tel>${value}</tel></vcard>`,
    );
  });

  it.each([
    ["1990-04-23", "<date>1990-04-23</date>"],
    ["19900423", "<date>19900423</date>"],
    ["--04-23", "<date>--04-23</date>"],
    ["--0423", "<date>--0423</date>"],
    ["1990", "<date>1990</date>"],
    [" 1990-04 ", "<date>1990-04</date>"],
    ["April 23rd", "<text>April 23rd</text>"],
    ["1990-4-23", "<text>1990-4-23</text>"],
  ])("writes the birthday %j as %s", (birthday, value) => {
    expect(vcard4Element({ birthday }).toString()).toBe(
      `<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><bday>${value}</bday></vcard>`,
    );
  });

  it("drops XML-invalid characters from legacy text, so the result always parses", () => {
    const element = vcard4Element({
      fullName: "名前\u0000\u0007",
      note: "\ud83d😀",
      url: "https://x.test/\u0008a",
    });
    expect(element.toString()).toBe(
      '<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><fn><text>名前</text></fn>' +
        "<url><uri>https://x.test/a</uri></url><note><text>😀</text></note></vcard>",
    );
    expect(parseXml(element.toString()).getChild("fn")!.getChildText("text")).toBe("名前");
  });
});

describe("vcard4PepItem", () => {
  it("wraps the vCard4 in the node's one item, id current", () => {
    expect(NODE_VCARD4).toBe("urn:xmpp:vcard4");
    expect(vcard4PepItem({ nickname: "zoë" }).toString()).toBe(
      '<item id="current"><vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0">' +
        "<nickname><text>zoë</text></nickname></vcard></item>",
    );
  });
});

describe("vcardTempRequest", () => {
  it("asks for the vCard of a JID with an IQ get", () => {
    expect(vcardTempRequest("romeo@example.net").toString()).toBe(
      '<iq type="get" to="romeo@example.net"><vCard xmlns="vcard-temp"/></iq>',
    );
  });
});

describe("parseVCardTempPhoto", () => {
  const answer = (vcard: string) =>
    parseXml(`<iq type="result" from="romeo@example.net" id="v1">${vcard}</iq>`);

  it("decodes a wrapped BINVAL with its TYPE", () => {
    const base64 = Buffer.from(BINARY).toString("base64");
    const wrapped = base64.replace(/.{76}/g, "$&\r\n ");
    const photo = parseVCardTempPhoto(
      answer(
        `<vCard xmlns="vcard-temp"><FN>Romeo</FN><PHOTO><TYPE> image/jpeg </TYPE><BINVAL>\n${wrapped}\n</BINVAL></PHOTO></vCard>`,
      ),
    );
    expect(photo?.type).toBe("image/jpeg");
    expect(photo?.data).toEqual(Buffer.from(BINARY));
  });

  it("reads what vcardTempElement writes, and defaults the type to image/png", () => {
    const written = vcardTempElement({ avatar: { type: "image/gif", data: BINARY } }).toString();
    expect(parseVCardTempPhoto(answer(written))).toEqual({ type: "image/gif", data: Buffer.from(BINARY) });
    expect(
      parseVCardTempPhoto(answer('<vCard xmlns="vcard-temp"><PHOTO><BINVAL>iVBORw</BINVAL></PHOTO></vCard>')),
    ).toEqual({ type: "image/png", data: Buffer.of(0x89, 0x50, 0x4e, 0x47) });
    expect(
      parseVCardTempPhoto(
        answer('<vCard xmlns="vcard-temp"><PHOTO><TYPE/><BINVAL>iVBORw==</BINVAL></PHOTO></vCard>'),
      )?.type,
    ).toBe("image/png");
  });

  it("finds nothing without a vCard, a photo or usable base64", () => {
    for (const vcard of [
      "",
      '<vCard xmlns="vcard-temp"/>',
      '<vCard xmlns="urn:example:other"><PHOTO><BINVAL>iVBORw==</BINVAL></PHOTO></vCard>',
      '<vCard xmlns="vcard-temp"><PHOTO><TYPE>image/png</TYPE></PHOTO></vCard>',
      '<vCard xmlns="vcard-temp"><PHOTO><EXTVAL>https://example.net/a.png</EXTVAL></PHOTO></vCard>',
      '<vCard xmlns="vcard-temp"><PHOTO><BINVAL> \n </BINVAL></PHOTO></vCard>',
      '<vCard xmlns="vcard-temp"><PHOTO><BINVAL>not base64!</BINVAL></PHOTO></vCard>',
      '<vCard xmlns="vcard-temp"><PHOTO><BINVAL>iVBORw=</BINVAL></PHOTO></vCard>',
      '<vCard xmlns="vcard-temp"><PHOTO><BINVAL>i</BINVAL></PHOTO></vCard>',
    ]) {
      expect(parseVCardTempPhoto(answer(vcard)), vcard).toBeUndefined();
    }
  });
});
