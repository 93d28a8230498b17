import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadGatewayConfig } from "../config/config.js";
import { tempDir } from "../testing/index.js";

const base = ["--jid", "demo.example.org", "--secret", "s3cret"];

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return loadGatewayConfig({ appName: "demo", argv: [...base, ...argv], env: { HOME: "/home/x", ...env } });
}

describe("--metrics-port, --metrics-host, --log-format", () => {
  it("are off, loopback and automatic by default", () => {
    const config = load([]);
    expect(config.metrics).toBeUndefined();
    expect(config.logFormat).toBeUndefined();
  });

  it("come from the flag, the GANGWAY_* variable or the config file", () => {
    expect(load(["--metrics-port", "9100"]).metrics).toEqual({ port: 9100, host: "127.0.0.1" });
    expect(load([], { GANGWAY_METRICS_PORT: "9101", GANGWAY_METRICS_HOST: "0.0.0.0" }).metrics).toEqual({
      port: 9101,
      host: "0.0.0.0",
    });
    const file = join(tempDir(), "gateway.toml");
    writeFileSync(file, 'metrics-port = 9102\nmetrics_host = "::1"\nlog-format = "pretty"\n');
    const fromFile = load(["--config", file]);
    expect(fromFile.metrics).toEqual({ port: 9102, host: "::1" });
    expect(fromFile.logFormat).toBe("pretty");
    expect(load(["--log-format", "json"], { GANGWAY_LOG_FORMAT: "pretty" }).logFormat).toBe("json");
  });

  it("refuse a bad port or format with the flag and the variable named", () => {
    expect(() => load(["--metrics-port", "70000"])).toThrow(ConfigError);
    expect(() => load(["--metrics-port", "70000"])).toThrow(
      "--metrics-port (or GANGWAY_METRICS_PORT) must be between 0 (off) and 65535",
    );
    expect(() => load(["--metrics-port", "nine"])).toThrow(
      "--metrics-port (or GANGWAY_METRICS_PORT) must be a port",
    );
    expect(() => load(["--log-format", "xml"])).toThrow(
      "--log-format (or GANGWAY_LOG_FORMAT) must be one of json, pretty",
    );
  });
});
