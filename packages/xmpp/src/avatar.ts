import { createHash } from "node:crypto";
import { message } from "./builders.js";
import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_AVATAR_METADATA = "urn:xmpp:avatar:metadata";
export const NS_AVATAR_DATA = "urn:xmpp:avatar:data";
export const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
export const NS_PUBSUB_EVENT = "http://jabber.org/protocol/pubsub#event";

function bytesOf(data: Uint8Array): Buffer {
  // A view into a larger buffer (a decoded network frame, a subarray) must only count its own bytes.
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * SHA-1 of the image, lowercase hex: the item id of XEP-0084 and the `<photo/>` hash of XEP-0153,
 * which must be the same value for clients to match the two.
 */
export function avatarHash(data: Uint8Array): string {
  return createHash("sha1").update(bytesOf(data)).digest("hex");
}

/** One XEP-0084 `<info/>`: the avatar a contact currently has. */
export interface AvatarMetadata {
  /** {@link avatarHash} of the bytes. */
  id: string;
  bytes: number;
  /** MIME type, e.g. `image/png`. */
  type: string;
  width?: number;
  height?: number;
  /** Where clients fetch the image when it is not published in the data node. */
  url?: string;
}

// XEP-0084's schema types bytes as xs:unsignedInt and width/height as xs:unsignedShort; a value
// outside them is a caller bug that clients would reject without telling anyone.
function checkInteger(name: string, value: number | undefined, max: number, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
    throw new RangeError(`Avatar ${name} must be an integer from ${min} to ${max}, not ${value}.`);
  }
}

/**
 * The metadata node's item: `<item id=hash><metadata xmlns="urn:xmpp:avatar:metadata"><info/>`.
 * With `null`, the "no avatar" item (an empty `<metadata/>`, XEP-0084 §4.5), with `itemId` as its
 * id when given: an item answering an items request needs one, a notification does not.
 */
export function avatarMetadataItem(info: AvatarMetadata): Element;
export function avatarMetadataItem(info: null, itemId?: string): Element;
export function avatarMetadataItem(info: AvatarMetadata | null, itemId?: string): Element {
  if (info === null) return xml("item", { id: itemId }, xml("metadata", { xmlns: NS_AVATAR_METADATA }));
  const { id, bytes, type, width, height, url } = info;
  if (id === "") throw new RangeError("An avatar id must not be empty.");
  checkInteger("bytes", bytes, 0xffffffff, 0);
  checkInteger("width", width, 0xffff, 1);
  checkInteger("height", height, 0xffff, 1);
  return xml(
    "item",
    { id },
    xml(
      "metadata",
      { xmlns: NS_AVATAR_METADATA },
      xml("info", {
        bytes,
        height,
        id,
        type: sanitizeXmlText(type),
        url: url === undefined ? undefined : sanitizeXmlText(url),
        width,
      }),
    ),
  );
}

/** The data node's item: `<item id=hash><data xmlns="urn:xmpp:avatar:data">base64</data></item>`. */
export function avatarDataItem(id: string, data: Uint8Array): Element {
  return xml("item", { id }, xml("data", { xmlns: NS_AVATAR_DATA }, bytesOf(data).toString("base64")));
}

/** `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node>…</items></pubsub>`: an items result. */
export function pepItemsResult(node: string, items: readonly Element[]): Element {
  return xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node }, [...items]));
}

export interface PubsubItemsRequest {
  node: string;
  /** The requested item ids; empty when the request asks for the node's items in general. */
  itemIds: string[];
  maxItems?: number;
}

/**
 * Reads an XEP-0060 items request (the child of an `iq type="get"`). Returns `undefined` when the
 * payload is some other pubsub request (subscriptions, affiliations…), so the caller can answer
 * `feature-not-implemented`; a malformed items request throws `XmppError("bad-request")`, which
 * the IQ router turns into the error reply.
 */
export function parsePubsubItemsRequest(iqChild: Element): PubsubItemsRequest | undefined {
  if (!iqChild.is("pubsub", NS_PUBSUB)) return undefined;
  const items = iqChild.getChild("items");
  if (items === undefined) return undefined;
  const node = items.attrs.node;
  if (!node) throw new XmppError("bad-request", "An items request needs a node.");
  const itemIds = items.getChildren("item").map((item) => {
    const id = item.attrs.id;
    if (!id) throw new XmppError("bad-request", "A requested item needs an id.");
    return id;
  });
  const request: PubsubItemsRequest = { node, itemIds };
  const max = items.attrs.max_items;
  if (max !== undefined) {
    if (!/^[1-9]\d*$/.test(max) || !Number.isSafeInteger(Number(max))) {
      throw new XmppError("bad-request", `max_items must be a positive integer, not "${max}".`);
    }
    request.maxItems = Number(max);
  }
  return request;
}

export interface AvatarEventMessage {
  /** The puppet's bare JID: PEP events come from the account that owns the node. */
  from: string;
  to: string;
  id: string;
  /** From {@link avatarMetadataItem}. */
  metadataItem: Element;
}

