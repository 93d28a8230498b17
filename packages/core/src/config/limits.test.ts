import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../testing/index.js";
import { loadGatewayConfig } from "./config.js";
import { DEFAULT_LIMITS, LIMIT_DEFAULTS, LIMIT_OPTIONS } from "./limits.js";

const base = ["--jid", "demo.example.org", "--secret", "s3cret"];

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return loadGatewayConfig({ appName: "demo", argv, env: { HOME: "/home/x", ...env } });
}

describe("--room-archive-size", () => {
  it("defaults to 1000 messages per room", () => {
    expect(DEFAULT_LIMITS.roomArchiveSize).toBe(1000);
    expect(LIMIT_DEFAULTS["room-archive-size"]).toBe("1000");
    expect(LIMIT_OPTIONS.map((option) => option.name)).toContain("room-archive-size");
    expect(load(base).limits.roomArchiveSize).toBe(1000);
  });

  it("is read from the flag, the environment and the TOML file, the flag first", () => {
    const dir = tempDir();
    const file = join(dir, "gateway.toml");
    writeFileSync(file, "room-archive-size = 25\n");
    expect(load([...base, "--config", file]).limits.roomArchiveSize).toBe(25);
    expect(
      load([...base, "--config", file], { GANGWAY_ROOM_ARCHIVE_SIZE: "40" }).limits.roomArchiveSize,
    ).toBe(40);
    expect(
      load([...base, "--config", file, "--room-archive-size", "0"], { GANGWAY_ROOM_ARCHIVE_SIZE: "40" })
        .limits.roomArchiveSize,
    ).toBe(0);
  });

  it("refuses what is not a count, naming the flag", () => {
    expect(() => load([...base, "--room-archive-size", "-1"])).toThrow(
      /--room-archive-size \(or GANGWAY_ROOM_ARCHIVE_SIZE\) must be at least 0/,
    );
    expect(() => load([...base, "--room-archive-size", "1.5"])).toThrow(/must be a whole number/);
    expect(() => load([...base, "--room-archive-size", "many"])).toThrow(/must be a number/);
    expect(() => load([...base, "--room-archive-size", "2000000"])).toThrow(/must be at most 1000000/);
  });
});
