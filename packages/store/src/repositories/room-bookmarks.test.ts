import { describe, expect, it } from "vitest";
import { forEachDriver } from "../test-support/drivers.js";

forEachDriver((driver) => {
  describe("room bookmarks", () => {
    it("lists how each room was told, per user, and changes it in place", async () => {
      const store = await driver.openStore();
      const romeo = await store.users.create({ jid: "romeo@example.org", registration: {} });
      const juliet = await store.users.create({ jid: "juliet@example.org", registration: {} });
      expect(await store.roomBookmarks.listForUser(romeo.id)).toEqual(new Map());

      await store.roomBookmarks.record(romeo.id, "lobby", "invitation");
      await store.roomBookmarks.record(romeo.id, "#chan with ✨", "pep");
      await store.roomBookmarks.record(juliet.id, "lobby", "pep");
      // An invited room bookmarked later: the same row, now "pep".
      await store.roomBookmarks.record(romeo.id, "lobby", "pep");

      expect(await store.roomBookmarks.listForUser(romeo.id)).toEqual(
        new Map([
          ["lobby", "pep"],
          ["#chan with ✨", "pep"],
        ]),
      );
      expect(await store.roomBookmarks.listForUser(juliet.id)).toEqual(new Map([["lobby", "pep"]]));
    });

    it("forgets one room of one user; a user's rows go with the user", async () => {
      const store = await driver.openStore();
      const romeo = await store.users.create({ jid: "romeo@example.org", registration: {} });
      const juliet = await store.users.create({ jid: "juliet@example.org", registration: {} });
      await store.roomBookmarks.record(romeo.id, "lobby", "pep");
      await store.roomBookmarks.record(romeo.id, "other", "invitation");
      await store.roomBookmarks.record(juliet.id, "lobby", "pep");

      expect(await store.roomBookmarks.forget(romeo.id, "lobby")).toBe(true);
      expect(await store.roomBookmarks.forget(romeo.id, "lobby")).toBe(false);
      expect(await store.roomBookmarks.listForUser(romeo.id)).toEqual(new Map([["other", "invitation"]]));
      expect(await store.roomBookmarks.listForUser(juliet.id)).toEqual(new Map([["lobby", "pep"]]));

      await store.users.delete(romeo.jid);
      expect(await store.roomBookmarks.listForUser(romeo.id)).toEqual(new Map());
      // A write for a user deleted meanwhile (a login racing an unregistration) is a no-op.
      await store.roomBookmarks.record(romeo.id, "late", "pep");
      expect(await store.roomBookmarks.listForUser(romeo.id)).toEqual(new Map());
    });
  });
});
