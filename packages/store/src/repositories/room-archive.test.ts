import { describe, expect, it } from "vitest";
import { StoreError } from "../errors.js";
import { openStore, type Store } from "../store.js";
import { forEachDriver } from "../test-support/drivers.js";
import type { RoomArchiveEntry } from "./room-archive.js";

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function entry(n: number, nick: string | null = n % 2 ? "alice" : "bob"): RoomArchiveEntry {
  return {
    archiveId: `S${n}`,
    at: new Date(T0 + n * 1000),
    nick,
    occupantId: nick && `occ-${nick}`,
    message: { id: `S${n}`, body: `message ${n}` },
  };
}

async function storeWithUser(open: () => Promise<Store>) {
  const store = await open();
  const user = await store.users.create({ jid: "user@example.org", registration: {} });
  return { store, userId: user.id };
}

/** Appends messages 1…count to `room` without waiting for each (as the message path does). */
function fill(store: Store, userId: number, room: string, count: number, keep = 1000) {
  const appended = [];
  for (let n = 1; n <= count; n++) appended.push(store.roomArchive.append(userId, room, entry(n), { keep }));
  return Promise.all(appended);
}

const ids = (page: { entries: RoomArchiveEntry[] } | undefined) => page?.entries.map((e) => e.archiveId);

