import { mkdir, open } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { toStoreError } from "../db-errors.js";
import { StoreUnavailableError } from "../errors.js";
import { migrationsFolder } from "../migrations.js";
import * as tables from "../schema/sqlite.js";
import type { Database, MessageIdRow, OpenDriver, RoomArchiveRow, Tables } from "./driver.js";

/** How long opening waits for another process's lock before saying the file is in use. */
const OPEN_BUSY_TIMEOUT_MS = 250;

/**
 * Embedded SQLite in this process. `file` undefined keeps everything in memory (tests).
 *
 * - WAL with synchronous=NORMAL: a commit is a write to the WAL, not an fsync. A killed process
 *   loses nothing it committed; a power cut may lose the last commits, never consistency.
 * - locking_mode=EXCLUSIVE: the open store holds the file's lock, so a second gateway on the same
 *   home dir is refused at once. The operating system drops the lock with the process, so a
 *   restart right after a crash (or with a reused pid) opens at once: no lock file to remove.
 */
export async function openSqlite(file: string | undefined): Promise<OpenDriver> {
  const path = file === undefined ? undefined : resolve(file);
  const target = path ?? "memory";
  let client: BetterSqlite3.Database | undefined;
  try {
    if (path !== undefined) await createPrivately(path);
    client = new BetterSqlite3(path ?? ":memory:", { timeout: OPEN_BUSY_TIMEOUT_MS });
    if (path !== undefined) {
      client.pragma("locking_mode = EXCLUSIVE");
      client.pragma("journal_mode = WAL");
      // Takes the lock now (or fails with SQLITE_BUSY) rather than at the first write.
      client.exec("begin immediate; commit");
    }
    client.pragma("synchronous = NORMAL");
    client.pragma("foreign_keys = ON");
    const lite = drizzle({ client });
    migrate(lite, { migrationsFolder: migrationsFolder("sqlite") });
    return sqliteDriver(client, lite, target);
  } catch (error) {
    client?.close();
    const failure = toStoreError(error, "sqlite", target);
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new StoreUnavailableError("sqlite", target, "the database file is in use by another process");
    }
    throw failure instanceof StoreUnavailableError
      ? failure
      : new StoreUnavailableError("sqlite", target, `cannot open: ${failure.message}`);
  }
}

function sqliteDriver(
  client: BetterSqlite3.Database,
  lite: ReturnType<typeof drizzle>,
  target: string,
): OpenDriver {
  // See Database in driver.ts: the repositories' calls work on both; schema/sqlite.ts checks the rows.
  const db = lite as unknown as Database;
  // Prepared once, run with positional values in one transaction per batch: drizzle building the
  // SQL and mapping parameters per batch cost more than the inserts themselves (microseconds each).
  const insertMessageId = client.prepare<[number, string, string, string, string]>(
    lite
      .insert(tables.messageIds)
      .values({
        userId: sql.placeholder("userId"),
        chat: sql.placeholder("chat"),
        legacyId: sql.placeholder("legacyId"),
        xmppId: sql.placeholder("xmppId"),
        direction: sql.placeholder("direction"),
      })
      .onConflictDoNothing()
      .toSQL().sql,
  );
  const insertAll = client.transaction((rows: readonly MessageIdRow[]) => {
    for (const row of rows)
      insertMessageId.run(row.userId, row.chat, row.legacyId, row.xmppId, row.direction);
  });
  const insertArchived = client.prepare<
    [number, string, string, number, string | null, string | null, string]
  >(
    `insert into room_archive (user_id, room, archive_id, at, nick, occupant_id, message)
     values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing`,
  );
  const archiveAll = client.transaction((rows: readonly RoomArchiveRow[]) => {
    for (const row of rows) {
      const { userId, room, archiveId, at, nick, occupantId, message } = row;
      insertArchived.run(userId, room, archiveId, at.getTime(), nick, occupantId, JSON.stringify(message));
    }
  });
  return {
    name: "sqlite",
    target,
    db,
    tables: tables as unknown as Tables,
    async insertMessageIds(rows) {
      insertAll(rows);
    },
    async insertArchiveRows(rows) {
      archiveAll(rows);
    },
    async ping() {
      lite.get(sql`select 1`);
    },
    async close() {
      if (client.open) client.close();
    },
  };
}

/** The database holds sealed credentials and message ids: owner-only, like the key file. */
async function createPrivately(path: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const handle = await open(path, "a", 0o600);
  await handle.close();
}
