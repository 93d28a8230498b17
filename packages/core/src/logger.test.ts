import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, logFormatFor, redactUrlCredentials } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger({ level: "debug" }, stream) };
}

describe("createLogger", () => {
  it("never writes secrets, passwords or registration data", () => {
    const { lines, logger } = capture();
    logger.info({ secret: "comp-secret", registration: { username: "u", password: "S3cr3t-Xy7q" } }, "hello");
    logger.info({ user: { password: "S3cr3t-Xy7q", jid: "a@b" } }, "nested");
    const text = lines.join("");
    expect(text).not.toContain("comp-secret");
    expect(text).not.toContain("S3cr3t-Xy7q");
    expect(text).toContain("[redacted]");
    expect(text).toContain("a@b");
  });

  it("hides credentials inside URLs in messages and fields", () => {
    const { lines, logger } = capture();
    logger.info(
      { db: "postgres://gw:hunter2@db.example:5432/gw" },
      "connecting to postgres://gw:hunter2@db/gw",
    );
    const text = lines.join("");
    expect(text).not.toContain("hunter2");
    expect(text).toContain("postgres://gw:***@db.example:5432/gw");
  });

  it("leaves URLs without credentials alone", () => {
    expect(redactUrlCredentials("see https://example.org/a@b")).toBe("see https://example.org/a@b");
  });
});

describe("log formats", () => {
  it("writes readable lines with format pretty, redacted as the JSON ones are", () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger({ level: "info", name: "demo", format: "pretty" }, stream);
    logger.info({ secret: "comp-secret", users: 3 }, "gateway running");
    const text = lines.join("");
    expect(text).toMatch(/INFO \(demo\/\d+\): gateway running/);
    expect(text).toContain("users: 3");
    expect(text).not.toContain("comp-secret");
    expect(() => JSON.parse(text)).toThrow();
  });

  it("is JSON unless told otherwise or writing to a terminal", () => {
    expect(logFormatFor(undefined, { isTTY: false })).toBe("json");
    expect(logFormatFor(undefined, {})).toBe("json");
    expect(logFormatFor(undefined, { isTTY: true })).toBe("pretty");
    expect(logFormatFor("json", { isTTY: true })).toBe("json");
    expect(logFormatFor("pretty", { isTTY: false })).toBe("pretty");
  });
});
