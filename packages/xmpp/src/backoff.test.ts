import { describe, expect, it } from "vitest";
import { DEFAULT_BACKOFF, reconnectDelay } from "./backoff.js";

describe("reconnectDelay", () => {
  it("doubles from 250 ms up to the 30 s cap (upper bound, random = 1)", () => {
    const delays = Array.from({ length: 10 }, (_, attempt) =>
      reconnectDelay(attempt, DEFAULT_BACKOFF, () => 1),
    );
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("never goes below half the step (lower bound, random = 0)", () => {
    const delays = Array.from({ length: 9 }, (_, attempt) =>
      reconnectDelay(attempt, DEFAULT_BACKOFF, () => 0),
    );
    expect(delays).toEqual([125, 250, 500, 1000, 2000, 4000, 8000, 15000, 15000]);
  });

  it("spreads delays with real randomness within [step/2, step]", () => {
    const samples = Array.from({ length: 200 }, () => reconnectDelay(3, DEFAULT_BACKOFF));
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(1000);
    expect(Math.max(...samples)).toBeLessThanOrEqual(2000);
    expect(new Set(samples).size).toBeGreaterThan(20);
  });

  it("honours a custom cap and factor", () => {
    expect(reconnectDelay(5, { initialDelayMs: 100, factor: 3, maxDelayMs: 5000 }, () => 1)).toBe(5000);
    expect(reconnectDelay(2, { initialDelayMs: 100, factor: 3, maxDelayMs: 5000 }, () => 1)).toBe(900);
  });
});