forEachDriver((driver) => {
  describe("room archive", () => {
    it("gives back what was appended, oldest first, as it was handed in", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const odd: RoomArchiveEntry = {
        archiveId: "$id/with spaces & 'quotes' 🎉",
        at: new Date(T0),
        nick: "nick with ✨",
        occupantId: null,
        message: { body: "<b>&amp;</b> 🎉", reactions: { id: "x", emojis: ["👍", "❤️"] }, markable: true },
      };
      // Not awaited: a query waits for the appends made before it.
      void store.roomArchive.append(userId, "lobby", odd, { keep: 10 });
      void store.roomArchive.append(userId, "lobby", entry(1), { keep: 10 });
      const page = await store.roomArchive.query(userId, "lobby", { max: 10 });
      expect(page).toEqual({ entries: [odd, entry(1)], complete: true });
    });

    it("pages forward after an id, and says when a page is the last one", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await fill(store, userId, "lobby", 5);
      const first = await store.roomArchive.query(userId, "lobby", { max: 2 });
      expect(ids(first)).toEqual(["S1", "S2"]);
      expect(first?.complete).toBe(false);
      const second = await store.roomArchive.query(userId, "lobby", { max: 2, afterIds: ["S2"] });
      expect(ids(second)).toEqual(["S3", "S4"]);
      expect(second?.complete).toBe(false);
      const last = await store.roomArchive.query(userId, "lobby", { max: 2, afterIds: ["S4"] });
      expect(ids(last)).toEqual(["S5"]);
      expect(last?.complete).toBe(true);
      // A page exactly as long as what is left is the last one too.
      const exact = await store.roomArchive.query(userId, "lobby", { max: 3, afterIds: ["S2"] });
      expect(exact?.complete).toBe(true);
    });

    it("pages backward from the newest end, each page still oldest first", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await fill(store, userId, "lobby", 5);
      const newest = await store.roomArchive.query(userId, "lobby", { max: 2, fromEnd: true });
      expect(ids(newest)).toEqual(["S4", "S5"]);
      expect(newest?.complete).toBe(false);
      const older = await store.roomArchive.query(userId, "lobby", {
        max: 2,
        fromEnd: true,
        beforeIds: ["S4"],
      });
      expect(ids(older)).toEqual(["S2", "S3"]);
      const oldest = await store.roomArchive.query(userId, "lobby", {
        max: 2,
        fromEnd: true,
        beforeIds: ["S2"],
      });
      expect(ids(oldest)).toEqual(["S1"]);
      expect(oldest?.complete).toBe(true);
      // A window between two ids, and a page of none (max 0) that still says whether more match.
      const between = await store.roomArchive.query(userId, "lobby", {
        max: 10,
        afterIds: ["S1"],
        beforeIds: ["S5", "S4"],
      });
      expect(ids(between)).toEqual(["S2", "S3"]);
      expect(await store.roomArchive.query(userId, "lobby", { max: 0 })).toEqual({
        entries: [],
        complete: false,
      });
    });

    it("filters by time, author and ids", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await fill(store, userId, "lobby", 6);
      const at = (n: number) => new Date(T0 + n * 1000);
      expect(
        ids(await store.roomArchive.query(userId, "lobby", { max: 10, start: at(2), end: at(4) })),
      ).toEqual(["S2", "S3", "S4"]);
      expect(ids(await store.roomArchive.query(userId, "lobby", { max: 10, nick: "alice" }))).toEqual([
        "S1",
        "S3",
        "S5",
      ]);
      expect(
        ids(await store.roomArchive.query(userId, "lobby", { max: 10, ids: ["S6", "S2", "nope"] })),
      ).toEqual(["S2", "S6"]);
      expect(ids(await store.roomArchive.query(userId, "lobby", { max: 10, ids: [] }))).toEqual([]);
    });

    it("answers undefined when a bounding id is not in the room's archive", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await fill(store, userId, "lobby", 2);
      expect(await store.roomArchive.query(userId, "lobby", { max: 5, afterIds: ["nope"] })).toBeUndefined();
      expect(
        await store.roomArchive.query(userId, "lobby", { max: 5, beforeIds: ["S1", "x"] }),
      ).toBeUndefined();
      // An id of another room is no bound here: rooms are apart.
      await store.roomArchive.append(userId, "other", entry(9), { keep: 10 });
      expect(await store.roomArchive.query(userId, "lobby", { max: 5, afterIds: ["S9"] })).toBeUndefined();
    });

    it("keeps each room's newest messages within its bound, and knows its first and last", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      await fill(store, userId, "lobby", 12, 4);
      await fill(store, userId, "quiet", 3, 4);
      expect(ids(await store.roomArchive.query(userId, "lobby", { max: 100 }))).toEqual([
        "S9",
        "S10",
        "S11",
        "S12",
      ]);
      expect(ids(await store.roomArchive.query(userId, "quiet", { max: 100 }))).toEqual(["S1", "S2", "S3"]);
      const bounds = await store.roomArchive.bounds(userId, "lobby");
      expect(bounds?.first.archiveId).toBe("S9");
      expect(bounds?.last).toEqual(entry(12));
      expect(await store.roomArchive.bounds(userId, "empty")).toBeUndefined();
      // A trimmed id is no longer a bound.
      expect(await store.roomArchive.query(userId, "lobby", { max: 5, afterIds: ["S3"] })).toBeUndefined();
    });

    it("trims a room once it has grown a tenth past its bound, back to the bound", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const count = async () =>
        (await store.roomArchive.query(userId, "lobby", { max: 1000 }))!.entries.length;
      // The first append in a process trims (what the room holds is not known), then every
      // second append (a tenth of 20): the room holds 20, or 21 between two trims.
      for (let n = 1; n <= 21; n++) await store.roomArchive.append(userId, "lobby", entry(n), { keep: 20 });
      expect(await count()).toBe(20);
      await store.roomArchive.append(userId, "lobby", entry(22), { keep: 20 });
      expect(await count()).toBe(21);
      await store.roomArchive.append(userId, "lobby", entry(23), { keep: 20 });
      expect(await count()).toBe(20);
      expect(ids(await store.roomArchive.query(userId, "lobby", { max: 1 }))).toEqual(["S4"]);
    });

    it("ignores an archive id the room has already, and keeps users apart", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const other = await store.users.create({ jid: "other@example.org", registration: {} });
      await store.roomArchive.append(userId, "lobby", entry(1), { keep: 10 });
      await store.roomArchive.append(
        userId,
        "lobby",
        { ...entry(1), message: { body: "again" } },
        { keep: 10 },
      );
      await store.roomArchive.append(other.id, "lobby", entry(2), { keep: 10 });
      expect(await store.roomArchive.query(userId, "lobby", { max: 10 })).toEqual({
        entries: [entry(1)],
        complete: true,
      });
      expect(ids(await store.roomArchive.query(other.id, "lobby", { max: 10 }))).toEqual(["S2"]);
    });

    it("goes with its user, and a write for a user deleted meanwhile fails alone", async () => {
      const { store, userId } = await storeWithUser(driver.openStore);
      const other = await store.users.create({ jid: "other@example.org", registration: {} });
      await fill(store, userId, "lobby", 3);
      expect(await store.users.delete("user@example.org")).toBe(true);
      expect(await store.roomArchive.bounds(userId, "lobby")).toBeUndefined();
      const orphan = store.roomArchive.append(userId, "lobby", entry(4), { keep: 10 });
      const kept = store.roomArchive.append(other.id, "lobby", entry(5), { keep: 10 });
      await expect(orphan).rejects.toBeInstanceOf(StoreError);
      await expect(kept).resolves.toBeUndefined();
      expect(ids(await store.roomArchive.query(other.id, "lobby", { max: 10 }))).toEqual(["S5"]);
    });

    it("survives a restart: what was appended before close() is there after reopening", async () => {
      const options = await driver.createDatabase();
      const first = await openStore(options);
      const { id: userId } = await first.users.create({ jid: "user@example.org", registration: {} });
      for (let n = 1; n <= 3; n++) void first.roomArchive.append(userId, "lobby", entry(n), { keep: 10 });
      await first.close();
      const second = await openStore(options);
      try {
        expect(ids(await second.roomArchive.query(userId, "lobby", { max: 10 }))).toEqual(["S1", "S2", "S3"]);
      } finally {
        await second.close();
      }
    });
  });
});
