import { and, asc, desc, eq } from "drizzle-orm";
import type { Database, MessageIdPair, MessageIdRow, OpenDriver, Tables } from "../drivers/driver.js";
import { IdMapCache } from "../id-map-cache.js";
import type { RetryPolicy } from "../retry.js";
import { WriteBatcher } from "../write-batcher.js";

export type { MessageDirection, MessageIdPair } from "../drivers/driver.js";

export interface IdMapStats {
  /** Lookups answered from memory, and those that needed a query, since the store opened. */
  hits: number;
  misses: number;
  /** Keys held in memory now (two per pair: one each way). */
  entries: number;
  /** Pairs recorded and not yet committed. */
  backlog: number;
}

export interface MessageIdRepository {
  /**
   * Records that `legacyId` and `xmppId` are the same message. Lookups see it at once; it is
   * written with the next batch, and the promise resolves when that batch is committed (so a
   * caller can show the message only once it is remembered). Recording a known pair again is a no-op.
   */
  add(userId: number, pair: MessageIdPair): Promise<void>;
  /** Every XMPP id of a legacy message, oldest first (a message with attachments has several). */
  xmppIds(userId: number, chat: string, legacyId: string): Promise<string[]>;
  /**
   * The first XMPP id of a legacy message and which way it went; undefined when unknown. From
   * memory when the pair is recent: then "first" is the first this process recorded or read.
   */
  first(userId: number, chat: string, legacyId: string): Promise<MessageIdPair | undefined>;
  /** The legacy id behind an XMPP id; the latest mapping wins if a client ever reused an id. */
  legacyId(userId: number, chat: string, xmppId: string): Promise<string | undefined>;
  /**
   * Resolves when every pair recorded before the call is committed (or has failed): what the
   * message path waits for before it shows anything that refers to those pairs.
   */
  flush(): Promise<void>;
  /** Drops a user's pairs from memory (their rows go with the user, by cascade). */
  forgetUser(userId: number): void;
  stats(): IdMapStats;
}

export function createMessageIdRepository(
  driver: OpenDriver,
  options: {
    perUser: number;
    maxBatch: number;
    translate: (error: unknown) => Error;
    /** The store's outage policy, for the batched writes (lookups are retried by the store). */
    retry?: RetryPolicy;
  },
): MessageIdRepository {
  const { db, tables } = driver;
  const { messageIds } = tables;
  const cache = new IdMapCache(options.perUser);
  const writer = new WriteBatcher<MessageIdRow>(
    (rows) => driver.insertMessageIds(rows),
    options.maxBatch,
    options.translate,
    options.retry && ((attempt) => options.retry!.run(attempt)),
  );

  return {
    add(userId, pair) {
      cache.remember(userId, pair);
      return writer.write({ userId, ...pair });
    },

    async xmppIds(userId, chat, legacyId) {
      await writer.settled();
      const rows = await db
        .select({ xmppId: messageIds.xmppId })
        .from(messageIds)
        .where(
          and(eq(messageIds.userId, userId), eq(messageIds.chat, chat), eq(messageIds.legacyId, legacyId)),
        )
        .orderBy(asc(messageIds.id));
      return rows.map((row) => row.xmppId);
    },

    async first(userId, chat, legacyId) {
      const cached = cache.first(userId, chat, legacyId);
      if (cached) return cached;
      // A pair still on its way to the database may have left the cache already.
      await writer.settled();
      const [row] = await firstQuery(db, tables, userId, chat, legacyId);
      if (row) cache.learnFirst(userId, row);
      return row;
    },

    async legacyId(userId, chat, xmppId) {
      const cached = cache.legacyId(userId, chat, xmppId);
      if (cached !== undefined) return cached;
      await writer.settled();
      const [row] = await legacyIdQuery(db, tables, userId, chat, xmppId);
      if (row) cache.learnLegacyId(userId, chat, xmppId, row.legacyId);
      return row?.legacyId;
    },

    flush: () => writer.settled(),

    forgetUser(userId) {
      cache.forgetUser(userId);
    },

    stats() {
      return { hits: cache.hits, misses: cache.misses, entries: cache.size, backlog: writer.backlog };
    },
  };
}

/** The oldest pair of a legacy message: served by message_ids_legacy_lookup, in index order. */
export function firstQuery(
  db: Database,
  { messageIds }: Tables,
  userId: number,
  chat: string,
  legacyId: string,
) {
  return db
    .select({
      chat: messageIds.chat,
      legacyId: messageIds.legacyId,
      xmppId: messageIds.xmppId,
      direction: messageIds.direction,
    })
    .from(messageIds)
    .where(and(eq(messageIds.userId, userId), eq(messageIds.chat, chat), eq(messageIds.legacyId, legacyId)))
    .orderBy(asc(messageIds.id))
    .limit(1);
}

/** The newest legacy id of an XMPP id: served by message_ids_xmpp_lookup, in index order. */
export function legacyIdQuery(
  db: Database,
  { messageIds }: Tables,
  userId: number,
  chat: string,
  xmppId: string,
) {
  return db
    .select({ legacyId: messageIds.legacyId })
    .from(messageIds)
    .where(and(eq(messageIds.userId, userId), eq(messageIds.chat, chat), eq(messageIds.xmppId, xmppId)))
    .orderBy(desc(messageIds.id))
    .limit(1);
}
