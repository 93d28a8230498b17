import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, afterEach, beforeEach, describe } from "vitest";
import type { StoreDriverName, StoreOptions } from "../options.js";
import { openStore, type Store } from "../store.js";

export { type PrivatePostgres, startPrivatePostgres } from "./private-postgres.js";

/**
 * Test helpers for anything that persists through @gangway/store (`@gangway/store/testing`).
 *
 * Every database handed out is new and empty, and is deleted after the test that created it
 * (or after the suite, when created in `beforeAll`): tests never share state.
 */
export interface StoreTestDriver {
  readonly name: StoreDriverName;
  /**
   * Options reaching a new, empty database: a file in a temp directory for SQLite, a fresh randomly named
   * database for PostgreSQL. Opening them twice reaches the same data (for restart tests).
   */
  createDatabase(): Promise<StoreOptions>;
  /** A migrated store on a new database (in-memory for SQLite), closed automatically. */
  openStore(): Promise<Store>;
}

/** The PostgreSQL server tests may use, or undefined to run on SQLite only. */
export function testDatabaseUrl(): string | undefined {
  return process.env.DATABASE_URL || undefined;
}

/**
 * Declares the suite once per available driver: always SQLite, plus PostgreSQL when
 * `DATABASE_URL` is set. Usage:
 *
 * ```ts
 * forEachDriver((driver) => {
 *   it("stores a user", async () => {
 *     const store = await driver.openStore();
 *     …
 *   });
 * });
 * ```
 */
export function forEachDriver(defineTests: (driver: StoreTestDriver) => void): void {
  const serverUrl = testDatabaseUrl();
  const names: StoreDriverName[] = serverUrl ? ["sqlite", "postgres"] : ["sqlite"];
  for (const name of names) {
    describe(`on ${name}`, () => {
      const suiteCleanups = new CleanupStack();
      const testCleanups = new CleanupStack();
      let inTest = false;
      beforeEach(() => {
        inTest = true;
      });
      afterEach(async () => {
        inTest = false;
        await testCleanups.run();
      });
      afterAll(() => suiteCleanups.run());
      const cleanups = () => (inTest ? testCleanups : suiteCleanups);

      const createDatabase = async (): Promise<StoreOptions> => {
        if (name === "sqlite") {
          const directory = await mkdtemp(join(tmpdir(), "gangway-store-"));
          cleanups().push(() => rm(directory, { recursive: true, force: true }));
          return { driver: "sqlite", file: join(directory, "gangway.sqlite") };
        }
        const database = await createTemporaryPostgresDatabase(serverUrl!);
        cleanups().push(database.drop);
        return { driver: "postgres", url: database.url };
      };

      defineTests({
        name,
        createDatabase,
        async openStore() {
          // Registered before opening, so it runs after the store is closed (stack order).
          const options: StoreOptions = name === "sqlite" ? { driver: "sqlite" } : await createDatabase();
          const store = await openStore(options);
          cleanups().push(() => store.close());
          return store;
        },
      });
    });
  }
}

export interface TemporaryPostgresDatabase {
  /** `serverUrl` with its database replaced by the new one. */
  url: string;
  /** Drops the database, disconnecting whoever is still on it. */
  drop(): Promise<void>;
}

/** Creates a randomly named database on the server of `serverUrl` (whose user needs CREATEDB). */
export async function createTemporaryPostgresDatabase(serverUrl: string): Promise<TemporaryPostgresDatabase> {
  const name = `gangway_test_${randomBytes(6).toString("hex")}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: url.toString(),
    async drop() {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`drop database if exists "${name}" with (force)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Runs cleanups last-in first-out, all of them even if one fails, then reports the first failure. */
class CleanupStack {
  private readonly cleanups: Array<() => Promise<unknown>> = [];

  push(cleanup: () => Promise<unknown>): void {
    this.cleanups.push(cleanup);
  }

  async run(): Promise<void> {
    const failures: unknown[] = [];
    for (let cleanup = this.cleanups.pop(); cleanup; cleanup = this.cleanups.pop()) {
      await cleanup().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  }
}
