import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Signed, expiring links to the files the gateway serves itself (see file-server.ts):
 * `<base>/<id>/<expires>/<signature>/<name>`, where the signature is HMAC-SHA256 over the id and
 * the expiry (unix seconds) with a key derived from the gateway's secret key. Ids are 128 random
 * bits in base64url: a link cannot be guessed, and nothing in it can name another path on disk.
 */

const ID = /^[A-Za-z0-9_-]{22}$/;
const SIGNATURE = /^[A-Za-z0-9_-]{43}$/;
/** The link's last four path segments (the name may be empty); any prefix is the proxy's. */
const LINK_PATH = /\/([A-Za-z0-9_-]{22})\/(\d{1,12})\/([A-Za-z0-9_-]{43})\/[^/]*$/;

/** The HMAC key for file links, derived (HKDF-SHA256) from the 32-byte key that seals users' secrets. */
export function fileLinkKey(secretKey: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", secretKey, "gangway", "gangway file links v1", 32));
}

export function newFileId(): string {
  return randomBytes(16).toString("base64url");
}

export function isFileId(text: string): boolean {
  return ID.test(text);
}

function signature(key: Buffer, id: string, expiresS: number): Buffer {
  return createHmac("sha256", key).update(`${id}.${expiresS}`).digest();
}

/** The path of the link to file `id` until `expiresS` (unix seconds), ending in its name for clients. */
export function signedPath(key: Buffer, id: string, expiresS: number, name: string): string {
  if (!isFileId(id)) throw new RangeError("not a file id");
  const sig = signature(key, id, expiresS).toString("base64url");
  return `/${id}/${expiresS}/${sig}/${encodeURIComponent(name)}`;
}

/**
 * The file id a request's path names, when its signature is right and it has not expired; else
 * undefined, whichever the reason (the caller answers 404 alike: a prober learns nothing).
 */
export function verifiedFileId(key: Buffer, pathname: string, nowMs: number): string | undefined {
  const match = LINK_PATH.exec(pathname);
  if (!match) return undefined;
  const [, id = "", expiresText = "", sigText = ""] = match;
  if (!SIGNATURE.test(sigText)) return undefined;
  const expiresS = Number(expiresText);
  // As text: base64url's last character has spare bits, so decoded bytes would let several
  // spellings of one signature through.
  const expected = Buffer.from(signature(key, id, expiresS).toString("base64url"));
  const given = Buffer.from(sigText);
  // Compared in constant time, and before the expiry, so timing tells nothing of the signature.
  const valid = given.length === expected.length && timingSafeEqual(given, expected);
  if (!valid || expiresS * 1000 <= nowMs) return undefined;
  return id;
}
