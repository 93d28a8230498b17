import { iq } from "./builders.js";
import { type Element, xml } from "./element.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_VCARD_TEMP = "vcard-temp";
export const NS_VCARD4 = "urn:ietf:params:xml:ns:vcard-4.0";
/** XEP-0292 §3: the PEP node clients that know vCard4 read rather than sending an IQ. */
export const NODE_VCARD4 = "urn:xmpp:vcard4";

/**
 * What a gateway knows about a contact, as legacy networks give it. Every text goes through
 * `sanitizeXmlText`; fields that are missing, empty or only whitespace (after that) are left out.
 */
export interface VCardInfo {
  fullName?: string;
  nickname?: string;
  given?: string;
  family?: string;
  email?: string;
  phone?: string;
  url?: string;
  note?: string;
  /** ISO 8601: `1990-04-23`, `--04-23` (no year), `19900423`… Anything else is kept as text. */
  birthday?: string;
  avatar?: { type: string; data: Uint8Array };
}

function clean(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const sanitized = sanitizeXmlText(text);
  return sanitized.trim() === "" ? undefined : sanitized;
}

/** `xml(name, {}, text)` when there is a text, nothing otherwise. */
function textElement(name: string, text: string | undefined): Element | null {
  return text === undefined ? null : xml(name, {}, text);
}

function base64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

/**
 * XEP-0054 `<vCard xmlns="vcard-temp">`, with the elements in the order of the XEP's DTD (FN, N,
 * NICKNAME, PHOTO, BDAY, TEL, EMAIL, URL, DESC). The photo is the XEP-0153 avatar: unwrapped base64
 * in BINVAL. With nothing known it is an empty `<vCard/>`, which is still a valid answer.
 */
export function vcardTempElement(info: VCardInfo): Element {
  const given = clean(info.given);
  const family = clean(info.family);
  const phone = clean(info.phone);
  const email = clean(info.email);
  const avatar = info.avatar !== undefined && info.avatar.data.byteLength > 0 ? info.avatar : undefined;
  return xml(
    "vCard",
    { xmlns: NS_VCARD_TEMP },
    textElement("FN", clean(info.fullName)),
    given !== undefined || family !== undefined
      ? xml("N", {}, textElement("FAMILY", family), textElement("GIVEN", given))
      : null,
    textElement("NICKNAME", clean(info.nickname)),
    avatar
      ? xml("PHOTO", {}, textElement("TYPE", clean(avatar.type)), xml("BINVAL", {}, base64(avatar.data)))
      : null,
    textElement("BDAY", clean(info.birthday)),
    phone !== undefined ? xml("TEL", {}, xml("NUMBER", {}, phone)) : null,
    email !== undefined ? xml("EMAIL", {}, xml("USERID", {}, email)) : null,
    textElement("URL", clean(info.url)),
    textElement("DESC", clean(info.note)),
  );
}

// RFC 6351's value-date is the basic format (19900423, 1990-04, --0423, ---23); XEP-0292's own
// examples and the clients reading it use the extended YYYY-MM-DD, so both are accepted as dates.
const VCARD_DATE = /^(?:\d{4}-\d{2}-\d{2}|\d{8}|\d{4}-\d{2}|\d{4}|--\d{2}-?\d{2}|---\d{2})$/;

// RFC 3966 global numbers: "+" then digits and visual separators. Spaces are not allowed in a URI,
// so they become "-" (a visual separator too); anything else (letters, extensions written "x12",
// local numbers without a country code) stays text, which vCard 4 TEL also permits.
const GLOBAL_NUMBER = /^\+[\d\s().-]*\d[\d\s().-]*$/;

function telValue(phone: string): Element {
  const trimmed = phone.trim();
  if (/^tel:\S+$/i.test(trimmed)) return xml("uri", {}, trimmed);
  if (GLOBAL_NUMBER.test(trimmed)) return xml("uri", {}, `tel:${trimmed.replace(/\s+/g, "-")}`);
  return xml("text", {}, phone);
}

/**
 * XEP-0292 `<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0">`. The avatar is not included: XEP-0292
 * leaves avatars to XEP-0084, which a gateway publishes separately.
 */
export function vcard4Element(info: VCardInfo): Element {
  const given = clean(info.given);
  const family = clean(info.family);
  const birthday = clean(info.birthday);
  const phone = clean(info.phone);
  const email = clean(info.email);
  const url = clean(info.url);
  const value = (text: string | undefined) => (text === undefined ? null : xml("text", {}, text));
  const property = (name: string, child: Element | null) => (child === null ? null : xml(name, {}, child));
  return xml(
    "vcard",
    { xmlns: NS_VCARD4 },
    property("fn", value(clean(info.fullName))),
    // n is a structured value whose components are positional (RFC 6350 §6.2.2): a missing one is
    // written empty rather than left out, so readers never take a given name for a surname.
    given !== undefined || family !== undefined
      ? xml("n", {}, xml("surname", {}, family ?? ""), xml("given", {}, given ?? ""))
      : null,
    property("nickname", value(clean(info.nickname))),
    birthday === undefined
      ? null
      : xml(
          "bday",
          {},
          VCARD_DATE.test(birthday.trim()) ? xml("date", {}, birthday.trim()) : value(birthday),
        ),
    phone === undefined ? null : xml("tel", {}, telValue(phone)),
    property("email", value(email)),
    url === undefined ? null : xml("url", {}, xml("uri", {}, url)),
    property("note", value(clean(info.note))),
  );
}

/**
 * The vCard4 PEP node's item (XEP-0292 §3): `<item id="current">` around {@link vcard4Element}.
 * "current" is the id the XEP gives the one item of that node.
 */
export function vcard4PepItem(info: VCardInfo): Element {
  return xml("item", { id: "current" }, vcard4Element(info));
}

/** `<iq type="get" to><vCard xmlns="vcard-temp"/></iq>`: asks for someone's XEP-0054 vCard. */
export function vcardTempRequest(to: string): Element {
  return iq({ type: "get", to }, xml("vCard", { xmlns: NS_VCARD_TEMP }));
}

/** The picture of a vCard, as {@link parseVCardTempPhoto} reads it. */
export interface VCardPhoto {
  data: Buffer;
  /** MIME type from `<TYPE/>`, `image/png` when the vCard does not say. */
  type: string;
}

// Standard base64 (RFC 4648 §4), padded or not. Buffer.from(…, "base64") skips whatever else it
// meets, so a corrupt BINVAL would decode to a shorter, broken image instead of being refused.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

/**
 * The XEP-0153 photo in the answer to {@link vcardTempRequest}: `<PHOTO><TYPE/><BINVAL/></PHOTO>`.
 * BINVAL is usually wrapped at 76 columns (XEP-0054 copies MIME), so whitespace is removed before
 * decoding. `undefined` when the answer has no vCard, no photo, a photo given only as a URL
 * (EXTVAL, which a gateway does not fetch), or a BINVAL that is empty or not base64.
 */
export function parseVCardTempPhoto(result: Element): VCardPhoto | undefined {
  const photo = result.getChild("vCard", NS_VCARD_TEMP)?.getChild("PHOTO");
  const base64 = photo?.getChildText("BINVAL")?.replace(/\s+/g, "");
  if (!photo || !base64 || !BASE64.test(base64)) return undefined;
  return { data: Buffer.from(base64, "base64"), type: photo.getChildText("TYPE")?.trim() || "image/png" };
}
