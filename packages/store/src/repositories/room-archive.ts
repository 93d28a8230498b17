import { and, asc, desc, eq, gt, gte, inArray, lt, lte, type SQL, sql } from "drizzle-orm";
import type { Database, RoomArchiveRow, Tables } from "../drivers/driver.js";
import type { RetryPolicy } from "../retry.js";
import { WriteBatcher } from "../write-batcher.js";

/** One archived room message, as a room hands it in and a query gives it back. */
export interface RoomArchiveEntry {
  /** The `<stanza-id/>` the room gave the message: what clients dedupe and page with. */
  archiveId: string;
  /** When it was sent. */
  at: Date;
  /** The author's nick; null for the room's own notices. */
  nick: string | null;
  /** XEP-0421 occupant id of the author, if any. */
  occupantId: string | null;
  /** What rebuilds the stanza, in the caller's own JSON shape: the store never looks inside. */
  message: Record<string, unknown>;
}

/**
 * A query of one room's archive (what XEP-0313 with XEP-0059 paging asks). Every filter is
 * optional and they combine; ids bound the page exclusively.
 */
export interface RoomArchiveQuery {
  /** Sent at or after / at or before. */
  start?: Date;
  end?: Date;
  /** Only this author's messages. */
  nick?: string;
  /** Only messages archived after every one of these (RSM `<after/>`, XEP-0313 `after-id`). */
  afterIds?: readonly string[];
  /** Only messages archived before every one of these (RSM `<before/>`, XEP-0313 `before-id`). */
  beforeIds?: readonly string[];
  /** Only these messages. */
  ids?: readonly string[];
  /** Page size. */
  max: number;
  /**
   * Take the page at the newest end of what matches (RSM `<before/>`, also empty: the last
   * page) instead of the oldest. The page is oldest first either way.
   */
  fromEnd?: boolean;
}

export interface RoomArchivePage {
  /** Oldest first. */
  entries: RoomArchiveEntry[];
  /** Nothing else matches beyond this page, in the direction it was taken (XEP-0313 `complete`). */
  complete: boolean;
}

export interface RoomArchiveRepository {
  /**
   * Archives a message of `room`, keeping about the room's `keep` newest messages: older ones are
   * deleted with a batch once the room has grown by a tenth of `keep` since its last trim (and at
   * its first append in this process), so a room holds at most `keep` plus a tenth. Written with the next batch, retried through outages; the
   * promise settles when it is committed or has failed, and nobody needs to wait for it: queries
   * wait for the appends made before them. Appending an archive id the room has is a no-op.
   */
  append(userId: number, room: string, entry: RoomArchiveEntry, options: { keep: number }): Promise<void>;
  /** A page of the room's archive; undefined when an id the page is bounded by is not archived. */
  query(userId: number, room: string, query: RoomArchiveQuery): Promise<RoomArchivePage | undefined>;
  /** The room's oldest and newest archived messages (XEP-0313 metadata); undefined when it has none. */
  bounds(
    userId: number,
    room: string,
  ): Promise<{ first: RoomArchiveEntry; last: RoomArchiveEntry } | undefined>;
  /** Resolves when every message appended before the call is committed (or has failed). */
  flush(): Promise<void>;
  /** Appends not committed yet. */
  backlog(): number;
}

interface ArchiveRow extends RoomArchiveRow {
  keep: number;
}

/**
 * How far past its bound a room grows before it is trimmed: a trim walks `keep` index entries to
 * find its cut-off, so trimming at every batch cost a room's whole bound per batch (it was most of
 * the gateway's CPU in a busy channel); every tenth of the bound, it costs ten entries per append.
 */
export function trimSlack(keep: number): number {
  return Math.max(1, Math.ceil(keep / 10));
}

