import { and, asc, desc, eq } from "drizzle-orm";
import type { Database } from "../drivers/driver.js";
import { messageIds } from "../schema.js";

/** 'in': the message came from the legacy network; 'out': the XMPP user sent it. */
export type MessageDirection = "in" | "out";

export interface MessageIdPair {
  /** Legacy id of the contact or room the message belongs to. */
  chat: string;
  legacyId: string;
  xmppId: string;
  direction: MessageDirection;
}

export interface MessageIdRepository {
  /** Records that `legacyId` and `xmppId` are the same message. Recording a known pair again is a no-op. */
  add(userId: number, pair: MessageIdPair): Promise<void>;
  /** Every XMPP id of a legacy message, oldest first (a message with attachments has several). */
  xmppIds(userId: number, chat: string, legacyId: string): Promise<string[]>;
  /** The first XMPP id of a legacy message and which way it went; undefined when unknown. */
  first(userId: number, chat: string, legacyId: string): Promise<MessageIdPair | undefined>;
  /** The legacy id behind an XMPP id; the latest mapping wins if a client ever reused an id. */
  legacyId(userId: number, chat: string, xmppId: string): Promise<string | undefined>;
}

export function createMessageIdRepository(db: Database): MessageIdRepository {
  return {
    async add(userId, pair) {
      await db
        .insert(messageIds)
        .values({ userId, ...pair })
        .onConflictDoNothing({
          target: [messageIds.userId, messageIds.chat, messageIds.legacyId, messageIds.xmppId],
        });
    },

    async xmppIds(userId, chat, legacyId) {
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
      const [row] = await db
        .select({
          chat: messageIds.chat,
          legacyId: messageIds.legacyId,
          xmppId: messageIds.xmppId,
          direction: messageIds.direction,
        })
        .from(messageIds)
        .where(
          and(eq(messageIds.userId, userId), eq(messageIds.chat, chat), eq(messageIds.legacyId, legacyId)),
        )
        .orderBy(asc(messageIds.id))
        .limit(1);
      return row;
    },

    async legacyId(userId, chat, xmppId) {
      const [row] = await db
        .select({ legacyId: messageIds.legacyId })
        .from(messageIds)
        .where(and(eq(messageIds.userId, userId), eq(messageIds.chat, chat), eq(messageIds.xmppId, xmppId)))
        .orderBy(desc(messageIds.id))
        .limit(1);
      return row?.legacyId;
    },
  };
}
