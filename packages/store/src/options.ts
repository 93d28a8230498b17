import type { SecretBox } from "./secret-box.js";
export type StoreDriverName = "pglite" | "postgres";

export type StoreOptions =
  /** Embedded PostgreSQL (WASM) in this process; `dataDir` undefined keeps everything in memory. */
  (
    | { driver: "pglite"; dataDir?: string }
    /** A PostgreSQL server, e.g. `postgres://user:password@host:5432/gangway`. */
    | { driver: "postgres"; url: string }
  ) & {
    /** Seals users' registration and legacy data at rest; without it they are stored as plain JSON. */
    secretBox?: SecretBox;
  };

/** Structural subset of a pino logger, so callers can pass theirs without this package depending on pino. */
export interface StoreLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
