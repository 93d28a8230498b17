import { eq } from "drizzle-orm";
import type { Database, Tables } from "../drivers/driver.js";

/**
 * Where each user's legacy history stands, for networks that replay what happened while the
 * gateway was away: an opaque string only the app understands (a sequence number, a sync token).
 */
export interface ReplayCursorRepository {
  /** The user's cursor; undefined when none was saved. */
  get(userId: number): Promise<string | undefined>;
  /** Replaces the user's cursor (a deleted user's write is a no-op). */
  set(userId: number, cursor: string): Promise<void>;
}

export function createReplayCursorRepository(
  db: Database,
  { replayCursors, users }: Tables,
): ReplayCursorRepository {
  return {
    async get(userId) {
      const [row] = await db
        .select({ cursor: replayCursors.cursor })
        .from(replayCursors)
        .where(eq(replayCursors.userId, userId));
      return row?.cursor;
    },
    async set(userId, cursor) {
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
      if (!user) return;
      await db
        .insert(replayCursors)
        .values({ userId, cursor })
        .onConflictDoUpdate({ target: replayCursors.userId, set: { cursor, updatedAt: new Date() } });
    },
  };
}
