import { afterEach, describe, expect, it } from "vitest";
import { toStoreError } from "./db-errors.js";
import { openSqlite } from "./drivers/sqlite.js";
import { StoreUnavailableError } from "./errors.js";
import { WriteBatcher } from "./write-batcher.js";

/** Inserts users (one multi-row statement: all or none) into a real in-memory SQLite, counting batches. */
async function countingWriter() {
  const driver = await openSqlite(undefined);
  const batches: number[] = [];
  const write = async (jids: readonly string[]) => {
    batches.push(jids.length);
    await driver.db.insert(driver.tables.users).values(jids.map((jid) => ({ jid, registration: "{}" })));
  };
  return { write, batches, close: () => driver.close() };
}

const translate = (error: unknown) => toStoreError(error, "sqlite", "memory");

describe("WriteBatcher", () => {
  let close: () => Promise<void> = async () => {};
  afterEach(() => close());

  it("writes what arrives in one turn of the event loop in one transaction", async () => {
    const counted = await countingWriter();
    close = counted.close;
    const batcher = new WriteBatcher(counted.write, 100, translate);
    await Promise.all(["a", "b", "c"].map((name) => batcher.write(`${name}@example.org`)));
    expect(counted.batches).toEqual([3]);
  });

  it("groups what arrives during a commit into the next one, and splits at maxBatch", async () => {
    const counted = await countingWriter();
    close = counted.close;
    const batcher = new WriteBatcher(counted.write, 4, translate);
    const first = batcher.write("first@example.org");
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 6 }, (_, n) => batcher.write(`u${n}@example.org`));
    await Promise.all([first, ...rest]);
    expect(counted.batches).toEqual([1, 4, 2]);
    await batcher.settled();
    expect(batcher.backlog).toBe(0);
  });

  it("retries a failed batch row by row, so only the bad row fails", async () => {
    const counted = await countingWriter();
    close = counted.close;
    const batcher = new WriteBatcher(counted.write, 100, translate);
    const results = await Promise.allSettled(
      ["x@example.org", "dup@example.org", "dup@example.org", "y@example.org"].map((jid) =>
        batcher.write(jid),
      ),
    );
    expect(results.map((result) => result.status)).toEqual([
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    expect(counted.batches).toEqual([4, 1, 1, 1, 1]);
  });

  it("fails the whole batch at once when the database is unavailable", async () => {
    const counted = await countingWriter();
    await counted.close();
    const batcher = new WriteBatcher(counted.write, 100, translate);
    const results = await Promise.allSettled(
      ["a@example.org", "b@example.org"].map((jid) => batcher.write(jid)),
    );
    for (const result of results) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
    expect(counted.batches).toEqual([2]);
  });
});
