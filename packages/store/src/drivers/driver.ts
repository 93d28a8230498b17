import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import type * as tables from "../schema/postgres.js";

/** The databases a store can run on. */
export type StoreDriverName = "sqlite" | "postgres";

/**
 * The drizzle database the repositories are written against. Both drivers' query builders take
 * the same calls for what the repositories use (select, insert … on conflict … returning, update,
 * delete); the SQLite driver hands in its own database and tables under these types, which
 * `schema/sqlite.ts` checks are row-for-row the same. Every repository test runs on both.
 */
export type Database = PgDatabase<PgQueryResultHKT>;

/** The tables of the driver's dialect. */
export interface Tables {
  users: typeof tables.users;
  contacts: typeof tables.contacts;
  messageIds: typeof tables.messageIds;
  pendingRegistrations: typeof tables.pendingRegistrations;
  inboundJournal: typeof tables.inboundJournal;
  replayCursors: typeof tables.replayCursors;
  roomArchive: typeof tables.roomArchive;
  roomBookmarks: typeof tables.roomBookmarks;
}

/** 'in': the message came from the legacy network; 'out': the XMPP user sent it. */
export type MessageDirection = "in" | "out";

export interface MessageIdPair {
  /** Legacy id of the contact or room the message belongs to. */
  chat: string;
  legacyId: string;
  xmppId: string;
  direction: MessageDirection;
}

/** One row of `message_ids`, as the id map writes it. */
export interface MessageIdRow extends MessageIdPair {
  userId: number;
}

/** One row of `room_archive`, as the archive appends it. */
export interface RoomArchiveRow {
  userId: number;
  room: string;
  archiveId: string;
  at: Date;
  nick: string | null;
  occupantId: string | null;
  message: Record<string, unknown>;
}

/** A migrated, connected database, whatever runs it. */
export interface OpenDriver {
  readonly name: StoreDriverName;
  /** Where the data lives, safe to log: `user@host:port/db`, a file, or `memory`. */
  readonly target: string;
  readonly db: Database;
  readonly tables: Tables;
  /**
   * Records id pairs, ignoring pairs already there, all or none: the one write on every
   * message's path, so each driver gives it its cheapest form.
   */
  insertMessageIds(rows: readonly MessageIdRow[]): Promise<void>;
  /** Archives room messages, ignoring archive ids a room has, all or none (every room message's write). */
  insertArchiveRows(rows: readonly RoomArchiveRow[]): Promise<void>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
