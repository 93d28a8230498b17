import { describe, expect, it } from "vitest";
import type { Store } from "../store.js";
import { forEachDriver } from "../test-support/drivers.js";

async function storeWithUser(open: () => Promise<Store>) {
  const store = await open();
  const user = await store.users.create({ jid: "user@example.org", registration: {} });
  return { store, userId: user.id };
}

forEachDriver((driver) => {
  describe("message id map", () => {
    it("maps one legacy id to several XMPP ids, in the order they were added, and back", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      for (const xmppId of ["text-part", "attachment-1", "attachment-2"]) {
        await store.messageIds.add(userId, { chat: "alice", legacyId: "mid.1", xmppId, direction: "in" });
      }
      expect(await store.messageIds.xmppIds(userId, "alice", "mid.1")).toEqual([
        "text-part",
        "attachment-1",
        "attachment-2",
      ]);
      expect(await store.messageIds.legacyId(userId, "alice", "attachment-2")).toBe("mid.1");
      expect(await store.messageIds.first(userId, "alice", "mid.1")).toEqual({
        chat: "alice",
        legacyId: "mid.1",
        xmppId: "text-part",
        direction: "in",
      });
      expect(await store.messageIds.first(userId, "alice", "mid.2")).toBeUndefined();
      expect(await store.messageIds.first(userId, "bob", "mid.1")).toBeUndefined();
    });

    it("ignores a pair that is already recorded", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const pair = { chat: "alice", legacyId: "mid.1", xmppId: "x-1", direction: "out" } as const;
      await store.messageIds.add(userId, pair);
      await store.messageIds.add(userId, pair);
      await store.messageIds.add(userId, { ...pair, direction: "in" });
      expect(await store.messageIds.xmppIds(userId, "alice", "mid.1")).toEqual(["x-1"]);
    });

    it("keeps chats and users apart", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const other = await store.users.create({ jid: "other@example.org", registration: {} });
      await store.messageIds.add(userId, { chat: "alice", legacyId: "1", xmppId: "a", direction: "in" });
      await store.messageIds.add(userId, { chat: "bob", legacyId: "1", xmppId: "b", direction: "in" });
      await store.messageIds.add(other.id, { chat: "alice", legacyId: "1", xmppId: "c", direction: "in" });
      expect(await store.messageIds.xmppIds(userId, "alice", "1")).toEqual(["a"]);
      expect(await store.messageIds.xmppIds(userId, "bob", "1")).toEqual(["b"]);
      expect(await store.messageIds.xmppIds(other.id, "alice", "1")).toEqual(["c"]);
      expect(await store.messageIds.legacyId(userId, "bob", "a")).toBeUndefined();
      expect(await store.messageIds.legacyId(other.id, "alice", "a")).toBeUndefined();
    });

    it("answers empty for unknown ids", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      expect(await store.messageIds.xmppIds(userId, "alice", "nope")).toEqual([]);
      expect(await store.messageIds.legacyId(userId, "alice", "nope")).toBeUndefined();
    });

    it("returns the latest legacy id when an XMPP id was reused", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await store.messageIds.add(userId, {
        chat: "alice",
        legacyId: "old",
        xmppId: "reused",
        direction: "out",
      });
      await store.messageIds.add(userId, {
        chat: "alice",
        legacyId: "new",
        xmppId: "reused",
        direction: "out",
      });
      expect(await store.messageIds.legacyId(userId, "alice", "reused")).toBe("new");
    });

    it("keeps odd ids intact", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const chat = "!room:matrix.example ✨";
      const legacyId = "$event/with spaces & 'quotes' 🎉";
      const xmppId = "<not-xml>&amp;";
      await store.messageIds.add(userId, { chat, legacyId, xmppId, direction: "in" });
      expect(await store.messageIds.xmppIds(userId, chat, legacyId)).toEqual([xmppId]);
      expect(await store.messageIds.legacyId(userId, chat, xmppId)).toBe(legacyId);
    });
  });
});
