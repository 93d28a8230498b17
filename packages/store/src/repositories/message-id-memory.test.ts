import { describe, expect, it } from "vitest";
import { StoreQueryError } from "../errors.js";
import type { MessageIdCacheOptions } from "../options.js";
import { openStore, type Store } from "../store.js";
import { forEachDriver, type StoreTestDriver } from "../test-support/drivers.js";

const pair = (n: number, chat = "alice") =>
  ({ chat, legacyId: `L${n}`, xmppId: `X${n}`, direction: "in" }) as const;

/** A store on a database that outlives it (to reopen it cold), with a user. */
async function storeOn(driver: StoreTestDriver, messageIds?: MessageIdCacheOptions) {
  const options = { ...(await driver.createDatabase()), ...(messageIds && { messageIds }) };
  const store = await openStore(options);
  const user = await store.users.create({ jid: "user@example.org", registration: {} });
  return { options, store, userId: user.id };
}

async function closing<T>(store: Store, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } finally {
    await store.close();
  }
}

forEachDriver((driver) => {
  describe("the id map in memory", () => {
    it("answers a pair from memory before it is committed, and commits a burst in one go", async () => {
      const { options, store, userId } = await storeOn(driver);
      const committed = Array.from({ length: 300 }, (_, n) => store.messageIds.add(userId, pair(n)));
      // Nothing written yet: the burst waits for the next turn of the event loop.
      expect(store.messageIds.stats().backlog).toBe(300);
      expect(await store.messageIds.legacyId(userId, "alice", "X299")).toBe("L299");
      expect(await store.messageIds.first(userId, "alice", "L0")).toEqual(pair(0));
      expect(store.messageIds.stats()).toMatchObject({ hits: 2, misses: 0 });
      await Promise.all(committed);
      expect(store.messageIds.stats().backlog).toBe(0);
      await store.close();

      const cold = await openStore(options);
      await closing(cold, async () => {
        expect(await cold.messageIds.xmppIds(userId, "alice", "L150")).toEqual(["X150"]);
        expect(await cold.messageIds.legacyId(userId, "alice", "X299")).toBe("L299");
        expect(await cold.messageIds.legacyId(userId, "alice", "X299")).toBe("L299");
        // The first lookup was a query, the second was served from what it learnt.
        expect(cold.messageIds.stats()).toMatchObject({ hits: 1, misses: 1 });
      });
    });

    it("keeps at most `perUser` pairs per user, and finds evicted ones in the database", async () => {
      const { store, userId } = await storeOn(driver, { perUser: 3 });
      await closing(store, async () => {
        // Not awaited: the evicted pairs may still be on their way to the database.
        for (let n = 0; n < 10; n++) void store.messageIds.add(userId, pair(n));
        expect(store.messageIds.stats().entries).toBe(6);
        expect(await store.messageIds.legacyId(userId, "alice", "X0")).toBe("L0");
        expect(await store.messageIds.first(userId, "alice", "L1")).toEqual(pair(1));
        expect(store.messageIds.stats()).toMatchObject({ hits: 0, misses: 2, entries: 6 });
      });
    });

    it("keeps the first XMPP id of a legacy message and the latest legacy id of an XMPP id", async () => {
      const { store, userId } = await storeOn(driver);
      await closing(store, async () => {
        void store.messageIds.add(userId, { chat: "alice", legacyId: "L", xmppId: "text", direction: "in" });
        void store.messageIds.add(userId, { chat: "alice", legacyId: "L", xmppId: "file", direction: "in" });
        void store.messageIds.add(userId, { chat: "alice", legacyId: "M", xmppId: "file", direction: "in" });
        expect((await store.messageIds.first(userId, "alice", "L"))?.xmppId).toBe("text");
        expect(await store.messageIds.legacyId(userId, "alice", "file")).toBe("M");
        await store.messageIds.flush();
        expect(await store.messageIds.xmppIds(userId, "alice", "L")).toEqual(["text", "file"]);
      });
    });

    it("fails only the pair whose user is gone; the rest of its batch is committed", async () => {
      const { options, store, userId } = await storeOn(driver);
      const gone = await store.users.create({ jid: "gone@example.org", registration: {} });
      await store.users.delete(gone.jid);
      const good = store.messageIds.add(userId, pair(1));
      const orphan = store.messageIds.add(gone.id, pair(2));
      const alsoGood = store.messageIds.add(userId, pair(3));
      await expect(good).resolves.toBeUndefined();
      await expect(orphan).rejects.toBeInstanceOf(StoreQueryError);
      await expect(orphan).rejects.toMatchObject({ code: "23503" });
      await expect(alsoGood).resolves.toBeUndefined();
      await store.close();

      const cold = await openStore(options);
      await closing(cold, async () => {
        expect(await cold.messageIds.legacyId(userId, "alice", "X1")).toBe("L1");
        expect(await cold.messageIds.legacyId(userId, "alice", "X3")).toBe("L3");
        expect(await cold.messageIds.legacyId(gone.id, "alice", "X2")).toBeUndefined();
      });
    });

    it("forgets a deleted user's pairs", async () => {
      const { store, userId } = await storeOn(driver);
      await closing(store, async () => {
        await store.messageIds.add(userId, pair(1));
        await store.users.delete("user@example.org");
        expect(await store.messageIds.legacyId(userId, "alice", "X1")).toBeUndefined();
        expect(store.messageIds.stats().entries).toBe(0);
      });
    });

    it("commits what is still batched when the store closes", async () => {
      const { options, store, userId } = await storeOn(driver);
      for (let n = 0; n < 50; n++) void store.messageIds.add(userId, pair(n, "bob"));
      await store.close();
      const cold = await openStore(options);
      await closing(cold, async () => {
        expect(await cold.messageIds.legacyId(userId, "bob", "X49")).toBe("L49");
      });
    });
  });
});
