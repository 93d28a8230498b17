import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from "drizzle-orm/pg-core";

/**
 * The PostgreSQL schema. `sqlite.ts` declares the same tables for embedded SQLite, and a
 * compile-time check there keeps the two alike. Changing either means running
 * `pnpm --filter @gangway/store db:generate` and committing the SQL it writes to `drizzle/`
 * (a test fails while a migration set is behind its schema).
 *
 * Every timestamp is `timestamptz`: a gateway's host may change time zone, stored instants must not.
 */

const createdAt = () => timestamp("created_at", { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp("updated_at", { withTimezone: true }).notNull().defaultNow();

/** One row per registered XMPP account (bare JID). */
export const users = pgTable("users", {
  id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
  jid: text("jid").notNull().unique("users_jid_unique"),
  /**
   * The registration form values (often legacy credentials), serialized by `secret-codec.ts`.
   * `text` rather than `jsonb` on purpose: the database never needs to look inside it, and the
   * planned encryption at rest will store an opaque ciphertext envelope in this same column,
   * told apart from today's plain JSON by its prefix, so no schema change or big-bang rewrite is needed.
   */
  registration: text("registration").notNull(),
  /** App session state (tokens, cookies, device keys): as secret as the credentials, so same format. */
  legacyData: text("legacy_data"),
  /** User-facing gateway preferences: not secret, so queryable `jsonb`. */
  preferences: jsonb("preferences").$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
  lastLoginAt: timestamp("last_login_at", { withTimezone: true }),
  /**
   * Hash of what the last successful privileged roster sync put in the user's roster; a login
   * that would put the same skips the roster queries. Null: unknown, sync in full.
   */
  rosterHash: text("roster_hash"),
});

/** A legacy contact of one user, as it appears on XMPP (`<jid_local>@gateway`). */
export const contacts = pgTable(
  "contacts",
  {
    id: integer("id").primaryKey().generatedAlwaysAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    legacyId: text("legacy_id").notNull(),
    /** The XEP-0106-escaped local part of the contact's JID. */
    jidLocal: text("jid_local").notNull(),
    name: text("name"),
    isFriend: boolean("is_friend").notNull().default(false),
    addedToRoster: boolean("added_to_roster").notNull().default(false),
    /** Per-app attributes that do not deserve a column. */
    extra: jsonb("extra").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    // Both uniques double as the lookup indexes: by legacy id (legacy → XMPP) and by JID (XMPP → legacy).
    unique("contacts_user_legacy_id_unique").on(table.userId, table.legacyId),
    unique("contacts_user_jid_local_unique").on(table.userId, table.jidLocal),
  ],
);

/**
 * Legacy message id ↔ XMPP message ids. One legacy message may become several XMPP stanzas
 * (a text plus attachments), hence one row per (legacy id, XMPP id) pair.
 */
export const messageIds = pgTable(
  "message_ids",
  {
    // bigint: this table grows with every message of every user.
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Legacy id of the contact or room the message belongs to. */
    chat: text("chat").notNull(),
    legacyId: text("legacy_id").notNull(),
    xmppId: text("xmpp_id").notNull(),
    /** 'in' = legacy → XMPP, 'out' = XMPP → legacy. Text plus CHECK, not an enum: enums are awkward to extend in a migration. */
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [
    check("message_ids_direction_check", sql`${table.direction} in ('in', 'out')`),
    // Makes `add` idempotent.
    uniqueIndex("message_ids_pair_unique").on(table.userId, table.chat, table.legacyId, table.xmppId),
    // The two lookups, each ending in `id` so "first"/"latest" is read off the index in order:
    // without it a planner may walk the primary key instead (seen at 20,000 rows for one user).
    index("message_ids_legacy_lookup").on(table.userId, table.chat, table.legacyId, table.id),
    index("message_ids_xmpp_lookup").on(table.userId, table.chat, table.xmppId, table.id),
  ],
);

/**
 * A registration that is under way (a multi-step flow: credentials → code, or a QR scan), kept
 * so that a gateway restart in the middle does not lose it. `state` holds the answers so far,
 * often a password, so it is sealed like the users' secrets. Rows expire: see `expires_at`.
 */
export const pendingRegistrations = pgTable(
  "pending_registrations",
  {
    /** The front end's handle on the dialogue: the XEP-0050 sessionid, or a chat dialogue id. */
    id: text("id").primaryKey(),
    jid: text("jid").notNull(),
    /** Which front end runs it: 'adhoc' or 'chat'. Text plus CHECK, like message_ids.direction. */
    frontEnd: text("front_end", { enum: ["adhoc", "chat"] }).notNull(),
    state: text("state").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (table) => [
    check("pending_registrations_front_end_check", sql`${table.frontEnd} in ('adhoc', 'chat')`),
    index("pending_registrations_jid_lookup").on(table.jid, table.frontEnd),
    index("pending_registrations_expiry").on(table.expiresAt),
  ],
);

/**
 * The user's messages to chats that arrived and whose handling has not ended yet (the hooks
 * running, or waiting for a login): after a crash, what is left here was read from the server and
 * never passed on, so the next start tells each sender. Routing data only, never the body: the
 * error reply names the contact and carries the original id. Rows live for milliseconds; most
 * never reach the table (see the inbound journal repository).
 */
export const inboundJournal = pgTable("inbound_journal", {
  /** The core's own key for the record (stanza ids are neither unique nor always there). */
  id: text("id").primaryKey(),
  /** Bare JID of the registered user. */
  userJid: text("user_jid").notNull(),
  /** The message's id, for the error reply (null when the client gave none). */
  stanzaId: text("stanza_id"),
  /** Full JID it came from: the error reply goes back to that client. */
  fromJid: text("from_jid").notNull(),
  /** The puppet (chat) JID it was sent to: the error reply comes from there. */
  toJid: text("to_jid").notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull(),
});

/**
 * Where the legacy network's history stands for a user, for networks that can replay what
 * happened while the gateway was down: an opaque string the app saves once the events up to it
 * were written to the XMPP server, and reads back at login.
 */
export const replayCursors = pgTable("replay_cursors", {
  userId: integer("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  cursor: text("cursor").notNull(),
  updatedAt: updatedAt(),
});

/**
 * What each of a user's rooms said, as the room sent it (XEP-0313 MAM, and `<history/>` on
 * join): one row per groupchat message, reaction, retraction or correction. Bounded per room by
 * the core (the oldest rows go first, see the room archive repository).
 */
export const roomArchive = pgTable(
  "room_archive",
  {
    // The archive's order: rows of one room are read and trimmed by (user_id, room, id).
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Legacy id of the room. */
    room: text("room").notNull(),
    /** The `<stanza-id/>` the room gave the message: the id clients dedupe and page with. */
    archiveId: text("archive_id").notNull(),
    /** When the message was sent (its delay stamp when the network delivered it late). */
    at: timestamp("at", { withTimezone: true }).notNull(),
    /** The author's nick; null for the room's own notices. */
    nick: text("nick"),
    /** XEP-0421 occupant id of the author, if any. */
    occupantId: text("occupant_id"),
    /** What rebuilds the stanza, in the core's shape: the store never looks inside. */
    message: jsonb("message").$type<Record<string, unknown>>().notNull(),
  },
  (table) => [
    // Makes a retried append idempotent, and finds a page's boundary by its archive id.
    uniqueIndex("room_archive_id_unique").on(table.userId, table.room, table.archiveId),
    index("room_archive_order").on(table.userId, table.room, table.id),
    index("room_archive_time").on(table.userId, table.room, table.at),
  ],
);

/**
 * The rooms a user was already told about, so each is bookmarked (XEP-0402) or invited to
 * (XEP-0249) once, not at every login: one row per (user, room). `via` says how, so a room only
 * invited to gets its bookmark once the server grants the PEP privilege. Removed with the room.
 */
export const roomBookmarks = pgTable(
  "room_bookmarks",
  {
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** Legacy id of the room. */
    room: text("room").notNull(),
    via: text("via", { enum: ["pep", "invitation"] }).notNull(),
    updatedAt: updatedAt(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.room] }),
    check("room_bookmarks_via_check", sql`${table.via} in ('pep', 'invitation')`),
  ],
);
