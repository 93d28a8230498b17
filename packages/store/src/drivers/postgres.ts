import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { parsePostgresUrl } from "../connection-url.js";
import { toStoreError } from "../db-errors.js";
import { migrationsFolder } from "../migrations.js";
import * as tables from "../schema/postgres.js";
import type { Database, MessageIdRow, OpenDriver, RoomArchiveRow } from "./driver.js";

/** Seconds: fail startup promptly on a wrong host instead of postgres.js's 30 s default. */
const CONNECT_TIMEOUT_SECONDS = 10;

const clientOptions = {
  connect_timeout: CONNECT_TIMEOUT_SECONDS,
  // "relation already exists, skipping" notices from idempotent DDL are noise.
  onnotice: () => {},
  connection: { application_name: "gangway" },
  // postgres.js waits before reopening a connection that failed, 3^failures / 100 s up to 20 s,
  // counted over the whole outage: after a few seconds down it would stay away for up to 20 s
  // more once the server is back. The store's RetryPolicy paces the queries; this only keeps a
  // dead server from being dialled in a tight loop.
  backoff: (failures: number) => Math.min(0.025 * 2 ** failures, 0.5),
} satisfies postgres.Options<Record<string, never>>;

export async function openPostgres(rawUrl: string): Promise<OpenDriver> {
  const { url, description } = parsePostgresUrl(rawUrl);
  try {
    await migrateExclusively(url.toString());
  } catch (error) {
    throw toStoreError(error, "postgres", description);
  }
  const client = postgres(url.toString(), clientOptions);
  const db: Database = drizzle({ client });
  return {
    name: "postgres",
    target: description,
    db,
    tables,
    async insertMessageIds(rows) {
      await db.execute(insertMessageIdsQuery(rows));
    },
    async insertArchiveRows(rows) {
      await db.execute(insertArchiveRowsQuery(rows));
    },
    async ping() {
      await db.execute(sql`select 1`);
    },
    // The store has already waited for its queries (Store.close): what end() could still wait
    // for is a connection postgres.js never marks done after a connection error
    // (porsager/postgres#1097), which would hold every shutdown after an outage for the whole timeout.
    close: () => client.end({ timeout: 1 }),
  };
}

/**
 * drizzle's migrator is not safe against concurrent runs (two gateways starting together, or
 * rolling restarts): both would see a migration as pending and apply it twice. A session-level
 * advisory lock on a single dedicated connection serializes them; the second one then finds
 * nothing left to do. Ending that connection releases the lock even if migration failed.
 */
async function migrateExclusively(url: string): Promise<void> {
  const session = postgres(url, { ...clientOptions, max: 1 });
  try {
    await session`select pg_advisory_lock(hashtext('gangway/store migrations'))`;
    await migrate(drizzle({ client: session }), { migrationsFolder: migrationsFolder("postgres") });
  } finally {
    await session.end({ timeout: 5 });
  }
}

/**
 * A whole batch as one statement (atomic on its own, so no BEGIN/COMMIT round trips) with one
 * parameter per column (arrays, unnested): its text never changes, so postgres.js prepares it
 * once, where a multi-row VALUES list would be a new statement for every batch size.
 */
/**
 * One statement for a whole batch of archived messages: one array per column, unnested. Times and
 * JSON travel as text arrays and are cast per row: postgres.js cannot serialize a timestamptz[]
 * parameter.
 */
function insertArchiveRowsQuery(rows: readonly RoomArchiveRow[]) {
  const column = (values: unknown[]) => sql.param(values);
  return sql`
    insert into ${tables.roomArchive} (user_id, room, archive_id, at, nick, occupant_id, message)
    select u, r, a, t::timestamptz, n, o, m::jsonb
    from unnest(${column(rows.map((row) => row.userId))}::integer[],
      ${column(rows.map((row) => row.room))}::text[],
      ${column(rows.map((row) => row.archiveId))}::text[],
      ${column(rows.map((row) => row.at.toISOString()))}::text[],
      ${column(rows.map((row) => row.nick))}::text[],
      ${column(rows.map((row) => row.occupantId))}::text[],
      ${column(rows.map((row) => JSON.stringify(row.message)))}::text[]) as x(u, r, a, t, n, o, m)
    on conflict do nothing`;
}

function insertMessageIdsQuery(rows: readonly MessageIdRow[]) {
  const column = <K extends keyof MessageIdRow>(key: K) => sql.param(rows.map((row) => row[key]));
  return sql`
    insert into ${tables.messageIds} (user_id, chat, legacy_id, xmpp_id, direction)
    select * from unnest(${column("userId")}::integer[], ${column("chat")}::text[],
      ${column("legacyId")}::text[], ${column("xmppId")}::text[], ${column("direction")}::text[])
    on conflict do nothing`;
}