/**
 * The PEP notification of a new (or removed) avatar. Typed `headline`, as servers send PEP events:
 * headlines are not stored offline or in archives, and a stale avatar notification is worthless.
 */
export function avatarEventMessage({ from, to, id, metadataItem }: AvatarEventMessage): Element {
  return message(
    { from, to, id, type: "headline" },
    xml("event", { xmlns: NS_PUBSUB_EVENT }, xml("items", { node: NS_AVATAR_METADATA }, metadataItem)),
  );
}

export type ImageType = "image/png" | "image/jpeg" | "image/gif" | "image/webp";

export interface ImageSize {
  type: ImageType;
  width: number;
  height: number;
}

/**
 * Type and pixel size from the first bytes of a PNG, JPEG, GIF or WebP image, for the metadata's
 * width/height. `undefined` for other formats, truncated headers and zero sizes. JPEG sizes are
 * those stored in the frame header, before any EXIF rotation.
 */
export function imageSize(data: Uint8Array): ImageSize | undefined {
  const size = pngSize(data) ?? gifSize(data) ?? jpegSize(data) ?? webpSize(data);
  return size && size.width > 0 && size.height > 0 ? size : undefined;
}

function startsWith(data: Uint8Array, prefix: readonly number[], offset = 0): boolean {
  return data.length >= offset + prefix.length && prefix.every((byte, i) => data[offset + i] === byte);
}

function ascii(text: string): number[] {
  return [...text].map((c) => c.charCodeAt(0));
}

function u16be(data: Uint8Array, at: number): number {
  return (data[at]! << 8) | data[at + 1]!;
}

function u16le(data: Uint8Array, at: number): number {
  return data[at]! | (data[at + 1]! << 8);
}

function u24le(data: Uint8Array, at: number): number {
  return data[at]! | (data[at + 1]! << 8) | (data[at + 2]! << 16);
}

function u32be(data: Uint8Array, at: number): number {
  return ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

// The PNG spec requires IHDR to be the first chunk, so its width and height sit at fixed offsets.
function pngSize(data: Uint8Array): ImageSize | undefined {
  if (!startsWith(data, PNG_SIGNATURE) || !startsWith(data, ascii("IHDR"), 12) || data.length < 24) return;
  return { type: "image/png", width: u32be(data, 16), height: u32be(data, 20) };
}

function gifSize(data: Uint8Array): ImageSize | undefined {
  if (!(startsWith(data, ascii("GIF87a")) || startsWith(data, ascii("GIF89a"))) || data.length < 10) return;
  return { type: "image/gif", width: u16le(data, 6), height: u16le(data, 8) };
}

// SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC) which share the range.
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegSize(data: Uint8Array): ImageSize | undefined {
  if (!startsWith(data, [0xff, 0xd8])) return;
  let at = 2;
  while (at < data.length) {
    if (data[at] !== 0xff) return; // not at a marker: corrupt, or we lost sync
    // Any number of 0xFF fill bytes may precede a marker.
    while (data[at] === 0xff) at++;
    const marker = data[at];
    at++;
    if (marker === undefined) return;
    // Standalone markers have no length field.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) continue;
    // The frame header always precedes the scan; reaching SOS or EOI without one means no size.
    if (marker === 0xd9 || marker === 0xda || at + 2 > data.length) return;
    const length = u16be(data, at);
    if (length < 2) return;
    if (isStartOfFrame(marker)) {
      // length(2) precision(1) height(2) width(2)
      if (at + 7 > data.length) return;
      return { type: "image/jpeg", width: u16be(data, at + 5), height: u16be(data, at + 3) };
    }
    at += length;
  }
  return;
}

function webpSize(data: Uint8Array): ImageSize | undefined {
  if (!startsWith(data, ascii("RIFF")) || !startsWith(data, ascii("WEBP"), 8) || data.length < 30) return;
  const type = "image/webp";
  // The first chunk starts at 12: fourcc(4) size(4), payload at 20.
  if (startsWith(data, ascii("VP8X"), 12)) {
    // flags(1) reserved(3), then canvas width-1 and height-1 as 24-bit little endian.
    return { type, width: u24le(data, 24) + 1, height: u24le(data, 27) + 1 };
  }
  if (startsWith(data, ascii("VP8L"), 12)) {
    if (data[20] !== 0x2f) return;
    // 14 bits of width-1 then 14 bits of height-1, little endian from byte 21.
    const bits = (data[21]! | (data[22]! << 8) | (data[23]! << 16) | (data[24]! << 24)) >>> 0;
    return { type, width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  if (startsWith(data, ascii("VP8 "), 12)) {
    // A key frame: 3-byte frame tag, the start code 9D 01 2A, then 14-bit width and height (the
    // top two bits are the scaling factor, which does not change the stored size).
    if (!startsWith(data, [0x9d, 0x01, 0x2a], 23)) return;
    return { type, width: u16le(data, 26) & 0x3fff, height: u16le(data, 28) & 0x3fff };
  }
  return;
}
