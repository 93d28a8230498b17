import { describe, expect, it } from "vitest";
import { forEachDriver } from "../test-support/drivers.js";
import type { InboundRecord } from "./inbound-journal.js";

function record(id: string, receivedAt = new Date("2026-01-02T03:04:05.678Z")): InboundRecord {
  return {
    id,
    userJid: "user@example.org",
    stanzaId: `stanza-${id}`,
    fromJid: "user@example.org/phone",
    toJid: "alice@gateway.example.org",
    receivedAt,
  };
}

forEachDriver((driver) => {
  describe("inbound journal", () => {
    it("writes records still open at a flush, and lists them oldest first", async () => {
      const store = await driver.openStore();
      store.inboundJournal.add(record("b", new Date("2026-01-02T03:04:06.000Z")));
      store.inboundJournal.add(record("a"));
      await store.inboundJournal.flush();
      expect(await store.inboundJournal.list()).toEqual([
        record("a"),
        record("b", new Date("2026-01-02T03:04:06.000Z")),
      ]);
      expect(store.inboundJournal.stats()).toMatchObject({ written: 2, cancelled: 0, pending: 0 });
    });

    it("never writes a record removed before the flush", async () => {
      const store = await driver.openStore();
      store.inboundJournal.add(record("done"));
      store.inboundJournal.add(record("open"));
      store.inboundJournal.remove("done");
      await store.inboundJournal.flush();
      expect((await store.inboundJournal.list()).map((row) => row.id)).toEqual(["open"]);
      expect(store.inboundJournal.stats()).toMatchObject({ written: 1, cancelled: 1 });
    });

    it("deletes a written record at the next flush once its handling ended", async () => {
      const store = await driver.openStore();
      store.inboundJournal.add(record("slow"));
      await store.inboundJournal.flush();
      store.inboundJournal.remove("slow");
      expect(store.inboundJournal.stats().pending).toBe(1);
      await store.inboundJournal.flush();
      expect(await store.inboundJournal.list()).toEqual([]);
    });

    it("keeps a record with no stanza id, and deletes leftovers by id", async () => {
      const store = await driver.openStore();
      store.inboundJournal.add({ ...record("x"), stanzaId: null });
      store.inboundJournal.add(record("y"));
      await store.inboundJournal.flush();
      const [first] = await store.inboundJournal.list();
      expect(first?.stanzaId).toBeNull();
      await store.inboundJournal.delete(["x"]);
      expect((await store.inboundJournal.list()).map((row) => row.id)).toEqual(["y"]);
    });

    it("writes a full batch without waiting for the timer, and what is open on close", async () => {
      const options = await driver.createDatabase();
      const { openStore } = await import("../store.js");
      const store = await openStore({ ...options, inboundJournal: { intervalMs: 60_000, maxBatch: 3 } });
      for (const id of ["1", "2", "3"]) store.inboundJournal.add(record(id));
      await expect.poll(() => store.inboundJournal.stats().written).toBe(3);
      store.inboundJournal.add(record("4"));
      await store.close();
      const reopened = await openStore(options);
      expect((await reopened.inboundJournal.list()).map((row) => row.id).sort()).toEqual([
        "1",
        "2",
        "3",
        "4",
      ]);
      await reopened.close();
    });
  });

  describe("replay cursors", () => {
    it("keeps one cursor per user, replaced on save, gone with the user", async () => {
      const store = await driver.openStore();
      const user = await store.users.create({ jid: "user@example.org", registration: {} });
      const other = await store.users.create({ jid: "other@example.org", registration: {} });
      expect(await store.replayCursors.get(user.id)).toBeUndefined();
      await store.replayCursors.set(user.id, "seq:1");
      await store.replayCursors.set(user.id, "seq:2");
      await store.replayCursors.set(other.id, "seq:9");
      expect(await store.replayCursors.get(user.id)).toBe("seq:2");
      expect(await store.replayCursors.get(other.id)).toBe("seq:9");
      await store.users.delete(user.jid);
      expect(await store.replayCursors.get(user.id)).toBeUndefined();
      // A session saving after its user was deleted writes nothing, and does not fail.
      await store.replayCursors.set(user.id, "seq:3");
      expect(await store.replayCursors.get(user.id)).toBeUndefined();
    });
  });
});
