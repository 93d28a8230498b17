import { DrizzleQueryError } from "drizzle-orm/errors";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { StoreError, StoreQueryError, StoreUnavailableError } from "./errors.js";
import type { StoreDriverName } from "./options.js";
import * as sqliteTables from "./schema/sqlite.js";

/**
 * What we keep of a driver error. Deliberately NOT the error itself: drizzle's DrizzleQueryError
 * carries the query parameters (registration credentials, message bodies),
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

/**
 * better-sqlite3's extended result codes, as the SQLSTATE PostgreSQL gives for the same failure:
 * callers handle one vocabulary whatever the driver.
 */
const SQLITE_AS_SQLSTATE: Record<string, string> = {
  SQLITE_CONSTRAINT_UNIQUE: "23505",
  SQLITE_CONSTRAINT_PRIMARYKEY: "23505",
  SQLITE_CONSTRAINT_FOREIGNKEY: "23503",
  SQLITE_CONSTRAINT_NOTNULL: "23502",
  SQLITE_CONSTRAINT_CHECK: "23514",
};

/** SQLite codes meaning the file cannot be used (locked by another process, unreadable, full…). */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|CANTOPEN|READONLY|IOERR|FULL|CORRUPT|NOTADB|PERM)/;

/**
 * SQLite names the columns of a failed unique constraint ("UNIQUE constraint failed: users.jid"),
 * PostgreSQL the constraint: this maps the former to the latter, from the schema itself.
 */
const sqliteUniqueConstraints: ReadonlyMap<string, string> = new Map(
  Object.values(sqliteTables).flatMap((table: SQLiteTable) => {
    const config = getTableConfig(table);
    const columnsOf = (columns: readonly { name: string }[]) =>
      columns.map((column) => `${config.name}.${column.name}`).join(", ");
    return [
      ...config.uniqueConstraints.map((u) => [columnsOf(u.columns), u.name ?? ""] as const),
      ...config.indexes
        .filter((index) => index.config.unique)
        .map((index) => [columnsOf(index.config.columns as { name: string }[]), index.config.name] as const),
      ...config.columns
        .filter((column) => column.isUnique)
        .map((column) => [`${config.name}.${column.name}`, column.uniqueName ?? ""] as const),
      ...config.columns
        .filter((column) => column.primary)
        .map((column) => [`${config.name}.${column.name}`, `${config.name}_pkey`] as const),
    ];
  }),
);

/** What SQLite's message says failed: a constraint name (CHECK) or the unique columns' constraint. */
function sqliteConstraint(code: string, message: string): string | undefined {
  const subject = /constraint failed: (.+)$/.exec(message)?.[1];
  if (subject === undefined) return undefined;
  if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
    return sqliteUniqueConstraints.get(subject);
  }
  return code === "SQLITE_CONSTRAINT_CHECK" ? subject : undefined;
}

/**
 * Failures that go away by themselves, so a query is worth trying again: no connection (the
 * server restarts; postgres.js opens a new one for the next query), the server shutting down or
 * still starting (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now), a
 * connection exception (class 08), SQLite's file busy or locked by another connection. Not:
 * authentication, a missing database, constraint violations; nor a store closed on purpose
 * (postgres.js says CONNECTION_ENDED after end(), better-sqlite3 "connection is not open").
 */
export function isTransientFailure(error: unknown): boolean {
  if (error instanceof StoreError) return false;
  const { code } = describeFailure(error);
  if (code === undefined || code === "CONNECTION_ENDED") return false;
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith("08") ||
    code === "57P01" ||
    code === "57P02" ||
    code === "57P03" ||
    /^SQLITE_(BUSY|LOCKED)/.test(code)
  );
}

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
  if (code?.startsWith("SQLITE_")) {
    return {
      message: current.message || code,
      code: SQLITE_AS_SQLSTATE[code] ?? code,
      constraint: sqliteConstraint(code, current.message),
    };
  }
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
    SQLITE_UNAVAILABLE.test(code) ||
    // better-sqlite3 after close(); postgres.js after end() says CONNECTION_ENDED instead.
    /database connection is not open/i.test(failure.message)
  ) {
    return new StoreUnavailableError(driver, target, failure.message);
  }
  return new StoreQueryError(`${driver} query failed: ${failure.message}`, failure.code, failure.constraint);
}