export function createRoomArchiveRepository(
  db: Database,
  tables: Tables,
  options: {
    /** The driver's cheapest insert of a batch (prepared on SQLite, one unnest on PostgreSQL). */
    insert: (rows: readonly RoomArchiveRow[]) => Promise<void>;
    maxBatch: number;
    translate: (error: unknown) => Error;
    retry?: RetryPolicy;
  },
): RoomArchiveRepository {
  const { roomArchive } = tables;
  const inRoom = (userId: number, room: string) =>
    and(eq(roomArchive.userId, userId), eq(roomArchive.room, room));
  const columns = archivedColumns(roomArchive);
  /** Appends per room (key `userId room`) since its last trim in this process. */
  const sinceTrim = new Map<string, number>();

  const writer = new WriteBatcher<ArchiveRow>(
    async (rows) => {
      // A retried batch may find its rows written already: the insert ignores them.
      await options.insert(rows);
      // Each room once, with the bound its latest append gave, when it has grown enough.
      const touched = new Map<string, { row: ArchiveRow; appended: number }>();
      for (const row of rows) {
        const key = `${row.userId} ${row.room}`;
        touched.set(key, { row, appended: (touched.get(key)?.appended ?? 0) + 1 });
      }
      for (const [key, { row, appended }] of touched) {
        const grown = sinceTrim.get(key);
        const total = (grown ?? 0) + appended;
        // A room first seen in this process is trimmed at once: what it holds is not known.
        if (grown !== undefined && total < trimSlack(row.keep)) {
          sinceTrim.set(key, total);
          continue;
        }
        await trimStatement(db, tables, row.userId, row.room, row.keep);
        sinceTrim.set(key, 0);
      }
    },
    options.maxBatch,
    options.translate,
    options.retry && ((attempt) => options.retry!.run(attempt)),
  );

  /** The archive order of each id; undefined when one is not in the room's archive. */
  async function positions(userId: number, room: string, ids: readonly string[]) {
    if (ids.length === 0) return [];
    const rows = await db
      .select({ id: roomArchive.id, archiveId: roomArchive.archiveId })
      .from(roomArchive)
      .where(and(inRoom(userId, room), inArray(roomArchive.archiveId, [...new Set(ids)])));
    const byArchiveId = new Map(rows.map((row) => [row.archiveId, row.id]));
    const found = ids.map((id) => byArchiveId.get(id));
    return found.every((id) => id !== undefined) ? (found as number[]) : undefined;
  }

  return {
    append(userId, room, entry, { keep }) {
      return writer.write({ ...entry, userId, room, keep: Math.max(1, keep) });
    },

    async query(userId, room, query) {
      await writer.settled();
      const after = await positions(userId, room, query.afterIds ?? []);
      const before = await positions(userId, room, query.beforeIds ?? []);
      if (!after || !before) return undefined;
      if (query.ids?.length === 0) return { entries: [], complete: true };
      // One more than the page: whether it is there says whether the page is the last one.
      const rows = await pageStatement(db, tables, userId, room, query, { after, before });
      const complete = rows.length <= query.max;
      const entries = rows.slice(0, query.max);
      if (query.fromEnd) entries.reverse();
      return { entries, complete };
    },

    async bounds(userId, room) {
      await writer.settled();
      const end = (order: typeof asc) =>
        db
          .select(columns)
          .from(roomArchive)
          .where(inRoom(userId, room))
          .orderBy(order(roomArchive.id))
          .limit(1);
      const [first] = await end(asc);
      const [last] = await end(desc);
      return first && last ? { first, last } : undefined;
    },

    flush: () => writer.settled(),
    backlog: () => writer.backlog,
  };
}

/**
 * Deletes what is older than the room's `keep` newest rows: the cut-off is read off
 * room_archive_order (a walk of `keep` index entries), the delete is a range of that index.
 */
export function trimStatement(
  db: Database,
  { roomArchive }: Tables,
  userId: number,
  room: string,
  keep: number,
) {
  const inRoom = and(eq(roomArchive.userId, userId), eq(roomArchive.room, room));
  const cutoff = db
    .select({ id: roomArchive.id })
    .from(roomArchive)
    .where(inRoom)
    .orderBy(desc(roomArchive.id))
    .limit(1)
    .offset(keep);
  return db.delete(roomArchive).where(and(inRoom, sql`${roomArchive.id} <= (${cutoff})`));
}

/** A page and the row after it, in archive order from the query's end; `after`/`before`: bounds' positions. */
export function pageStatement(
  db: Database,
  { roomArchive }: Tables,
  userId: number,
  room: string,
  query: RoomArchiveQuery,
  bounds: { after: readonly number[]; before: readonly number[] },
) {
  const conditions: (SQL | undefined)[] = [eq(roomArchive.userId, userId), eq(roomArchive.room, room)];
  if (query.start) conditions.push(gte(roomArchive.at, query.start));
  if (query.end) conditions.push(lte(roomArchive.at, query.end));
  if (query.nick !== undefined) conditions.push(eq(roomArchive.nick, query.nick));
  if (bounds.after.length > 0) conditions.push(gt(roomArchive.id, Math.max(...bounds.after)));
  if (bounds.before.length > 0) conditions.push(lt(roomArchive.id, Math.min(...bounds.before)));
  if (query.ids) conditions.push(inArray(roomArchive.archiveId, [...new Set(query.ids)]));
  return db
    .select(archivedColumns(roomArchive))
    .from(roomArchive)
    .where(and(...conditions))
    .orderBy(query.fromEnd ? desc(roomArchive.id) : asc(roomArchive.id))
    .limit(query.max + 1);
}

function archivedColumns(roomArchive: Tables["roomArchive"]) {
  return {
    archiveId: roomArchive.archiveId,
    at: roomArchive.at,
    nick: roomArchive.nick,
    occupantId: roomArchive.occupantId,
    message: roomArchive.message,
  };
}
