import type { SecretBox } from "./secret-box.js";

export type { StoreDriverName } from "./drivers/driver.js";

export type StoreOptions =
  /** Embedded SQLite in this process, one file; `file` undefined keeps everything in memory. */
  (
    | { driver: "sqlite"; file?: string }
    /** A PostgreSQL server, e.g. `postgres://user:password@host:5432/gangway`. */
    | { driver: "postgres"; url: string }
  ) & {
    /** Seals users' registration and legacy data at rest; without it they are stored as plain JSON. */
    secretBox?: SecretBox;
    /** Tuning of the in-memory id map and write batching; the defaults suit a gateway. */
    messageIds?: MessageIdCacheOptions;
  };

export interface MessageIdCacheOptions {
  /** Id pairs kept in memory per user (most recently used). Default 2,000. */
  perUser?: number;
  /** Rows written in one batch at most. Default 500. */
  maxBatch?: number;
}

/** Structural subset of a pino logger, so callers can pass theirs without this package depending on pino. */
export interface StoreLogger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}
