import { DrizzleQueryError } from "drizzle-orm/errors";
import { describe, expect, it, vi } from "vitest";
import { isTransientFailure, toStoreError } from "./db-errors.js";
import { StoreQueryError, StoreUnavailableError } from "./errors.js";
import { RetryPolicy, type RetryPolicyOptions } from "./retry.js";
import { WriteBatcher } from "./write-batcher.js";

/** A driver error as postgres.js or Node report it: an Error with a `code`. */
function driverError(code: string, message = `failed with ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** A policy on a fake clock: sleeping advances it at once, and every pause is recorded. */
function fakeClockPolicy(options: Partial<RetryPolicyOptions> = {}) {
  let now = 0;
  const pauses: number[] = [];
  const events: string[] = [];
  const policy = new RetryPolicy({
    retryForMs: 30_000,
    isTransient: isTransientFailure,
    random: () => 1,
    now: () => now,
    sleep: async (ms) => {
      pauses.push(ms);
      now += ms;
    },
    onOutageStart: (error) => events.push(`start: ${(error as Error).message}`),
    onOutageEnd: (ms) => events.push(`end after ${ms} ms`),
    settleMs: 0,
    ...options,
  });
  return { policy, pauses, events, advance: (ms: number) => (now += ms) };
}

/** A driver call that fails `failures` times with `error`, then answers `value`. */
function failingThenWorking<T>(failures: number, error: Error, value: T) {
  const calls = { count: 0 };
  const run = async () => {
    calls.count++;
    if (calls.count <= failures) throw error;
    return value;
  };
  return { run, calls };
}

describe("isTransientFailure", () => {
  it.each([
    ["ECONNREFUSED"],
    ["ECONNRESET"],
    ["CONNECTION_CLOSED"],
    ["CONNECT_TIMEOUT"],
    ["57P01"],
    ["57P02"],
    ["57P03"],
    ["08006"],
    ["08001"],
    ["SQLITE_BUSY"],
    ["SQLITE_LOCKED"],
  ])("retries %s", (code) => {
    expect(isTransientFailure(driverError(code))).toBe(true);
  });

  it.each([
    ["23505"], // unique violation
    ["28P01"], // wrong password: waiting does not fix it
    ["3D000"], // no such database
    ["CONNECTION_ENDED"], // the store was closed on purpose
    ["SQLITE_CONSTRAINT_UNIQUE"],
  ])("does not retry %s", (code) => {
    expect(isTransientFailure(driverError(code))).toBe(false);
  });

  it("looks through drizzle's wrapper, and never retries what is already a StoreError", () => {
    const wrapped = new DrizzleQueryError("insert …", ["secret"], driverError("57P01"));
    expect(isTransientFailure(wrapped)).toBe(true);
    expect(isTransientFailure(new StoreUnavailableError("postgres", "h", "down"))).toBe(false);
    expect(isTransientFailure(new Error("no code"))).toBe(false);
  });
});

describe("RetryPolicy", () => {
  it("retries a transient failure with doubling pauses up to the cap, until it works", async () => {
    const { policy, pauses } = fakeClockPolicy();
    const driver = failingThenWorking(8, driverError("ECONNREFUSED"), "row");
    await expect(policy.run(driver.run)).resolves.toBe("row");
    expect(driver.calls.count).toBe(9);
    expect(pauses).toEqual([50, 100, 200, 400, 800, 1600, 2000, 2000]);
  });

  it("jitters each pause between half and all of its step", async () => {
    const { policy, pauses } = fakeClockPolicy({ random: () => 0 });
    await policy.run(failingThenWorking(3, driverError("57P03"), 1).run);
    expect(pauses).toEqual([25, 50, 100]);
  });

  it("does not retry a constraint violation", async () => {
    const { policy, pauses, events } = fakeClockPolicy();
    const driver = failingThenWorking(1, driverError("23505"), "row");
    await expect(policy.run(driver.run)).rejects.toMatchObject({ code: "23505" });
    expect(driver.calls.count).toBe(1);
    expect(pauses).toEqual([]);
    expect(events).toEqual([]);
  });

  it("gives up after retryForMs with the last failure, which the store reports as unavailable", async () => {
    const { policy, pauses } = fakeClockPolicy({ retryForMs: 5_000 });
    const driver = failingThenWorking(1_000, driverError("ECONNREFUSED", "connect ECONNREFUSED"), "row");
    const failure = await policy.run(driver.run).catch((error: unknown) => error);
    expect(pauses.reduce((sum, ms) => sum + ms, 0)).toBe(5_000);
    expect(toStoreError(failure, "postgres", "db:5432/x")).toBeInstanceOf(StoreUnavailableError);
  });

  it("tries once with retryForMs 0", async () => {
    const { policy } = fakeClockPolicy({ retryForMs: 0 });
    const driver = failingThenWorking(1, driverError("ECONNRESET"), "row");
    await expect(policy.run(driver.run)).rejects.toMatchObject({ code: "ECONNRESET" });
    expect(driver.calls.count).toBe(1);
  });

  it("says once that an outage started and once that it ended, however many queries waited", async () => {
    // Pauses take a real turn of the event loop and no fake time: the outage lasts until we end it.
    const { policy, events, advance } = fakeClockPolicy({
      sleep: () => new Promise((resolve) => setImmediate(resolve)),
    });
    const down = { value: true };
    const query = async () => {
      if (down.value) throw driverError("ECONNREFUSED", "connect ECONNREFUSED");
      return "ok";
    };
    const waiting = Array.from({ length: 20 }, () => policy.run(query));
    await new Promise((resolve) => setImmediate(resolve));
    expect(policy.inOutage).toBe(true);
    advance(1_000);
    down.value = false;
    await expect(Promise.all(waiting)).resolves.toHaveLength(20);
    expect(events).toHaveLength(2);
    expect(events[0]).toBe("start: connect ECONNREFUSED");
    expect(events[1]).toMatch(/^end after \d+ ms$/);
    expect(policy.inOutage).toBe(false);
  });

  it("counts failures right after the first success as the same outage", async () => {
    const { policy, events, advance } = fakeClockPolicy({ settleMs: 50 });
    const flaky = failingThenWorking(2, driverError("57P01"), "ok");
    await policy.run(flaky.run);
    advance(10);
    // A connection the server had not dropped yet fails now: still the same outage.
    await policy.run(failingThenWorking(1, driverError("ECONNRESET"), "ok").run);
    expect(events).toEqual(["start: failed with 57P01"]);
    await vi.waitFor(() => expect(events).toHaveLength(2));
    expect(events[1]).toMatch(/^end after \d+ ms$/);
  });

  it("does not take a first-try success (answered from memory) for the end of an outage", async () => {
    const { policy, events } = fakeClockPolicy();
    await expect(policy.run(failingThenWorking(1_000, driverError("ECONNREFUSED"), 1).run)).rejects.toThrow();
    await policy.run(async () => "from the cache");
    expect(events).toEqual(["start: failed with ECONNREFUSED"]);
    expect(policy.inOutage).toBe(true);
    await policy.run(failingThenWorking(1, driverError("ECONNREFUSED"), 1).run);
    expect(events).toHaveLength(2);
  });

  it("does not start a new outage for an attempt begun before the database came back", async () => {
    const { policy, events, advance } = fakeClockPolicy();
    // A connect that hangs through the outage and fails after the recovery (connect_timeout).
    let failLate: (error: Error) => void = () => {};
    const stuck = policy.run(async (attempt) => {
      if (attempt > 0) return "ok";
      return new Promise<string>((_resolve, reject) => {
        failLate = reject;
      });
    });
    await policy.run(failingThenWorking(2, driverError("ECONNREFUSED"), 1).run);
    expect(events).toHaveLength(2);
    advance(10_000);
    failLate(driverError("CONNECT_TIMEOUT"));
    await expect(stuck).resolves.toBe("ok");
    expect(events).toHaveLength(2);
    expect(policy.inOutage).toBe(false);
  });

  it("stops retrying once stopped (the store is closing)", async () => {
    const { policy } = fakeClockPolicy();
    policy.stop();
    const driver = failingThenWorking(5, driverError("ECONNREFUSED"), "row");
    await expect(policy.run(driver.run)).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(driver.calls.count).toBe(1);
  });
});

describe("WriteBatcher under an outage", () => {
  const translate = (error: unknown) => toStoreError(error, "postgres", "db:5432/x");

  it("writes a failed batch again, whole and in order, instead of dropping it", async () => {
    const { policy } = fakeClockPolicy();
    const committed: string[][] = [];
    let failures = 3;
    const writeRows = async (rows: readonly string[]) => {
      if (failures-- > 0) throw driverError("57P01", "terminating connection due to administrator command");
      committed.push([...rows]);
    };
    const batcher = new WriteBatcher(writeRows, 100, translate, (attempt) => policy.run(attempt));
    const first = batcher.write("a");
    await new Promise((resolve) => setImmediate(resolve));
    const later = ["b", "c"].map((row) => batcher.write(row));
    await Promise.all([first, ...later]);
    expect(committed).toEqual([["a"], ["b", "c"]]);
    expect(batcher.backlog).toBe(0);
  });

  it("rejects every row of the batch with StoreUnavailableError once the outage outlasts the bound", async () => {
    const { policy } = fakeClockPolicy({ retryForMs: 2_000 });
    const writeRows = async () => {
      throw driverError("ECONNREFUSED");
    };
    const batcher = new WriteBatcher(writeRows, 100, translate, (attempt) => policy.run(attempt));
    const outcomes = await Promise.allSettled(["a", "b"].map((row) => batcher.write(row)));
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
  });

  it("still splits a batch with a bad row without retrying it", async () => {
    const { policy, pauses } = fakeClockPolicy();
    const committed: string[] = [];
    const writeRows = async (rows: readonly string[]) => {
      if (rows.includes("bad")) throw driverError("23503", "violates foreign key");
      committed.push(...rows);
    };
    const batcher = new WriteBatcher(writeRows, 100, translate, (attempt) => policy.run(attempt));
    const outcomes = await Promise.allSettled(["a", "bad", "c"].map((row) => batcher.write(row)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(StoreQueryError);
    expect(committed).toEqual(["a", "c"]);
    expect(pauses).toEqual([]);
  });
});
