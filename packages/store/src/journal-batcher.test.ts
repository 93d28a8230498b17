import { describe, expect, it } from "vitest";
import { JournalBatcher } from "./journal-batcher.js";

function recorder(failures = 0) {
  const batches: Array<{ adds: string[]; removes: string[] }> = [];
  const errors: unknown[] = [];
  let failing = failures;
  const batcher = new JournalBatcher<string, string>(
    async (adds, removes) => {
      if (failing-- > 0) throw new Error("database down");
      batches.push({ adds: [...adds], removes: [...removes] });
    },
    { intervalMs: 60_000, maxBatch: 100, onError: (error) => errors.push(error) },
  );
  return { batcher, batches, errors };
}

describe("JournalBatcher", () => {
  it("cancels an add by its remove before any write", async () => {
    const { batcher, batches } = recorder();
    batcher.add("a", "A");
    batcher.remove("a");
    await batcher.flush();
    expect(batches).toEqual([]);
    expect(batcher.cancelled).toBe(1);
  });

  it("keeps a failed batch for the next write, minus what ended meanwhile", async () => {
    const { batcher, batches, errors } = recorder(1);
    batcher.add("a", "A");
    batcher.add("b", "B");
    await batcher.flush();
    expect(errors).toHaveLength(1);
    batcher.remove("a");
    await batcher.flush();
    expect(batches).toEqual([{ adds: ["B"], removes: [] }]);
    expect(batcher.written).toBe(1);
  });

  it("removes a record already written at the next write", async () => {
    const { batcher, batches } = recorder();
    batcher.add("a", "A");
    await batcher.flush();
    batcher.remove("a");
    await batcher.flush();
    expect(batches).toEqual([
      { adds: ["A"], removes: [] },
      { adds: [], removes: ["a"] },
    ]);
  });

  it("drops adds after close, so a stopped process writes nothing more", async () => {
    const { batcher, batches } = recorder();
    batcher.add("a", "A");
    await batcher.close();
    batcher.add("b", "B");
    await batcher.flush();
    expect(batches).toEqual([{ adds: ["A"], removes: [] }]);
  });
});
