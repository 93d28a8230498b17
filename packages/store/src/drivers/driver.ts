import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type { StoreDriverName } from "../options.js";

/** The drizzle database both drivers produce; repositories only use what is common to them. */
export type Database = PgDatabase<PgQueryResultHKT>;

/** A migrated, connected database, whatever runs it. */
export interface OpenDriver {
  readonly name: StoreDriverName;
  /** Where the data lives, safe to log: `user@host:port/db`, a directory, or `memory`. */
  readonly target: string;
  readonly db: Database;
  close(): Promise<void>;
}
