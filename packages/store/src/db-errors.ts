import { DrizzleQueryError } from "drizzle-orm/errors";
import { StoreError, StoreQueryError, StoreUnavailableError } from "./errors.js";
import type { StoreDriverName } from "./options.js";

/**
 * What we keep of a driver error. Deliberately NOT the error itself: drizzle's DrizzleQueryError
 * and PGlite's DatabaseError carry the query parameters (registration credentials, message bodies),
 * and PostgreSQL's `detail` can echo a whole failing row. Anything that reaches a log must not.
 */
interface DriverFailure {
  message: string;
  /** SQLSTATE for server errors, or a Node/postgres.js code such as ECONNREFUSED. */
  code: string | undefined;
  constraint: string | undefined;
}

/** Node system errors and postgres.js client-side codes meaning "no usable connection". */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** SQLSTATEs meaning the server is there but will not serve us. */
function isUnavailableSqlState(code: string): boolean {
  return (
    code.startsWith("08") || // connection exception
    code.startsWith("28") || // invalid authorization (wrong password/user)
    code === "3D000" || // database does not exist
    code === "53300" || // too many connections
    code.startsWith("57P") // admin shutdown, crash shutdown, cannot connect now
  );
}

function describeFailure(error: unknown): DriverFailure {
  let current: unknown = error;
  // drizzle wraps the driver's error; the useful (and parameter-free) part is its cause.
  while (current instanceof DrizzleQueryError && current.cause) current = current.cause;
  if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
  if (!(current instanceof Error))
    return { message: String(current), code: undefined, constraint: undefined };
  const fields = current as Error & { code?: unknown; constraint?: unknown; constraint_name?: unknown };
  const code = typeof fields.code === "string" ? fields.code : undefined;
  const constraint = fields.constraint_name ?? fields.constraint;
  return {
    message: current.message || code || current.name,
    code,
    constraint: typeof constraint === "string" ? constraint : undefined,
  };
}

/** The driver's own message, without the query parameters drizzle would append. */
export function failureMessage(error: unknown): string {
  return describeFailure(error).message;
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  const failure = describeFailure(error);
  return failure.code === "23505" && failure.constraint === constraint;
}

/** Turns any driver failure into a StoreError that is safe to log. */
export function toStoreError(error: unknown, driver: StoreDriverName, target: string): Error {
  if (error instanceof StoreError) return error;
  const failure = describeFailure(error);
  const code = failure.code ?? "";
  if (
    CONNECTION_CODES.has(code) ||
    isUnavailableSqlState(code) ||
    /pglite is closed/i.test(failure.message)
  ) {
    return new StoreUnavailableError(driver, target, failure.message);
  }
  return new StoreQueryError(`${driver} query failed: ${failure.message}`, failure.code, failure.constraint);
}
