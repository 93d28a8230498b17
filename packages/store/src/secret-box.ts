import { createCipheriv, createDecipheriv, createHash, randomBytes, scryptSync } from "node:crypto";
import { StoreConfigError } from "./errors.js";

/**
 * Encryption at rest for users' secrets (registration data, legacy session state): AES-256-GCM
 * with a random 96-bit IV per value, the column and the user's JID as additional authenticated
 * data (a sealed value copied to another row or column fails to open), and the key's id in the
 * envelope so values sealed with an older key still open during a key rotation.
 *
 * Envelope: `gw-enc:v1:<key id>:<iv, base64url>:<ciphertext + 16-byte tag, base64url>`.
 */
export const SEALED_PREFIX = "gw-enc:v1:";
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Fixed salt: the key material is expected to be high-entropy; scrypt only stretches passphrases. */
const PASSPHRASE_SALT = "gangway-secret-key-v1";

/** Turns operator-supplied key material into a 32-byte key: base64 of 32 bytes as is, else scrypt. */
export function keyFromMaterial(material: string): Buffer {
  const trimmed = material.trim();
  if (trimmed.length === 0) throw new StoreConfigError("the secret key is empty");
  const decoded = Buffer.from(trimmed, "base64");
  if (decoded.length === KEY_BYTES && decoded.toString("base64") === trimmed) return decoded;
  if (trimmed.length < 16) throw new StoreConfigError("a secret key passphrase needs at least 16 characters");
  return scryptSync(trimmed, PASSPHRASE_SALT, KEY_BYTES);
}

/** A new random key, base64-encoded (what a key file holds). */
export function generateKeyMaterial(): string {
  return randomBytes(KEY_BYTES).toString("base64");
}

function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

export class SecretBox {
  readonly keyId: string;
  private readonly current: Buffer;
  private readonly keys: ReadonlyMap<string, Buffer>;

  /** `current` seals; `previous` keys only open (for rotation). */
  constructor(current: Buffer, previous: readonly Buffer[] = []) {
    if (current.length !== KEY_BYTES) throw new StoreConfigError("the secret key must be 32 bytes");
    this.current = current;
    this.keyId = keyId(current);
    this.keys = new Map([...previous, current].map((key) => [keyId(key), key]));
  }

  static fromMaterial(current: string, previous: readonly string[] = []): SecretBox {
    return new SecretBox(keyFromMaterial(current), previous.map(keyFromMaterial));
  }

  static isSealed(stored: string): boolean {
    return stored.startsWith(SEALED_PREFIX);
  }

  /** True when the value was sealed with a key other than the current one. */
  needsResealing(stored: string): boolean {
    return !stored.startsWith(`${SEALED_PREFIX}${this.keyId}:`);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.current, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${this.keyId}:${iv.toString("base64url")}:${body.toString("base64url")}`;
  }

  open(sealed: string, context: string): string {
    const [id, ivText, bodyText] = sealed.slice(SEALED_PREFIX.length).split(":");
    const key = id ? this.keys.get(id) : undefined;
    if (!key || !ivText || !bodyText) {
      throw new StoreConfigError(
        `a value in ${context.split("\u0000")[0]} was sealed with key ${id ?? "?"}, which is not configured: ` +
          "pass that key as a previous secret key",
      );
    }
    const body = Buffer.from(bodyText, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(ivText, "base64url"));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(body.subarray(0, body.length - TAG_BYTES)),
        decipher.final(),
      ]).toString("utf8");
    } catch {
      throw new StoreConfigError(`a sealed value in ${context.split("\u0000")[0]} failed authentication`);
    }
  }
}
