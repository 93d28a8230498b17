import { afterEach, describe, expect, it } from "vitest";
import { toStoreError } from "./db-errors.js";
import type { Database, OpenDriver } from "./drivers/driver.js";
import { openSqlite } from "./drivers/sqlite.js";
import { StoreUnavailableError } from "./errors.js";
import { WriteBatcher } from "./write-batcher.js";

/** A real in-memory SQLite driver that counts its transactions. */
async function countingDriver() {
  const driver = await openSqlite(undefined);
  const batches: number[] = [];
  const counting: OpenDriver = {
    ...driver,
    async writeAll(build) {
      batches.push(build(driver.db).length);
      return driver.writeAll(build);
    },
  };
  return { driver: counting, batches, close: () => driver.close() };
}

const insertUsers = (driver: OpenDriver) => (db: Database, jids: string[]) =>
  jids.map((jid) => db.insert(driver.tables.users).values({ jid, registration: "{}" }));

const translate = (error: unknown) => toStoreError(error, "sqlite", "memory");

describe("WriteBatcher", () => {
  let close: () => Promise<void> = async () => {};
  afterEach(() => close());

  it("writes what arrives in one turn of the event loop in one transaction", async () => {
    const counted = await countingDriver();
    close = counted.close;
    const batcher = new WriteBatcher(counted.driver, insertUsers(counted.driver), 100, translate);
    await Promise.all(["a", "b", "c"].map((name) => batcher.write(`${name}@example.org`)));
    expect(counted.batches).toEqual([3]);
  });

  it("groups what arrives during a commit into the next one, and splits at maxBatch", async () => {
    const counted = await countingDriver();
    close = counted.close;
    const batcher = new WriteBatcher(counted.driver, insertUsers(counted.driver), 4, translate);
    const first = batcher.write("first@example.org");
    await new Promise((resolve) => setImmediate(resolve));
    const rest = Array.from({ length: 6 }, (_, n) => batcher.write(`u${n}@example.org`));
    await Promise.all([first, ...rest]);
    expect(counted.batches).toEqual([1, 4, 2]);
    await batcher.settled();
    expect(batcher.backlog).toBe(0);
  });

  it("retries a failed batch row by row, so only the bad row fails", async () => {
    const counted = await countingDriver();
    close = counted.close;
    const batcher = new WriteBatcher(counted.driver, insertUsers(counted.driver), 100, translate);
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
    const counted = await countingDriver();
    await counted.close();
    const batcher = new WriteBatcher(counted.driver, insertUsers(counted.driver), 100, translate);
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
