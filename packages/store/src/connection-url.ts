import { StoreConfigError } from "./errors.js";

export interface PostgresTarget {
  url: URL;
  /** `user@host:port/database`, safe to log and to put in error messages. */
  description: string;
}

/** Validates a PostgreSQL URL up front, so a typo fails with a clear message instead of a driver stack trace. */
export function parsePostgresUrl(raw: string): PostgresTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The raw string may contain a password: never echo it.
    throw new StoreConfigError(
      "the PostgreSQL URL is not a valid URL (expected postgres://user:password@host:port/database)",
    );
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    throw new StoreConfigError(
      `the PostgreSQL URL must start with postgres:// or postgresql://, not ${url.protocol}//`,
    );
  }
  const database = url.pathname.replace(/^\//, "");
  const user = url.username ? `${decodeURIComponent(url.username)}@` : "";
  // postgres.js reads `?host=/run/postgresql` for unix sockets when the URL host is empty.
  const host = url.hostname || url.searchParams.get("host") || "localhost";
  const port = url.port || "5432";
  return { url, description: `${user}${host}:${port}/${database || "(default database)"}` };
}

/** The URL with its password replaced, for logs. */
export function redactPostgresUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "(unparseable URL)";
  }
}
