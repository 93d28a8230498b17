import { type Element, xml } from "./element.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_SFS = "urn:xmpp:sfs:0";
export const NS_FILE_METADATA = "urn:xmpp:file:metadata:0";
export const NS_URL_DATA = "http://jabber.org/protocol/url-data";
export const NS_HASHES = "urn:xmpp:hashes:2";
const NS_OOB = "jabber:x:oob";

/**
 * A file shared by URL, as a message carries it: XEP-0066 out-of-band data and XEP-0447 stateless
 * file sharing with XEP-0446 metadata. Plain data (no elements) so a room's archive can keep it.
 */
export interface SharedFile {
  /** The http(s) URL the file is downloaded from (the message's body too, see outOfBandMessage). */
  url: string;
  name: string;
  /** The MIME type, e.g. `image/png`. */
  mediaType: string;
  /** In bytes. */
  size: number;
  /** XEP-0300 hashes by algorithm (`sha-256`), base64. */
  hashes?: Record<string, string>;
  /** Pixels, for images and videos. */
  width?: number;
  height?: number;
  /** Milliseconds, for audio and video (XEP-0446 `<length/>`). */
  durationMs?: number;
  /** A description of the file (a caption). */
  desc?: string;
}

const positive = (value: number | undefined) =>
  value !== undefined && Number.isSafeInteger(value) && value > 0 ? String(value) : undefined;

/** XEP-0446 `<file/>`: what a client shows before downloading (name, type, size, dimensions, hash). */
export function fileMetadataElement(file: SharedFile): Element {
  if (!Number.isSafeInteger(file.size) || file.size < 0) {
    throw new RangeError("A shared file's size must be a non-negative integer number of bytes.");
  }
  const text = (name: string, value: string | undefined) =>
    value === undefined || value === "" ? null : xml(name, {}, value);
  return xml(
    "file",
    { xmlns: NS_FILE_METADATA },
    text("media-type", sanitizeXmlText(file.mediaType)),
    text("name", sanitizeXmlText(file.name)),
    text("size", String(file.size)),
    text("width", positive(file.width)),
    text("height", positive(file.height)),
    text("length", positive(file.durationMs)),
    text("desc", file.desc === undefined ? undefined : sanitizeXmlText(file.desc)),
    Object.entries(file.hashes ?? {}).map(([algo, value]) => xml("hash", { xmlns: NS_HASHES, algo }, value)),
  );
}

/**
 * What a message sharing `file` carries besides its body: XEP-0066 `<x xmlns="jabber:x:oob"/>` (the
 * URL, what most clients read) and XEP-0447 `<file-sharing/>` (metadata and the URL as its source).
 */
export function sharedFileElements(file: SharedFile): Element[] {
  if (!isHttpUrl(file.url)) throw new RangeError("A shared file's URL must be an http(s) URL.");
  return [
    xml("x", { xmlns: NS_OOB }, xml("url", {}, file.url)),
    xml(
      "file-sharing",
      { xmlns: NS_SFS, disposition: file.mediaType.startsWith("image/") ? "inline" : "attachment" },
      fileMetadataElement(file),
      xml("sources", {}, xml("url-data", { xmlns: NS_URL_DATA, target: file.url })),
    ),
  ];
}

/** What a user's message declares about a file it shares (all optional: OOB alone says nothing). */
export interface DeclaredFile {
  /** The body, which equals the OOB URL or an SFS source. */
  url: string;
  name?: string;
  mediaType?: string;
  size?: number;
  /** The URL is an `aesgcm://` one (XEP-0454): encrypted, the key in its fragment. */
  encrypted: boolean;
}

/**
 * The file a user's message shares, when it shares one the way clients do: the body is the URL,
 * and that URL is the message's OOB URL or one of its XEP-0447 sources. An `aesgcm://` body
 * (XEP-0454, OMEMO media sharing) is reported as `encrypted`. Anything else (a link in a
 * sentence, an OOB URL the body does not repeat) is text.
 */
export function sharedFileOf(
  stanza: Element,
  parsed: { body?: string | undefined; oobUrls: readonly string[] },
): DeclaredFile | undefined {
  const body = parsed.body?.trim();
  if (!body || /\s/.test(body)) return undefined;
  if (/^aesgcm:\/\//i.test(body)) return { url: body, encrypted: true };
  if (!isHttpUrl(body)) return undefined;
  const sharing = stanza.getChildren("file-sharing", NS_SFS).find((element) =>
    element
      .getChild("sources")
      ?.getChildren("url-data", NS_URL_DATA)
      .some((source) => source.attrs.target === body),
  );
  if (!sharing && !parsed.oobUrls.includes(body)) return undefined;
  const metadata = sharing?.getChild("file", NS_FILE_METADATA);
  const text = (name: string) => metadata?.getChildText(name)?.trim() || undefined;
  const size = text("size");
  const mediaType = text("media-type");
  const name = text("name");
  return {
    url: body,
    encrypted: false,
    ...(name !== undefined && { name }),
    ...(mediaType !== undefined &&
      /^[\w.+-]+\/[\w.+-]+$/.test(mediaType) && { mediaType: mediaType.toLowerCase() }),
    ...(size !== undefined && /^\d{1,15}$/.test(size) && { size: Number(size) }),
  };
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === "http:" || protocol === "https:";
}
