import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { tempDir } from "../testing/index.js";
import { defineOptions, option } from "./app-options.js";
import { loadGatewayConfig } from "./config.js";
import { parseDuration } from "./file-http.js";

const base = ["--jid", "demo.example.org", "--secret", "s3cret", "--home-dir", "/srv/gw"];

const APP_OPTIONS = defineOptions({
  "irc-channel": option(
    z
      .string()
      .optional()
      .transform((list) => (list ?? "").split(",").filter(Boolean)),
    "channels to join",
    { repeatable: true },
  ),
  "irc-nick": option(z.string().optional(), "nick"),
});

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return loadGatewayConfig({
    appName: "demo",
    argv,
    env: { HOME: "/home/x", ...env },
    appOptions: APP_OPTIONS,
  });
}

describe("the gateway's own file endpoint: --file-http-port, --file-http-url, --file-dir, --file-ttl", () => {
  it("is off by default and at port 0", () => {
    expect(load(base).fileHttp).toBeUndefined();
    expect(load([...base, "--file-http-port", "0"]).fileHttp).toBeUndefined();
  });

  it("serves from <home>/files for 7 days at http://<jid>:<port> on every address by default", () => {
    expect(load([...base, "--file-http-port", "8088"]).fileHttp).toEqual({
      port: 8088,
      host: undefined,
      publicUrl: "http://demo.example.org:8088",
      dir: "/srv/gw/files",
      ttlMs: 7 * 86_400_000,
    });
  });

  it("behind a reverse proxy: its URL (trailing slash dropped), loopback only unless told", () => {
    const config = load(base, {
      GANGWAY_FILE_HTTP_PORT: "8088",
      GANGWAY_FILE_HTTP_URL: "https://gw.example.org/files/",
      GANGWAY_FILE_DIR: "/var/files",
      GANGWAY_FILE_TTL: "12h",
    });
    expect(config.fileHttp).toEqual({
      port: 8088,
      host: "127.0.0.1",
      publicUrl: "https://gw.example.org/files",
      dir: "/var/files",
      ttlMs: 12 * 3_600_000,
    });
    expect(
      load([
        ...base,
        "--file-http-port",
        "1",
        "--file-http-url",
        "https://x.example",
        "--file-http-host",
        "0.0.0.0",
      ]).fileHttp?.host,
    ).toBe("0.0.0.0");
  });

  it("refuses a bad port, URL or duration, naming the flag", () => {
    expect(() => load([...base, "--file-http-port", "70000"])).toThrow(/--file-http-port .* between 0/);
    expect(() => load([...base, "--file-http-port", "1", "--file-http-url", "ftp://x/"])).toThrow(
      /--file-http-url \(or GANGWAY_FILE_HTTP_URL\) must be an http\(s\) URL/,
    );
    expect(() => load([...base, "--file-http-url", "https://x/?a=1"])).toThrow(/must not have a query/);
    expect(() => load([...base, "--file-ttl", "soon"])).toThrow(/--file-ttl .* must be a duration/);
    expect(() => load([...base, "--file-ttl", "10s"])).toThrow(/between 1 minute and 366 days/);
  });

  it("reads durations in seconds, minutes, hours and days", () => {
    expect(parseDuration("90")).toBe(90_000);
    expect(parseDuration("30m")).toBe(1_800_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("7D")).toBe(604_800_000);
    expect(parseDuration("7 weeks")).toBeUndefined();
  });
});

describe("list flags given several times", () => {
  it("add up, mixed with the comma form, for core's lists and an app's repeatable option", () => {
    const config = load([
      ...base,
      "--allow-file-host",
      "upload.internal",
      "--allow-file-host",
      "10.0.0.5:5281,files.internal",
      "--admins",
      "a@example.org",
      "--admins",
      "b@example.org",
      "--irc-channel",
      "#a",
      "--irc-channel",
      "#b,#c",
    ]);
    expect(config.limits.fileHosts).toEqual(["upload.internal", "10.0.0.5:5281", "files.internal"]);
    expect(config.admins).toEqual(["a@example.org", "b@example.org"]);
    expect(config.app["irc-channel"]).toEqual(["#a", "#b", "#c"]);
  });

  it("a flag that is not a list keeps its last value; the flag still wins over the environment", () => {
    const config = load(
      [...base, "--irc-nick", "one", "--irc-nick", "two", "--allow-file-host", "a.internal"],
      {
        GANGWAY_ALLOW_FILE_HOST: "b.internal",
      },
    );
    expect(config.app["irc-nick"]).toBe("two");
    expect(config.limits.fileHosts).toEqual(["a.internal"]);
  });

  it("a TOML array and the environment's comma form still work", () => {
    const file = join(tempDir(), "gateway.toml");
    writeFileSync(file, 'admins = ["a@example.org", "b@example.org"]\n');
    expect(load([...base, "--config", file]).admins).toEqual(["a@example.org", "b@example.org"]);
    expect(load(base, { GANGWAY_ADMINS: "c@example.org, d@example.org" }).admins).toEqual([
      "c@example.org",
      "d@example.org",
    ]);
  });
});
