import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  avatarDataItem,
  avatarEventMessage,
  avatarHash,
  avatarMetadataItem,
  imageSize,
  parsePubsubItemsRequest,
  pepItemsResult,
} from "./avatar.js";
import { parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";

const BINARY = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);

describe("avatarHash", () => {
  it("is the lowercase hex SHA-1 of the bytes", () => {
    expect(avatarHash(new Uint8Array(0))).toBe("da39a3ee5e6b4b0d3255bfef95601890afd80709");
    expect(avatarHash(new TextEncoder().encode("abc"))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
    expect(avatarHash(BINARY)).toBe(createHash("sha1").update(BINARY).digest("hex"));
  });

  it("hashes only the bytes of a view, not the whole underlying buffer", () => {
    const frame = new TextEncoder().encode("xxabcxx");
    expect(avatarHash(frame.subarray(2, 5))).toBe("a9993e364706816aba3e25717850c26c9cd0d89d");
  });
});

describe("avatarMetadataItem", () => {
  const id = "111f4b3c50d7b0df729d299bc6f8e9ef9066971f";

  it("writes the XEP-0084 info with the optional size and URL", () => {
    expect(
      avatarMetadataItem({ id, bytes: 12345, type: "image/png", width: 64, height: 48 }).toString(),
    ).toBe(
      `<item id="${id}"><metadata xmlns="urn:xmpp:avatar:metadata">` +
        `<info bytes="12345" height="48" id="${id}" type="image/png" width="64"/></metadata></item>`,
    );
    expect(
      avatarMetadataItem({
        id,
        bytes: 0,
        type: "image/gif\u0000",
        url: "https://cdn.test/a.gif?x=1&y=<2>",
      }).toString(),
    ).toBe(
      `<item id="${id}"><metadata xmlns="urn:xmpp:avatar:metadata">` +
        `<info bytes="0" id="${id}" type="image/gif" url="https://cdn.test/a.gif?x=1&amp;y=&lt;2&gt;"/></metadata></item>`,
    );
  });

  it("writes an empty metadata item for 'no avatar', with an id only when given", () => {
    expect(avatarMetadataItem(null).toString()).toBe(
      '<item><metadata xmlns="urn:xmpp:avatar:metadata"/></item>',
    );
    expect(avatarMetadataItem(null, "none").toString()).toBe(
      '<item id="none"><metadata xmlns="urn:xmpp:avatar:metadata"/></item>',
    );
  });

  it.each([
    [{ id: "", bytes: 1, type: "image/png" }],
    [{ id, bytes: -1, type: "image/png" }],
    [{ id, bytes: 1.5, type: "image/png" }],
    [{ id, bytes: 2 ** 32, type: "image/png" }],
    [{ id, bytes: 1, type: "image/png", width: 0 }],
    [{ id, bytes: 1, type: "image/png", height: 65536 }],
    [{ id, bytes: 1, type: "image/png", width: Number.NaN }],
  ])("refuses values clients would reject: %j", (info) => {
    expect(() => avatarMetadataItem(info)).toThrow(RangeError);
  });
});

describe("avatarDataItem", () => {
  it("writes the image as unwrapped base64", () => {
    expect(avatarDataItem("abc", Uint8Array.of(0xff, 0x00, 0xfe, 0x7f)).toString()).toBe(
      '<item id="abc"><data xmlns="urn:xmpp:avatar:data">/wD+fw==</data></item>',
    );
    const item = avatarDataItem(avatarHash(BINARY), BINARY);
    const text = item.getChild("data", "urn:xmpp:avatar:data")!.text();
    expect(text).not.toMatch(/\s/);
    expect([...Buffer.from(text, "base64")]).toEqual([...BINARY]);
  });

  it("encodes only the bytes of a view, and an empty image as empty data", () => {
    expect(avatarDataItem("v", BINARY.subarray(0, 2)).toString()).toBe(
      '<item id="v"><data xmlns="urn:xmpp:avatar:data">//4=</data></item>',
    );
    expect(avatarDataItem("e", new Uint8Array(0)).toString()).toBe(
      '<item id="e"><data xmlns="urn:xmpp:avatar:data"/></item>',
    );
  });
});

describe("pepItemsResult", () => {
  it("wraps the items in pubsub/items with the node", () => {
    expect(pepItemsResult("urn:xmpp:avatar:data", [avatarDataItem("a", Uint8Array.of(1))]).toString()).toBe(
      '<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data">' +
        '<item id="a"><data xmlns="urn:xmpp:avatar:data">AQ==</data></item></items></pubsub>',
    );
  });

  it("writes an empty items element when there is nothing to return", () => {
    expect(pepItemsResult("urn:xmpp:avatar:metadata", []).toString()).toBe(
      '<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:metadata"/></pubsub>',
    );
  });
});

describe("parsePubsubItemsRequest", () => {
  const parse = (inner: string) =>
    parsePubsubItemsRequest(parseXml(`<pubsub xmlns='http://jabber.org/protocol/pubsub'>${inner}</pubsub>`));

  it("reads the node, the requested ids and max_items", () => {
    expect(parse("<items node='urn:xmpp:avatar:data'><item id='a1'/><item id='b2'/></items>")).toEqual({
      node: "urn:xmpp:avatar:data",
      itemIds: ["a1", "b2"],
    });
    expect(parse("<items node='urn:xmpp:avatar:metadata' max_items='1'/>")).toEqual({
      node: "urn:xmpp:avatar:metadata",
      itemIds: [],
      maxItems: 1,
    });
  });

  it("returns undefined for other payloads and other pubsub requests", () => {
    expect(parse("<subscriptions/>")).toBeUndefined();
    expect(parsePubsubItemsRequest(xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub#owner" }))).toBe(
      undefined,
    );
    expect(parsePubsubItemsRequest(xml("query", { xmlns: "jabber:iq:roster" }))).toBeUndefined();
  });

  it.each([
    ["<items/>", "An items request needs a node."],
    ["<items node=''/>", "An items request needs a node."],
    ["<items node='n'><item/></items>", "A requested item needs an id."],
    ["<items node='n' max_items='0'/>", 'max_items must be a positive integer, not "0".'],
    ["<items node='n' max_items='-1'/>", 'max_items must be a positive integer, not "-1".'],
    ["<items node='n' max_items='1.5'/>", 'max_items must be a positive integer, not "1.5".'],
    ["<items node='n' max_items='99999999999999999999'/>", "max_items must be a positive integer"],
  ])("answers the malformed request %s with bad-request", (inner, text) => {
    let thrown: unknown;
    try {
      parse(inner);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(XmppError);
    expect((thrown as XmppError).condition).toBe("bad-request");
    expect((thrown as XmppError).message).toContain(text);
  });
});

describe("avatarEventMessage", () => {
  it("wraps the metadata item in a PEP headline notification", () => {
    const metadataItem = avatarMetadataItem({ id: "abc", bytes: 3, type: "image/png" });
    expect(
      avatarEventMessage({
        from: "alice@gateway.test",
        to: "user@example.org",
        id: "ev1",
        metadataItem,
      }).toString(),
    ).toBe(
      '<message from="alice@gateway.test" to="user@example.org" id="ev1" type="headline">' +
        '<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:avatar:metadata">' +
        '<item id="abc"><metadata xmlns="urn:xmpp:avatar:metadata"><info bytes="3" id="abc" type="image/png"/>' +
        "</metadata></item></items></event></message>",
    );
  });

  it("announces a removed avatar with the empty metadata item", () => {
    expect(
      avatarEventMessage({
        from: "b\\40c@gateway.test",
        to: "user@example.org",
        id: "ev2",
        metadataItem: avatarMetadataItem(null),
      }).toString(),
    ).toBe(
      '<message from="b\\40c@gateway.test" to="user@example.org" id="ev2" type="headline">' +
        '<event xmlns="http://jabber.org/protocol/pubsub#event"><items node="urn:xmpp:avatar:metadata">' +
        '<item><metadata xmlns="urn:xmpp:avatar:metadata"/></item></items></event></message>',
    );
  });
});

// Headers are built by hand so each test states exactly which bytes the parser reads.
function bytes(...parts: (number[] | string)[]): Uint8Array {
  return Uint8Array.from(
    parts.flatMap((part) => (typeof part === "string" ? [...Buffer.from(part, "latin1")] : part)),
  );
}
const be16 = (n: number) => [n >> 8, n & 0xff];
const le16 = (n: number) => [n & 0xff, n >> 8];
const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
const le24 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff];

const PNG_SIG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const png = (width: number, height: number) =>
  bytes(PNG_SIG, be32(13), "IHDR", be32(width), be32(height), [8, 6, 0, 0, 0]);

function jpeg(...segments: number[][]): Uint8Array {
  return bytes([0xff, 0xd8], ...segments);
}
const app0 = [0xff, 0xe0, ...be16(16), ...Buffer.from("JFIF\0"), 1, 1, 0, 0, 1, 0, 1, 0, 0];
const dht = [0xff, 0xc4, ...be16(5), 0, 1, 2];
const sof = (marker: number, width: number, height: number) => [
  0xff,
  marker,
  ...be16(17),
  8,
  ...be16(height),
  ...be16(width),
  3,
  1,
  0x22,
  0,
  2,
  0x11,
  1,
  3,
  0x11,
  1,
];

function webp(chunk: string, payload: number[]): Uint8Array {
  const body = bytes("WEBP", chunk, [payload.length, 0, 0, 0], payload, new Array(16).fill(0));
  return bytes("RIFF", [body.length & 0xff, body.length >> 8, 0, 0], [...body]);
}

describe("imageSize", () => {
  it("reads PNG sizes from IHDR, including widths beyond 16 bits", () => {
    expect(imageSize(png(64, 48))).toEqual({ type: "image/png", width: 64, height: 48 });
    expect(imageSize(png(70000, 3))).toEqual({ type: "image/png", width: 70000, height: 3 });
  });

  it("reads GIF87a and GIF89a logical screen sizes", () => {
    expect(imageSize(bytes("GIF89a", le16(320), le16(200), [0xf7, 0, 0]))).toEqual({
      type: "image/gif",
      width: 320,
      height: 200,
    });
    expect(imageSize(bytes("GIF87a", le16(1), le16(65535)))).toEqual({
      type: "image/gif",
      width: 1,
      height: 65535,
    });
  });

  it("finds the JPEG frame header past other segments and fill bytes", () => {
    expect(imageSize(jpeg(app0, dht, sof(0xc0, 640, 480)))).toEqual({
      type: "image/jpeg",
      width: 640,
      height: 480,
    });
    expect(imageSize(jpeg(app0, [0xff, 0xff, 0xff], sof(0xc2, 1, 2)))).toEqual({
      type: "image/jpeg",
      width: 1,
      height: 2,
    });
  });

  it("does not take DHT, JPG or DAC segments for frame headers", () => {
    for (const marker of [0xc4, 0xc8, 0xcc]) {
      expect(imageSize(jpeg(sof(marker, 10, 10), sof(0xc1, 30, 20)))).toEqual({
        type: "image/jpeg",
        width: 30,
        height: 20,
      });
    }
  });

  it("gives up on JPEGs whose scan comes before any frame header, or that are cut short", () => {
    expect(imageSize(jpeg(app0, [0xff, 0xda, 0, 2], sof(0xc0, 5, 5)))).toBeUndefined();
    expect(imageSize(jpeg(app0, [0xff, 0xd9]))).toBeUndefined();
    expect(imageSize(jpeg(app0, sof(0xc0, 640, 480).slice(0, 7)))).toBeUndefined();
    expect(imageSize(jpeg(app0.slice(0, 3)))).toBeUndefined();
    expect(imageSize(jpeg(app0, [0x00, 0x01]))).toBeUndefined();
    expect(imageSize(jpeg([0xff, 0xe0, 0, 0]))).toBeUndefined();
  });

  it("reads the three kinds of WebP", () => {
    // VP8X: canvas size minus one, 24-bit little endian.
    expect(imageSize(webp("VP8X", [0x10, 0, 0, 0, ...le24(999), ...le24(499)]))).toEqual({
      type: "image/webp",
      width: 1000,
      height: 500,
    });
    // VP8L: signature 0x2f, then 14 + 14 bits of size minus one.
    const bits = (400 - 1) | ((300 - 1) << 14);
    expect(
      imageSize(webp("VP8L", [0x2f, bits & 0xff, (bits >> 8) & 0xff, (bits >> 16) & 0xff, bits >>> 24])),
    ).toEqual({ type: "image/webp", width: 400, height: 300 });
    // VP8: frame tag, start code, then 14-bit sizes whose top bits are the scale (ignored).
    expect(
      imageSize(
        webp("VP8 ", [0x30, 0x01, 0x00, 0x9d, 0x01, 0x2a, ...le16(640 | 0x4000), ...le16(480 | 0xc000)]),
      ),
    ).toEqual({
      type: "image/webp",
      width: 640,
      height: 480,
    });
    expect(
      imageSize(webp("VP8 ", [0x30, 0x01, 0x00, 0x00, 0x00, 0x00, ...le16(640), ...le16(480)])),
    ).toBeUndefined();
    expect(imageSize(webp("VP8L", [0x00, 1, 2, 3, 4]))).toBeUndefined();
    expect(imageSize(webp("ALPH", [0, 0, 0, 0]))).toBeUndefined();
  });

  it("returns undefined for other formats, truncated headers and zero sizes", () => {
    expect(imageSize(new Uint8Array(0))).toBeUndefined();
    expect(imageSize(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"))).toBeUndefined();
    expect(imageSize(png(64, 48).subarray(0, 23))).toBeUndefined();
    expect(imageSize(bytes("GIF89a", le16(320)))).toBeUndefined();
    expect(imageSize(bytes("RIFF", [0, 0, 0, 0], "WEBPVP8X"))).toBeUndefined();
    expect(imageSize(png(0, 48))).toBeUndefined();
    expect(imageSize(bytes("GIF89a", le16(5), le16(0)))).toBeUndefined();
    expect(imageSize(jpeg(sof(0xc0, 100, 0)))).toBeUndefined();
  });

  it("reads a header that starts inside a larger buffer", () => {
    const frame = bytes([1, 2, 3], [...png(7, 9)]);
    expect(imageSize(frame.subarray(3))).toEqual({ type: "image/png", width: 7, height: 9 });
  });
});
