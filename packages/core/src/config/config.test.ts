import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { tempDir } from "../testing/index.js";
import { defineOptions, option } from "./app-options.js";
import { ConfigError, defaultUserJidValidator, envVarName, loadGatewayConfig } from "./config.js";
import { DEFAULT_LIMITS } from "./limits.js";

const base = ["--jid", "demo.example.org", "--secret", "s3cret"];

const DEMO_OPTIONS = defineOptions({
  registration: option(z.enum(["single", "qr", "2fa"]).default("single"), "flow"),
});

function load(argv: string[], env: NodeJS.ProcessEnv = {}) {
  return loadGatewayConfig({
    appName: "demo",
    argv,
    env: { HOME: "/home/x", ...env },
    appOptions: DEMO_OPTIONS,
  });
}

describe("loadGatewayConfig", () => {
  it("applies defaults", () => {
    const config = load(base, { XDG_DATA_HOME: "/data" });
    expect(config).toMatchObject({
      jid: "demo.example.org",
      secret: "s3cret",
      server: "127.0.0.1",
      port: 5347,
      homeDir: "/data/gangway/demo",
      dbUrl: undefined,
      admins: [],
      logLevel: "info",
      app: { registration: "single" },
    });
    expect(config.userJidValidator.test("juliet@example.org")).toBe(true);
    expect(config.userJidValidator.test("juliet@evil.org")).toBe(false);
  });

  it("reads the limits, with defaults, and refuses nonsense naming the flag", () => {
    expect(load(base).limits).toEqual(DEFAULT_LIMITS);
    const limits = load([
      ...base,
      "--max-body-bytes",
      "1000",
      "--rate-limit",
      "0",
      "--store-retry",
      "2.5",
    ]).limits;
    expect(limits).toMatchObject({ bodyBytes: 1000, messagesPerSecond: 0, storeRetryMs: 2500 });
    expect(() => load([...base, "--max-stanza-bytes", "100"])).toThrow(
      /--max-stanza-bytes \(or GANGWAY_MAX_STANZA_BYTES\) must be at least 8192/,
    );
    expect(() => load([...base, "--max-reactions", "lots"])).toThrow(/--max-reactions .* must be a number/);
  });

  it("says which required option is missing", () => {
    expect(() => load(["--jid", "demo.example.org"])).toThrow(ConfigError);
    expect(() => load(["--jid", "demo.example.org"])).toThrow(/--secret \(or GANGWAY_SECRET\) is required/);
  });

  it("lists every problem at once", () => {
    try {
      load(["--port", "99999", "--log-level", "loud"]);
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/--jid .* is required/);
      expect(message).toMatch(/--secret .* is required/);
      expect(message).toMatch(/--port .* between 1 and 65535/);
      expect(message).toMatch(/--log-level .* must be one of/);
    }
  });

  it("lists app option problems together with core ones", () => {
    expect(() => load(["--registration", "fax"])).toThrow(
      /--secret .* is required[\s\S]*--registration \(or GANGWAY_REGISTRATION\) must be one of single, qr, 2fa/,
    );
  });

  it("takes every option from GANGWAY_ env vars", () => {
    const config = load([], {
      GANGWAY_JID: "irc.example.org",
      GANGWAY_SECRET: "x",
      GANGWAY_PORT: "5348",
      GANGWAY_DB_URL: "postgres://gw@db/gw",
      GANGWAY_ADMINS: "root@example.org, admin@example.org",
      GANGWAY_USER_JID_VALIDATOR: "^.*@corp\\.example$",
      GANGWAY_REGISTRATION: "qr",
    });
    expect(config.port).toBe(5348);
    expect(config.dbUrl).toBe("postgres://gw@db/gw");
    expect(config.admins).toEqual(["root@example.org", "admin@example.org"]);
    expect(config.userJidValidator.test("a@corp.example")).toBe(true);
    expect(config.app.registration).toBe("qr");
  });

  it("reads a TOML config file, with the command line winning over env over file", () => {
    const dir = tempDir("gangway-config-");
    const path = join(dir, "gateway.toml");
    writeFileSync(
      path,
      'jid = "file.example.org"\nsecret = "from-file"\nport = 6000\nadmins = ["a@example.org"]\nlog-level = "debug"\n',
    );
    const config = load(["--config", path, "--port", "7000"], { GANGWAY_SECRET: "from-env" });
    expect(config.jid).toBe("file.example.org");
    expect(config.secret).toBe("from-env");
    expect(config.port).toBe(7000);
    expect(config.admins).toEqual(["a@example.org"]);
    expect(config.logLevel).toBe("debug");
    expect(config.configFile).toBe(path);
  });

  it("rejects unknown config file keys and unreadable files", () => {
    const dir = tempDir("gangway-config-");
    const path = join(dir, "bad.toml");
    writeFileSync(path, 'jid = "a.b"\nsecrte = "typo"\n');
    expect(() => load(["--config", path])).toThrow(/unknown key\(s\) secrte/);
    expect(() => load(["--config", join(dir, "missing.toml")])).toThrow(/cannot read config file/);
  });

  it("rejects bad values with a clear message", () => {
    expect(() => load([...base, "--db-url", "mysql://x"])).toThrow(/--db-url .* postgres:\/\//);
    expect(() => load([...base, "--admins", "not a jid"])).toThrow(/--admins/);
    expect(() => load([...base, "--user-jid-validator", "("])).toThrow(/not a valid regular expression/);
    expect(() => load([...base, "--registration", "carrier-pigeon"])).toThrow(ConfigError);
    expect(() => load([...base, "--bogus", "1"])).toThrow(/unknown option '--bogus'/);
  });

  it("rejects an invalid app option value from the environment", () => {
    expect(() => load(base, { GANGWAY_REGISTRATION: "fax" })).toThrow(/--registration .* single, qr, 2fa/);
  });

  it("surfaces --help as a CommanderError with exit code 0 and the help text", () => {
    try {
      load(["--help"]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CommanderError);
      expect((err as CommanderError).exitCode).toBe(0);
      expect((err as { helpText: string }).helpText).toContain("GANGWAY_DB_URL");
    }
  });
});

describe("helpers", () => {
  it("derives env var names", () => {
    expect(envVarName("db-url")).toBe("GANGWAY_DB_URL");
    expect(envVarName("user-jid-validator")).toBe("GANGWAY_USER_JID_VALIDATOR");
  });

  it("defaults the JID validator to the parent domain, escaping dots", () => {
    const validator = defaultUserJidValidator("demo.example.org");
    expect(validator.test("romeo@example.org")).toBe(true);
    expect(validator.test("romeo@exampleXorg")).toBe(false);
    expect(validator.test("romeo@example.org/res")).toBe(false);
    expect(validator.test("romeo@sub.example.org")).toBe(false);
  });
});
