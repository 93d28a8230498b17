import { describe, expect, it } from "vitest";
import { DuplicateUserError } from "../errors.js";
import { forEachDriver } from "../test-support/drivers.js";

forEachDriver((driver) => {
  describe("users", () => {
    it("creates, reads, updates and deletes a user", async () => {
      const store = await driver.openStore();
      const created = await store.users.create({
        jid: "romeo@montague.example",
        registration: { email: "romeo@example.com", password: "s3cret" },
      });
      expect(created).toMatchObject({
        jid: "romeo@montague.example",
        registration: { email: "romeo@example.com", password: "s3cret" },
        legacyData: null,
        preferences: {},
        lastLoginAt: null,
        rosterHash: null,
      });
      expect(created.id).toBeTypeOf("number");
      expect(created.createdAt).toBeInstanceOf(Date);
      expect(await store.users.get("romeo@montague.example")).toEqual(created);

      const loginAt = new Date("2030-01-02T03:04:05.678Z");
      const updated = await store.users.update("romeo@montague.example", {
        legacyData: { session: "cookie", nested: { deviceId: 7 } },
        preferences: { syncAvatar: true },
        lastLoginAt: loginAt,
      });
      expect(updated).toMatchObject({
        registration: { email: "romeo@example.com", password: "s3cret" },
        legacyData: { session: "cookie", nested: { deviceId: 7 } },
        preferences: { syncAvatar: true },
        lastLoginAt: loginAt,
      });
      expect(updated!.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

      const cleared = await store.users.update("romeo@montague.example", { legacyData: null });
      expect(cleared?.legacyData).toBeNull();
      expect(cleared?.preferences).toEqual({ syncAvatar: true });

      expect(await store.users.delete("romeo@montague.example")).toBe(true);
      expect(await store.users.get("romeo@montague.example")).toBeUndefined();
      expect(await store.users.delete("romeo@montague.example")).toBe(false);
    });

    it("stores, keeps and clears the roster hash", async () => {
      const store = await driver.openStore();
      await store.users.create({ jid: "romeo@montague.example", registration: { password: "s3cret" } });
      const hashed = await store.users.update("romeo@montague.example", { rosterHash: "abc123" });
      expect(hashed?.rosterHash).toBe("abc123");
      expect((await store.users.get("romeo@montague.example"))?.rosterHash).toBe("abc123");

      // Other patches leave it alone (a login's lastLoginAt must not forget it).
      await store.users.update("romeo@montague.example", { lastLoginAt: new Date() });
      const listed: (string | null)[] = [];
      for await (const user of store.users.list()) listed.push(user.rosterHash);
      expect(listed).toEqual(["abc123"]);

      const cleared = await store.users.update("romeo@montague.example", { rosterHash: null });
      expect(cleared?.rosterHash).toBeNull();
      expect(cleared?.registration).toEqual({ password: "s3cret" });
    });

    it("returns undefined when updating a user that does not exist", async () => {
      const store = await driver.openStore();
      expect(await store.users.update("nobody@example.org", { preferences: {} })).toBeUndefined();
    });

    it("refuses a second user with the same JID with a typed error", async () => {
      const store = await driver.openStore();
      await store.users.create({ jid: "juliet@capulet.example", registration: {} });
      const duplicate = store.users.create({ jid: "juliet@capulet.example", registration: { other: 1 } });
      await expect(duplicate).rejects.toBeInstanceOf(DuplicateUserError);
      await expect(duplicate).rejects.toMatchObject({ jid: "juliet@capulet.example" });
      expect(await store.users.count()).toBe(1);
    });

    it("round-trips non-ASCII JIDs and registration values", async () => {
      const store = await driver.openStore();
      const registration = { name: "Zoë 🦊", quote: 'it\'s "quoted"\n\\ and \u0000-free', list: [1, "二"] };
      await store.users.create({ jid: "zoë@例え.example", registration });
      expect((await store.users.get("zoë@例え.example"))?.registration).toEqual(registration);
    });

    it("lists every user page by page, in id order", async () => {
      const store = await driver.openStore();
      const jids = Array.from({ length: 23 }, (_, i) => `user${String(i).padStart(2, "0")}@example.org`);
      for (const jid of jids) await store.users.create({ jid, registration: { n: jid } });
      // A deleted user in the middle must not break the keyset.
      await store.users.delete("user10@example.org");

      const listed: string[] = [];
      for await (const user of store.users.list({ pageSize: 5 })) listed.push(user.jid);
      expect(listed).toEqual(jids.filter((jid) => jid !== "user10@example.org"));

      const withDefaultPageSize: string[] = [];
      for await (const user of store.users.list()) withDefaultPageSize.push(user.jid);
      expect(withDefaultPageSize).toEqual(listed);
      expect(await store.users.count()).toBe(22);
    });

    it("lists nothing from an empty store, including when the page size divides the count", async () => {
      const store = await driver.openStore();
      for await (const _ of store.users.list()) expect.unreachable();
      await store.users.create({ jid: "a@example.org", registration: {} });
      await store.users.create({ jid: "b@example.org", registration: {} });
      const listed: string[] = [];
      for await (const user of store.users.list({ pageSize: 2 })) listed.push(user.jid);
      expect(listed).toEqual(["a@example.org", "b@example.org"]);
    });

    it("deletes a user's contacts and message ids with them, and nobody else's", async () => {
      const store = await driver.openStore();
      const leaving = await store.users.create({ jid: "leaving@example.org", registration: {} });
      const staying = await store.users.create({ jid: "staying@example.org", registration: {} });
      for (const user of [leaving, staying]) {
        await store.contacts.upsert(user.id, { legacyId: "friend", jidLocal: "friend" });
        await store.messageIds.add(user.id, {
          chat: "friend",
          legacyId: "m1",
          xmppId: "x1",
          direction: "in",
        });
      }

      await store.users.delete("leaving@example.org");

      expect(await store.contacts.listForUser(leaving.id)).toEqual([]);
      expect(await store.messageIds.xmppIds(leaving.id, "friend", "m1")).toEqual([]);
      expect(await store.contacts.listForUser(staying.id)).toHaveLength(1);
      expect(await store.messageIds.xmppIds(staying.id, "friend", "m1")).toEqual(["x1"]);
    });
  });
});
