import { StoreConfigError, StoreQueryError } from "./errors.js";
import { SecretBox } from "./secret-box.js";

/**
 * Serialization of the secret-bearing user columns (`registration`, `legacy_data`): JSON, sealed
 * by a SecretBox when the store has one. Plain JSON (always starting with `{`) stays readable, so
 * a database written before encryption was configured opens, and its rows are sealed on their
 * next write or by `users.resealAll()`.
 */
export interface SecretContext {
  box: SecretBox | undefined;
  column: string;
  /** The row's owner: bound into the seal, so a value cannot be moved to another user. */
  jid: string;
}

const aad = (context: SecretContext) => `${context.column}\u0000${context.jid}`;

export function encodeSecret(value: Record<string, unknown>, context: SecretContext): string {
  const json = JSON.stringify(value);
  return context.box ? context.box.seal(json, aad(context)) : json;
}

export function decodeSecret(stored: string, context: SecretContext): Record<string, unknown> {
  let json = stored;
  if (SecretBox.isSealed(stored)) {
    if (!context.box) {
      throw new StoreConfigError(
        `${context.column} is encrypted, but no secret key was given to open the store`,
      );
    }
    json = context.box.open(stored, aad(context));
  }
  const value: unknown = JSON.parse(json);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new StoreQueryError(`column ${context.column} does not hold a JSON object`);
  }
  return value as Record<string, unknown>;
}
