import { describe, expect, it } from "vitest";
import { DuplicateContactJidError, StoreQueryError } from "../errors.js";
import type { Store } from "../store.js";
import { forEachDriver } from "../test-support/drivers.js";

async function storeWithUser(open: () => Promise<Store>) {
  const store = await open();
  const user = await store.users.create({ jid: "user@example.org", registration: {} });
  return { store, userId: user.id };
}

forEachDriver((driver) => {
  describe("contacts", () => {
    it("inserts a contact with defaults, then updates only the given fields", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const inserted = await store.contacts.upsert(userId, { legacyId: "100012345", jidLocal: "100012345" });
      expect(inserted).toMatchObject({
        userId,
        legacyId: "100012345",
        jidLocal: "100012345",
        name: null,
        isFriend: false,
        addedToRoster: false,
        extra: {},
      });

      await store.contacts.upsert(userId, {
        legacyId: "100012345",
        jidLocal: "100012345",
        name: "Alice",
        isFriend: true,
        extra: { avatarHash: "abc" },
      });
      const renamed = await store.contacts.upsert(userId, {
        legacyId: "100012345",
        jidLocal: "100012345",
        addedToRoster: true,
      });
      expect(renamed).toMatchObject({
        id: inserted.id,
        name: "Alice",
        isFriend: true,
        addedToRoster: true,
        extra: { avatarHash: "abc" },
      });
      expect(renamed.createdAt).toEqual(inserted.createdAt);
      expect(renamed.updatedAt.getTime()).toBeGreaterThanOrEqual(inserted.updatedAt.getTime());
      expect(await store.contacts.get(userId, "100012345")).toEqual(renamed);
      expect(await store.contacts.getByJidLocal(userId, "100012345")).toEqual(renamed);
    });

    it("lists a user's contacts in insertion order and deletes them one by one", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      for (const id of ["c", "a", "b"])
        await store.contacts.upsert(userId, { legacyId: id, jidLocal: `j-${id}` });
      expect((await store.contacts.listForUser(userId)).map((c) => c.legacyId)).toEqual(["c", "a", "b"]);

      expect(await store.contacts.delete(userId, "a")).toBe(true);
      expect(await store.contacts.delete(userId, "a")).toBe(false);
      expect(await store.contacts.get(userId, "a")).toBeUndefined();
      expect((await store.contacts.listForUser(userId)).map((c) => c.legacyId)).toEqual(["c", "b"]);
    });

    it("scopes legacy ids and JIDs per user", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const other = await store.users.create({ jid: "other@example.org", registration: {} });
      await store.contacts.upsert(userId, { legacyId: "same", jidLocal: "same", name: "mine" });
      await store.contacts.upsert(other.id, { legacyId: "same", jidLocal: "same", name: "theirs" });
      expect((await store.contacts.get(userId, "same"))?.name).toBe("mine");
      expect((await store.contacts.getByJidLocal(other.id, "same"))?.name).toBe("theirs");
    });

    it("refuses to give two legacy contacts of one user the same JID", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await store.contacts.upsert(userId, { legacyId: "one", jidLocal: "taken" });
      const clash = store.contacts.upsert(userId, { legacyId: "two", jidLocal: "taken" });
      await expect(clash).rejects.toBeInstanceOf(DuplicateContactJidError);
      expect(await store.contacts.get(userId, "two")).toBeUndefined();
    });

    it("refuses a contact for a user that does not exist", async () => {
      const store = await driver.openStore();
      const orphan = store.contacts.upsert(424242, { legacyId: "x", jidLocal: "x" });
      await expect(orphan).rejects.toBeInstanceOf(StoreQueryError);
      await expect(orphan).rejects.toMatchObject({ code: "23503" });
    });

    it("keeps odd legacy ids and escaped JID local parts intact", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const oddIds = [
        "+33 6 12 34 56 78",
        "#channel:irc.example.net",
        "Ünïcödé 名前 🐙",
        "quote'\"back\\slash",
        "%_wildcards_%",
        "a".repeat(2000),
      ];
      for (const [index, legacyId] of oddIds.entries()) {
        await store.contacts.upsert(userId, { legacyId, jidLocal: `escaped\\20${index}` });
      }
      for (const [index, legacyId] of oddIds.entries()) {
        expect((await store.contacts.get(userId, legacyId))?.jidLocal).toBe(`escaped\\20${index}`);
        expect((await store.contacts.getByJidLocal(userId, `escaped\\20${index}`))?.legacyId).toBe(legacyId);
      }
      // LIKE wildcards must be matched literally.
      expect(await store.contacts.get(userId, "%")).toBeUndefined();
    });
  });
});
