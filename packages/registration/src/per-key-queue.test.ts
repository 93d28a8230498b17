import { describe, expect, it } from "vitest";
import { PerKeyQueue } from "./per-key-queue.js";

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PerKeyQueue", () => {
  it("runs one key's work in call order, other keys alongside, past failures, and forgets idle keys", async () => {
    const queue = new PerKeyQueue();
    const log: string[] = [];
    const step =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await later(ms);
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
        return name;
      };
    const results = await Promise.allSettled([
      queue.run("a", step("a1", 20, true)),
      queue.run("a", step("a2", 1)),
      queue.run("b", step("b1", 5)),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    expect(log).toEqual(["start a1", "start b1", "end b1", "end a1", "start a2", "end a2"]);
    await later(0);
    expect(queue.size).toBe(0);
  });
});
