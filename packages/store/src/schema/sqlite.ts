import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  unique,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type * as postgres from "./postgres.js";

/**
 * The embedded SQLite schema: the same tables, columns, constraint names and indexes as
 * `postgres.ts`, in SQLite's types. Repositories are written once against the PostgreSQL table
 * types; the check at the bottom makes sure these tables produce and accept exactly the same rows.
 *
 * Instants are `integer` milliseconds since the epoch (drizzle's `timestamp_ms`), JSON is `text`
 * (drizzle's `json` mode), booleans are 0/1.
 */
const createdAt = () =>
  integer("created_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);
const updatedAt = () =>
  integer("updated_at", { mode: "timestamp_ms" })
    .notNull()
    .default(sql`(cast(unixepoch('subsec') * 1000 as integer))`);

export const users = sqliteTable("users", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  jid: text("jid").notNull().unique("users_jid_unique"),
  registration: text("registration").notNull(),
  legacyData: text("legacy_data"),
  preferences: text("preferences", { mode: "json" })
    .$type<Record<string, unknown>>()
    .notNull()
    .default(sql`'{}'`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  lastLoginAt: integer("last_login_at", { mode: "timestamp_ms" }),
  rosterHash: text("roster_hash"),
});

export const contacts = sqliteTable(
  "contacts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    legacyId: text("legacy_id").notNull(),
    jidLocal: text("jid_local").notNull(),
    name: text("name"),
    isFriend: integer("is_friend", { mode: "boolean" }).notNull().default(false),
    addedToRoster: integer("added_to_roster", { mode: "boolean" }).notNull().default(false),
    extra: text("extra", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    unique("contacts_user_legacy_id_unique").on(table.userId, table.legacyId),
    unique("contacts_user_jid_local_unique").on(table.userId, table.jidLocal),
  ],
);

export const messageIds = sqliteTable(
  "message_ids",
  {
    // A rowid alias without AUTOINCREMENT: ids only ever grow while the newest row is kept,
    // which is all the "first"/"latest" orderings need, and inserts skip sqlite_sequence.
    id: integer("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    chat: text("chat").notNull(),
    legacyId: text("legacy_id").notNull(),
    xmppId: text("xmpp_id").notNull(),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    check("message_ids_direction_check", sql`${table.direction} in ('in', 'out')`),
    uniqueIndex("message_ids_pair_unique").on(table.userId, table.chat, table.legacyId, table.xmppId),
    index("message_ids_legacy_lookup").on(table.userId, table.chat, table.legacyId, table.id),
    index("message_ids_xmpp_lookup").on(table.userId, table.chat, table.xmppId, table.id),
  ],
);

export const pendingRegistrations = sqliteTable(
  "pending_registrations",
  {
    id: text("id").primaryKey(),
    jid: text("jid").notNull(),
    frontEnd: text("front_end", { enum: ["adhoc", "chat"] }).notNull(),
    state: text("state").notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    check("pending_registrations_front_end_check", sql`${table.frontEnd} in ('adhoc', 'chat')`),
    index("pending_registrations_jid_lookup").on(table.jid, table.frontEnd),
    index("pending_registrations_expiry").on(table.expiresAt),
  ],
);

export const inboundJournal = sqliteTable("inbound_journal", {
  id: text("id").primaryKey(),
  userJid: text("user_jid").notNull(),
  stanzaId: text("stanza_id"),
  fromJid: text("from_jid").notNull(),
  toJid: text("to_jid").notNull(),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
});

export const replayCursors = sqliteTable(
  "replay_cursors",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    cursor: text("cursor").notNull(),
    updatedAt: updatedAt(),
  },
  // Table-level, so that drizzle does not take the column for an optional rowid alias on insert.
  (table) => [primaryKey({ columns: [table.userId] })],
);

export const roomArchive = sqliteTable(
  "room_archive",
  {
    // A rowid alias without AUTOINCREMENT, like message_ids: trimming never removes a room's newest row.
    id: integer("id").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    room: text("room").notNull(),
    archiveId: text("archive_id").notNull(),
    at: integer("at", { mode: "timestamp_ms" }).notNull(),
    nick: text("nick"),
    occupantId: text("occupant_id"),
    message: text("message", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  },
  (table) => [
    uniqueIndex("room_archive_id_unique").on(table.userId, table.room, table.archiveId),
    index("room_archive_order").on(table.userId, table.room, table.id),
    index("room_archive_time").on(table.userId, table.room, table.at),
  ],
);

export const roomBookmarks = sqliteTable(
  "room_bookmarks",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    room: text("room").notNull(),
    via: text("via", { enum: ["pep", "invitation"] }).notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.room] }),
    check("room_bookmarks_via_check", sql`${table.via} in ('pep', 'invitation')`),
  ],
);

// ---- compile-time check: both schemas read and write the same rows ----

type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Model = { $inferSelect: unknown; $inferInsert: unknown };
type Alike<Pg extends Model, Lite extends Model> = [
  Same<Pg["$inferSelect"], Lite["$inferSelect"]>,
  // PostgreSQL identities refuse an explicit id on insert, SQLite's accept one; nobody passes it.
  Same<Omit<Pg["$inferInsert"], "id">, Omit<Lite["$inferInsert"], "id">>,
];
type AllTrue<T extends readonly true[]> = T;
export type SchemasAlike = AllTrue<
  [
    ...Alike<typeof postgres.users, typeof users>,
    ...Alike<typeof postgres.contacts, typeof contacts>,
    ...Alike<typeof postgres.messageIds, typeof messageIds>,
    ...Alike<typeof postgres.pendingRegistrations, typeof pendingRegistrations>,
    ...Alike<typeof postgres.inboundJournal, typeof inboundJournal>,
    ...Alike<typeof postgres.replayCursors, typeof replayCursors>,
    ...Alike<typeof postgres.roomArchive, typeof roomArchive>,
    ...Alike<typeof postgres.roomBookmarks, typeof roomBookmarks>,
  ]
>;
