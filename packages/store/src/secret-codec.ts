import { StoreQueryError } from "./errors.js";

/**
 * Serialization of the secret-bearing user columns (`registration`, `legacy_data`).
 *
 * Today the stored form is plain JSON text. Encryption at rest will add a second, prefixed
 * envelope format (e.g. `gw-enc:v1:…`); JSON objects always start with `{`, so both formats can
 * coexist in the same column and rows can be re-encrypted lazily. Keeping this in one module is
 * what makes that change local.
 */
export function encodeSecret(value: Record<string, unknown>): string {
  return JSON.stringify(value);
}

export function decodeSecret(stored: string, column: string): Record<string, unknown> {
  const value: unknown = JSON.parse(stored);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StoreQueryError(`column ${column} does not hold a JSON object`);
  }
  return value as Record<string, unknown>;
}
