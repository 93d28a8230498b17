import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF, reconnectDelay } from "./backoff.js";

describe("reconnectDelay", () => {
  const quick = DEFAULT_BACKOFF.quickAttempts!;

  it("retries at 100 ms while a restarting server is likely to come back, then doubles to the 30 s cap", () => {
    const delays = Array.from({ length: quick + 10 }, (_, attempt) =>
      reconnectDelay(attempt, DEFAULT_BACKOFF, () => 1),
    );
    expect(delays.slice(0, quick)).toEqual(Array(quick).fill(100));
    expect(delays.slice(quick)).toEqual([100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600, 30000]);
  });

  it("never goes below half the step (lower bound, random = 0)", () => {
    const delays = Array.from({ length: 9 }, (_, attempt) =>
      reconnectDelay(quick + attempt, DEFAULT_BACKOFF, () => 0),
    );
    expect(delays).toEqual([50, 100, 200, 400, 800, 1600, 3200, 6400, 12800]);
  });

  it("spreads delays with real randomness within [step/2, step]", () => {
    const samples = Array.from({ length: 200 }, () => reconnectDelay(quick + 3, DEFAULT_BACKOFF));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(400);
    expect(Math.max(...samples)).toBeLessThanOrEqual(800);
    expect(new Set(samples).size).toBeGreaterThan(20);
  });

  it("honours a custom cap and factor", () => {
    expect(reconnectDelay(5, { initialDelayMs: 100, factor: 3, maxDelayMs: 5000 }, () => 1)).toBe(5000);
    expect(reconnectDelay(2, { initialDelayMs: 100, factor: 3, maxDelayMs: 5000 }, () => 1)).toBe(900);
  });
});
