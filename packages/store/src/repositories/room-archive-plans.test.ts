import BetterSqlite3 from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { expect, it } from "vitest";
import type { Database, Tables } from "../drivers/driver.js";
import type { StoreOptions } from "../options.js";
import * as pgTables from "../schema/postgres.js";
import * as sqliteTables from "../schema/sqlite.js";
import { openStore } from "../store.js";
import { forEachDriver } from "../test-support/drivers.js";
import { pageStatement, type RoomArchiveQuery, trimSlack, trimStatement } from "./room-archive.js";

/**
 * The archive's trim (on every write batch) and its pages (every join, every MAM query) must read
 * the room's stretch of an index, never the table: with many rooms archived, a scan would cost
 * every write the whole table. The tables are left unanalysed on purpose, as a new install's are.
 */
const ROOMS = 40;
const PER_ROOM = 250;
const KEEP = 200;

type Explain = (query: { toSQL(): { sql: string; params: unknown[] } }) => Promise<string>;

forEachDriver((driver) => {
  it(`trims and pages one room by index with ${ROOMS * PER_ROOM} messages appended over ${ROOMS} rooms`, async () => {
    const options = await driver.createDatabase();
    const store = await openStore(options);
    const user = await store.users.create({ jid: "busy@example.org", registration: {} });
    const appended: Promise<void>[] = [];
    for (let n = 0; n < ROOMS * PER_ROOM; n++) {
      const entry = {
        archiveId: `S${n}`,
        at: new Date(n * 1000),
        nick: `n${n % 7}`,
        occupantId: null,
        message: { n },
      };
      appended.push(store.roomArchive.append(user.id, `room${n % ROOMS}`, entry, { keep: KEEP }));
    }
    await Promise.all(appended);
    // The bound held: each room kept its newest KEEP, and at most a tenth more between trims.
    const page = await store.roomArchive.query(user.id, "room3", { max: 1000 });
    expect(page?.entries.length).toBeGreaterThanOrEqual(KEEP);
    expect(page?.entries.length).toBeLessThan(KEEP + trimSlack(KEEP));
    expect(page?.entries.at(-1)?.archiveId).toBe(`S${(PER_ROOM - 1) * ROOMS + 3}`);
    await store.close();

    const plans = await withExplain(options, async (explain, db, tables) => ({
      trim: await explain(trimStatement(db, tables, user.id, "room3", KEEP)),
      newest: await explain(pageStatement(db, tables, user.id, "room3", last(20), { after: [], before: [] })),
      after: await explain(
        pageStatement(db, tables, user.id, "room3", { max: 2 }, { after: [9000], before: [] }),
      ),
      since: await explain(
        pageStatement(
          db,
          tables,
          user.id,
          "room3",
          { ...last(20), start: new Date(9_000_000) },
          { after: [], before: [] },
        ),
      ),
    }));
    for (const [name, plan] of Object.entries(plans)) {
      expect(plan, name).toMatch(/room_archive_(order|time|id_unique)/);
      expect(plan, name).not.toMatch(/Seq Scan|SCAN room_archive\b(?! USING)|room_archive_pkey/i);
    }
  });
});

const last = (max: number): RoomArchiveQuery => ({ max, fromEnd: true });

async function withExplain<T>(
  options: StoreOptions,
  run: (explain: Explain, db: Database, tables: Tables) => Promise<T>,
): Promise<T> {
  if (options.driver === "sqlite") {
    const client = new BetterSqlite3(options.file!, { readonly: true });
    try {
      const explain: Explain = async (query) => {
        const { sql, params } = query.toSQL();
        const rows = client.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[];
        return rows.map((row) => row.detail).join("\n");
      };
      return await run(
        explain,
        drizzleSqlite({ client }) as unknown as Database,
        sqliteTables as unknown as Tables,
      );
    } finally {
      client.close();
    }
  }
  const client = postgres(options.url, { max: 1 });
  try {
    const explain: Explain = async (query) => {
      const { sql, params } = query.toSQL();
      const rows = await client.unsafe(`explain ${sql}`, params as never[]);
      return rows.map((row) => String(row["QUERY PLAN"])).join("\n");
    };
    return await run(explain, drizzlePostgres({ client }), pgTables);
  } finally {
    await client.end();
  }
}
