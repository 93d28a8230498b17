import { describe, expect, it } from "vitest";
import { InflightGate } from "./inflight.js";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("InflightGate", () => {
  it("pauses reading at max, resumes at half, refuses past twice max", async () => {
    const events: string[] = [];
    const gate = new InflightGate(4, {
      pause: () => events.push("pause"),
      resume: () => events.push("resume"),
    });
    const works = Array.from({ length: 8 }, deferred);
    for (const [i, work] of works.entries()) {
      expect(gate.full).toBe(false);
      gate.track(work.promise);
      if (i === 2) expect(events).toEqual([]);
    }
    expect(events[0]).toBe("pause");
    expect(gate.count).toBe(8);
    expect(gate.full).toBe(true);
    for (const work of works.slice(0, 5)) work.resolve();
    await tick();
    expect(gate.count).toBe(3);
    expect(gate.full).toBe(false);
    expect(events.at(-1)).toBe("pause");
    works[5]?.resolve();
    await tick();
    expect(events.at(-1)).toBe("resume");
  });

  it("counts failed work as done too", async () => {
    const gate = new InflightGate(2, { pause() {}, resume() {} });
    gate.track(Promise.reject(new Error("handler failed")));
    await tick();
    expect(gate.count).toBe(0);
  });

  it("idle() waits for the running work, or gives up after the timeout with the count left", async () => {
    const gate = new InflightGate(10, { pause() {}, resume() {} });
    expect(await gate.idle(10)).toBe(0);
    const quick = deferred();
    const stuck = deferred();
    gate.track(quick.promise);
    setTimeout(quick.resolve, 5);
    expect(await gate.idle(1000)).toBe(0);
    gate.track(stuck.promise);
    expect(await gate.idle(20)).toBe(1);
    stuck.resolve();
  });
});
