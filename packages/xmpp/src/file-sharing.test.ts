import { describe, expect, it } from "vitest";
import { buildChatMessage, parseChatMessage } from "./chat-message.js";
import { parseXml } from "./element.js";
import { type SharedFile, sharedFileElements, sharedFileOf } from "./file-sharing.js";

const URL_ = "https://share.example.org/abc/cat%20photo.png";
const FILE: SharedFile = {
  url: URL_,
  name: "cat photo.png",
  mediaType: "image/png",
  size: 2048,
  width: 640,
  height: 480,
  hashes: { "sha-256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
};

describe("a message sharing a file (XEP-0066 + XEP-0447)", () => {
  it("carries the URL as body, OOB and SFS source, with the XEP-0446 metadata", () => {
    const stanza = buildChatMessage({ from: "a@gw", to: "u@s", id: "f1", body: URL_, attachment: FILE });
    expect(String(stanza)).toBe(
      `<message from="a@gw" to="u@s" type="chat" id="f1"><body>${URL_}</body>` +
        `<x xmlns="jabber:x:oob"><url>${URL_}</url></x>` +
        '<file-sharing xmlns="urn:xmpp:sfs:0" disposition="inline">' +
        '<file xmlns="urn:xmpp:file:metadata:0"><media-type>image/png</media-type><name>cat photo.png</name>' +
        "<size>2048</size><width>640</width><height>480</height>" +
        '<hash xmlns="urn:xmpp:hashes:2" algo="sha-256">47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=</hash></file>' +
        `<sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${URL_}"/></sources>` +
        "</file-sharing></message>",
    );
  });

  it("offers a non-image as an attachment, leaves out unknown dimensions and drops XML-invalid name characters", () => {
    const [, sfs] = sharedFileElements({
      url: "http://h/x.pdf",
      name: "re\u0000port.pdf",
      mediaType: "application/pdf",
      size: 0,
      durationMs: 0,
    });
    expect(sfs!.attrs.disposition).toBe("attachment");
    const file = sfs!.getChild("file")!;
    expect(file.getChildText("name")).toBe("report.pdf");
    expect(file.getChildText("size")).toBe("0");
    expect(file.getChild("width")).toBeUndefined();
    expect(file.getChild("length")).toBeUndefined();
  });

  it("refuses a URL that is not http(s) and a size that is not a byte count", () => {
    expect(() => sharedFileElements({ ...FILE, url: "javascript:alert(1)" })).toThrow(RangeError);
    expect(() => sharedFileElements({ ...FILE, size: 1.5 })).toThrow(RangeError);
  });

  it("reads back what it wrote: the body is the URL, with the declared name, type and size", () => {
    const stanza = buildChatMessage({ from: "a@gw", to: "u@s", id: "f1", body: URL_, attachment: FILE });
    expect(sharedFileOf(stanza, parseChatMessage(stanza))).toEqual({
      url: URL_,
      encrypted: false,
      name: "cat photo.png",
      mediaType: "image/png",
      size: 2048,
    });
  });
});

describe("sharedFileOf: which user messages share a file", () => {
  const read = (inner: string) => {
    const stanza = parseXml(`<message type="chat" id="m">${inner}</message>`);
    return sharedFileOf(stanza, parseChatMessage(stanza));
  };

  it("an OOB message whose body is its URL (Conversations, Gajim, Dino), nothing declared", () => {
    expect(read(`<body>${URL_}</body><x xmlns="jabber:x:oob"><url>${URL_}</url></x>`)).toEqual({
      url: URL_,
      encrypted: false,
    });
  });

  it("an SFS message without OOB whose source is the body", () => {
    const found = read(`<body>${URL_}</body><file-sharing xmlns="urn:xmpp:sfs:0">
      <file xmlns="urn:xmpp:file:metadata:0"><media-type>IMAGE/PNG</media-type><size>12</size></file>
      <sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${URL_}"/></sources></file-sharing>`);
    expect(found).toEqual({ url: URL_, encrypted: false, mediaType: "image/png", size: 12 });
  });

  it("ignores a malformed declared type or size rather than trusting it", () => {
    const found = read(`<body>${URL_}</body><file-sharing xmlns="urn:xmpp:sfs:0">
      <file xmlns="urn:xmpp:file:metadata:0"><media-type>image/png; x=&lt;</media-type><size>-3</size></file>
      <sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${URL_}"/></sources></file-sharing>`);
    expect(found).toEqual({ url: URL_, encrypted: false });
  });

  it("an aesgcm:// body (OMEMO media sharing) is reported as encrypted", () => {
    expect(read("<body>aesgcm://h/x.png#00ff</body>")).toEqual({
      url: "aesgcm://h/x.png#00ff",
      encrypted: true,
    });
  });

  it("not a link inside text, a body that differs from the OOB URL, or a bare URL without OOB/SFS", () => {
    expect(read(`<body>look ${URL_}</body><x xmlns="jabber:x:oob"><url>${URL_}</url></x>`)).toBeUndefined();
    expect(read(`<body>${URL_}</body><x xmlns="jabber:x:oob"><url>https://other/</url></x>`)).toBeUndefined();
    expect(read(`<body>${URL_}</body>`)).toBeUndefined();
    expect(read(`<body>ftp://h/x</body><x xmlns="jabber:x:oob"><url>ftp://h/x</url></x>`)).toBeUndefined();
  });
});
