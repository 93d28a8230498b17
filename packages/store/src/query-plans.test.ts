import BetterSqlite3 from "better-sqlite3";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { expect, it } from "vitest";
import type { Database, Tables } from "./drivers/driver.js";
import type { StoreOptions } from "./options.js";
import { firstQuery, legacyIdQuery } from "./repositories/message-ids.js";
import * as pgTables from "./schema/postgres.js";
import * as sqliteTables from "./schema/sqlite.js";
import { openStore } from "./store.js";
import { forEachDriver } from "./test-support/drivers.js";

/**
 * The message path's two lookups must read one index in order, whatever the history: a planner
 * that walks the primary key instead costs time proportional to the user's stored messages
 * (seen on a never-analysed table). The tables are left unanalysed here on purpose.
 */
const HISTORY = 20_000;

interface Plan {
  text: string;
}

forEachDriver((driver) => {
  it(`looks message ids up by index, in order, with ${HISTORY} stored for one user`, async () => {
    const options = await driver.createDatabase();
    const store = await openStore(options);
    const user = await store.users.create({ jid: "busy@example.org", registration: {} });
    for (let n = 0; n < HISTORY; n++) {
      void store.messageIds.add(user.id, {
        chat: `chat${n % 10}`,
        legacyId: `L${n}`,
        xmppId: `X${n}`,
        direction: n % 2 ? "in" : "out",
      });
    }
    await store.close();

    const plans = await explainLookups(options, user.id);
    expect(plans.first.text).toMatch(/message_ids_legacy_lookup|message_ids_pair_unique/);
    expect(plans.legacyId.text).toMatch(/message_ids_xmpp_lookup/);
    for (const plan of [plans.first, plans.legacyId]) {
      expect(plan.text).not.toMatch(/Seq Scan|message_ids_pkey|SCAN message_ids\b|TEMP B-TREE/i);
    }
  });
});

async function explainLookups(
  options: StoreOptions,
  userId: number,
): Promise<{ first: Plan; legacyId: Plan }> {
  if (options.driver === "sqlite") {
    const client = new BetterSqlite3(options.file!, { readonly: true });
    try {
      const db = drizzleSqlite({ client }) as unknown as Database;
      const explain = (query: { toSQL(): { sql: string; params: unknown[] } }): Plan => {
        const { sql, params } = query.toSQL();
        const rows = client.prepare(`explain query plan ${sql}`).all(...params) as { detail: string }[];
        return { text: rows.map((row) => row.detail).join("\n") };
      };
      const tables = sqliteTables as unknown as Tables;
      return {
        first: explain(firstQuery(db, tables, userId, "chat3", "L13")),
        legacyId: explain(legacyIdQuery(db, tables, userId, "chat3", "X13")),
      };
    } finally {
      client.close();
    }
  }
  const client = postgres(options.url, { max: 1 });
  try {
    const db: Database = drizzlePostgres({ client });
    const explain = async (query: { toSQL(): { sql: string; params: unknown[] } }): Promise<Plan> => {
      const { sql, params } = query.toSQL();
      const rows = await client.unsafe(`explain ${sql}`, params as never[]);
      return { text: rows.map((row) => String(row["QUERY PLAN"])).join("\n") };
    };
    return {
      first: await explain(firstQuery(db, pgTables, userId, "chat3", "L13")),
      legacyId: await explain(legacyIdQuery(db, pgTables, userId, "chat3", "X13")),
    };
  } finally {
    await client.end();
  }
}
