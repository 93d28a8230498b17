import { and, eq } from "drizzle-orm";
import type { Database, Tables } from "../drivers/driver.js";

/** How a user was told about a room: an XEP-0402 bookmark in their PEP, or an XEP-0249 invitation. */
export type RoomBookmarkVia = "pep" | "invitation";

/**
 * The rooms each user was already told about (see core's room bookmarks), so a login tells them
 * only about new ones: one read per login, one write per room told.
 */
export interface RoomBookmarkRepository {
  /** The user's rooms (legacy ids) and how each was told: one query for the whole login. */
  listForUser(userId: number): Promise<Map<string, RoomBookmarkVia>>;
  /** Records (or changes) how `room` was told. A deleted user's write is a no-op. */
  record(userId: number, room: string, via: RoomBookmarkVia): Promise<void>;
  /** Forgets `room` (the user left it): if they come back to it, they are told again. */
  forget(userId: number, room: string): Promise<boolean>;
}

export function createRoomBookmarkRepository(
  db: Database,
  { roomBookmarks, users }: Tables,
): RoomBookmarkRepository {
  return {
    async listForUser(userId) {
      const rows = await db
        .select({ room: roomBookmarks.room, via: roomBookmarks.via })
        .from(roomBookmarks)
        .where(eq(roomBookmarks.userId, userId));
      return new Map(rows.map((row) => [row.room, row.via]));
    },
    async record(userId, room, via) {
      // Inserting for a user deleted meanwhile would break the foreign key: a no-op instead.
      const [user] = await db.select({ id: users.id }).from(users).where(eq(users.id, userId));
      if (!user) return;
      await db
        .insert(roomBookmarks)
        .values({ userId, room, via })
        .onConflictDoUpdate({
          target: [roomBookmarks.userId, roomBookmarks.room],
          set: { via, updatedAt: new Date() },
        });
    },
    async forget(userId, room) {
      const deleted = await db
        .delete(roomBookmarks)
        .where(and(eq(roomBookmarks.userId, userId), eq(roomBookmarks.room, room)))
        .returning({ room: roomBookmarks.room });
      return deleted.length > 0;
    },
  };
}
