import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { SQLITE_FILE } from "@gangway/core";
import type { StoreDriverName, StoreOptions } from "@gangway/store";
import { createTemporaryPostgresDatabase, testDatabaseUrl } from "@gangway/store/testing";
import postgres from "postgres";
import { describe } from "vitest";
import { type Cleanups, tempDataDir } from "./cleanups.js";

/**
 * The databases e2e gateways run on. Every test that persists runs once per driver: SQLite in a
 * temp home dir (the gateway's default), and PostgreSQL in a new temporary database when
 * `DATABASE_URL` is set, as CI does. Each database is new and is deleted by the test's cleanups,
 * after the gateways that used it have stopped.
 */

export { SQLITE_FILE };

/** SQLite always; PostgreSQL too when `DATABASE_URL` names a server. */
export const STORE_DRIVERS: readonly StoreDriverName[] = testDatabaseUrl()
  ? ["sqlite", "postgres"]
  : ["sqlite"];

/** Declares `define`'s tests once per driver of {@link STORE_DRIVERS}, each set in `describe("on <driver>")`. */
export function onEachDriver(define: (driver: StoreDriverName) => void): void {
  for (const driver of STORE_DRIVERS) describe(`on ${driver}`, () => define(driver));
}

export interface TestDatabase {
  readonly driver: StoreDriverName;
  /** The gateway's home dir: its secret key file and, on SQLite, the database file. */
  readonly homeDir: string;
  /** What `openStore` takes; the same options again reach the same data (a restart). */
  readonly options: StoreOptions;
  /** The executable's options for it: `--home-dir`, plus `--db-url` on PostgreSQL. */
  readonly cliArgs: readonly string[];
  /**
   * Where `needle` lies at rest: the paths of files under the home dir whose bytes hold it, and
   * on PostgreSQL `table <schema>.<name>` for every table with a row whose text holds it.
   */
  holding(needle: string): Promise<string[]>;
}

/** A new, empty database for `driver`, deleted (with its home dir) when `cleanups` run. */
export async function createTestDatabase(driver: StoreDriverName, cleanups: Cleanups): Promise<TestDatabase> {
  const homeDir = await tempDataDir(cleanups);
  if (driver === "sqlite") {
    return {
      driver,
      homeDir,
      options: { driver, file: join(homeDir, SQLITE_FILE) },
      cliArgs: ["--home-dir", homeDir],
      holding: (needle) => filesHolding(homeDir, needle),
    };
  }
  const serverUrl = testDatabaseUrl();
  if (!serverUrl) throw new Error("the PostgreSQL variant needs DATABASE_URL");
  const database = await createTemporaryPostgresDatabase(serverUrl);
  // Added after the home dir and before any gateway: dropped once they have stopped.
  cleanups.add(database.drop);
  return {
    driver,
    homeDir,
    options: { driver, url: database.url },
    cliArgs: ["--home-dir", homeDir, "--db-url", database.url],
    holding: async (needle) => [
      ...(await filesHolding(homeDir, needle)),
      ...(await tablesHolding(database.url, needle)),
    ],
  };
}

/** Paths of files under `dir` whose bytes contain `needle` (as UTF-8). */
export async function filesHolding(dir: string, needle: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    if ((await readFile(path)).includes(needle)) found.push(path);
  }
  return found;
}

/** `table <schema>.<name>` for each table of the database at `url` with a row whose text contains `needle`. */
async function tablesHolding(url: string, needle: string): Promise<string[]> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<Array<{ schema: string; name: string }>>`
      select table_schema as schema, table_name as name from information_schema.tables
      where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')`;
    const found: string[] = [];
    for (const { schema, name } of tables) {
      const [row] = await sql.unsafe<Array<{ rows: number }>>(
        `select count(*)::int as rows from "${schema}"."${name}" r where strpos(r::text, $1) > 0`,
        [needle],
      );
      if (row && row.rows > 0) found.push(`table ${schema}.${name}`);
    }
    return found;
  } finally {
    await sql.end({ timeout: 5 });
  }
}
