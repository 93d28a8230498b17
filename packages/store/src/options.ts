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
    /**
     * The inbound journal's batching: how long records gather before a write (what a crash can
     * lose; default 50 ms), and how many waiting records make a write at once (default 32: a burst
     * the gateway is slow to handle is written as it arrives, not only at the next tick).
     */
    inboundJournal?: { intervalMs?: number; maxBatch?: number };
    /** Room archive appends written in one batch at most (default 500). */
    roomArchive?: { maxBatch?: number };
    /**
     * How long a query that finds no usable connection (server restarting, network cut, SQLite
     * file busy) keeps being retried, with backoff, before it fails with StoreUnavailableError.
     * Default 30,000 ms; 0 fails at once.
     */
    retryForMs?: number;
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
