import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../testing/index.js";
import { loadGatewayConfig } from "./config.js";
import { DEFAULT_LIMITS } from "./limits.js";

const base = ["--jid", "demo.example.org", "--secret", "s3cret"];

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return loadGatewayConfig({ appName: "demo", argv, env: { HOME: "/home/x", ...env } });
}

describe("file options: --max-file-bytes, --file-timeout, --allow-file-host", () => {
  it("default to 100 MiB, 30 s without progress, and no host allowed on private addresses", () => {
    expect(DEFAULT_LIMITS.fileBytes).toBe(100 * 1024 * 1024);
    const { limits } = load(base);
    expect(limits).toMatchObject({ fileBytes: 104857600, fileIdleMs: 30_000, fileHosts: [] });
  });

  it("are read from the flag, the environment and the TOML file (a list there)", () => {
    const file = join(tempDir(), "gateway.toml");
    writeFileSync(file, 'max-file-bytes = 1000\nallow-file-host = ["upload.internal", "10.0.0.5:5281"]\n');
    expect(load([...base, "--config", file]).limits).toMatchObject({
      fileBytes: 1000,
      fileHosts: ["upload.internal", "10.0.0.5:5281"],
    });
    const fromEnv = load(base, { GANGWAY_MAX_FILE_BYTES: "0", GANGWAY_FILE_TIMEOUT: "2.5" }).limits;
    expect(fromEnv).toMatchObject({ fileBytes: 0, fileIdleMs: 2500 });
    expect(
      load([...base, "--allow-file-host", "Upload.Example.org, 127.0.0.1:5280"]).limits.fileHosts,
    ).toEqual(["upload.example.org", "127.0.0.1:5280"]);
  });

  it("refuse what is not a size, a duration or a host, naming the flag", () => {
    expect(() => load([...base, "--max-file-bytes", "-1"])).toThrow(
      /--max-file-bytes \(or GANGWAY_MAX_FILE_BYTES\) must be at least 0/,
    );
    expect(() => load([...base, "--file-timeout", "0"])).toThrow(/--file-timeout/);
    expect(() => load([...base, "--allow-file-host", "http://x/"])).toThrow(
      /--allow-file-host \(or GANGWAY_ALLOW_FILE_HOST\) must be hosts \(host or host:port\)/,
    );
  });
});
