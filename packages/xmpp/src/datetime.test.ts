import { describe, expect, it } from "vitest";
import { formatXmppDateTime, parseXmppDateTime } from "./datetime.js";

describe("XEP-0082 DateTime", () => {
  it("writes UTC, with milliseconds only when there are some", () => {
    expect(formatXmppDateTime(new Date("2026-01-02T03:04:05Z"))).toBe("2026-01-02T03:04:05Z");
    expect(formatXmppDateTime(new Date("2026-01-02T03:04:05.120Z"))).toBe("2026-01-02T03:04:05.120Z");
    expect(() => formatXmppDateTime(new Date(Number.NaN))).toThrow(RangeError);
  });

  it("reads Z, offsets and any number of fraction digits", () => {
    expect(parseXmppDateTime("2026-01-02T03:04:05Z")?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    expect(parseXmppDateTime("2026-01-02T03:04:05.123456Z")?.toISOString()).toBe("2026-01-02T03:04:05.123Z");
    expect(parseXmppDateTime("2026-01-02T05:04:05+02:00")?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    expect(parseXmppDateTime("2026-01-01T23:34:05-03:30")?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    expect(parseXmppDateTime(" 2026-01-02T03:04:05Z\n")?.toISOString()).toBe("2026-01-02T03:04:05.000Z");
    // Two-digit years are years, not 19xx (Date.UTC's legacy mapping).
    expect(parseXmppDateTime("0050-01-02T03:04:05Z")?.getUTCFullYear()).toBe(50);
    expect(parseXmppDateTime("2024-02-29T00:00:00Z")?.toISOString()).toBe("2024-02-29T00:00:00.000Z");
  });

  it("refuses what is not a DateTime, and impossible dates Date would roll over", () => {
    for (const text of [
      "",
      "yesterday",
      "2026-01-02",
      "2026-01-02T03:04:05",
      "2026-01-02 03:04:05Z",
      "2026-02-30T00:00:00Z",
      "2026-01-02T24:00:00Z",
      "2026-01-02T03:60:00Z",
      "2026-01-02T03:04:05+24:00",
      "2026-01-02T03:04:05+02:60",
      "1e3",
    ]) {
      expect(parseXmppDateTime(text), text).toBeUndefined();
    }
  });
});
