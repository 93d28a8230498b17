import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CommanderError } from "commander";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { tempDir } from "../testing/index.js";
import { type AppOptionSpec, type AppOptionValues, defineOptions, option } from "./app-options.js";
import { ConfigError, loadGatewayConfig } from "./config.js";

interface Endpoint {
  host: string;
  port: number;
}

/** Like the IRC app's `--irc-server`: text in, an object out, a ConfigError naming the flag on bad text. */
function parseEndpoint(text: string): Endpoint {
  const [host, port] = text.split(":");
  if (!host || !port || !/^\d+$/.test(port)) {
    throw new ConfigError(`--endpoint ${JSON.stringify(text)}: expected host:port`);
  }
  return { host, port: Number(port) };
}

const OPTIONS = defineOptions({
  registration: option(z.enum(["single", "2fa", "qr"]).default("single"), "registration flow"),
  endpoint: option(z.string().transform(parseEndpoint).optional(), "where to connect"),
  "max-users": option(z.coerce.number<string>().int().positive().default(100), "how many users may register"),
  "be-nice": option(
    z.string().transform((text, ctx) => {
      if (text === "yes") return true;
      ctx.addIssue({ code: "custom", message: "must be yes" });
      return z.NEVER;
    }),
    "a required option",
  ),
});

const required = ["--jid", "demo.example.org", "--secret", "s", "--be-nice", "yes"];

function load(argv: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return loadGatewayConfig({ appName: "demo", argv, env, appOptions: OPTIONS });
}

function tomlFile(text: string): string {
  const path = join(tempDir("gangway-app-options-"), "gateway.toml");
  writeFileSync(path, text);
  return path;
}

describe("option()", () => {
  it("types each option by its schema's output", () => {
    expectTypeOf(OPTIONS.registration).toEqualTypeOf<AppOptionSpec<"single" | "2fa" | "qr">>();
    expectTypeOf(OPTIONS.endpoint).toEqualTypeOf<AppOptionSpec<Endpoint | undefined>>();
    expectTypeOf<AppOptionValues<typeof OPTIONS>>().toEqualTypeOf<{
      readonly registration: "single" | "2fa" | "qr";
      readonly endpoint: Endpoint | undefined;
      readonly "max-users": number;
      readonly "be-nice": boolean;
    }>();
  });

  it("reads the choices and the default off the schema", () => {
    expect(OPTIONS.registration).toMatchObject({ choices: ["single", "2fa", "qr"], default: "single" });
    expect(OPTIONS["max-users"]).toMatchObject({ default: "100" });
    expect(OPTIONS["max-users"].choices).toBeUndefined();
    expect(OPTIONS.endpoint.default).toBeUndefined();
    expect(option(z.enum(["a", "b"]).optional(), "").choices).toEqual(["a", "b"]);
  });
});

describe("app options in loadGatewayConfig", () => {
  it("gives the parsed values, defaults and undefined for an optional one given nowhere", () => {
    expect(load(required).app).toEqual({
      registration: "single",
      endpoint: undefined,
      "max-users": 100,
      "be-nice": true,
    });
  });

  it("takes them from the command line", () => {
    const app = load([...required, "--registration", "qr", "--endpoint", "irc.example:6667"]).app;
    expect(app).toMatchObject({ registration: "qr", endpoint: { host: "irc.example", port: 6667 } });
  });

  it("takes them from GANGWAY_ env vars", () => {
    const app = load(required, { GANGWAY_MAX_USERS: "7", GANGWAY_ENDPOINT: "h:1" }).app;
    expect(app).toMatchObject({ "max-users": 7, endpoint: { host: "h", port: 1 } });
  });

  it("takes them from the config file, by kebab or snake key, a number as its text", () => {
    const path = tomlFile('registration = "2fa"\nmax_users = 12\nendpoint = "f:2"\n');
    expect(load([...required, "--config", path]).app).toMatchObject({
      registration: "2fa",
      "max-users": 12,
      endpoint: { host: "f", port: 2 },
    });
  });

  it("prefers the command line over env over the config file", () => {
    const path = tomlFile('registration = "2fa"\nendpoint = "file:1"\nmax-users = 1\n');
    const env = { GANGWAY_REGISTRATION: "qr", GANGWAY_ENDPOINT: "env:2" };
    const app = load([...required, "--config", path, "--registration", "single"], env).app;
    expect(app).toMatchObject({ registration: "single", endpoint: { host: "env", port: 2 }, "max-users": 1 });
  });

  it("says which values an enum takes, wherever the wrong one came from", () => {
    const problem = '--registration (or GANGWAY_REGISTRATION) must be one of single, 2fa, qr, not "fax"';
    expect(() => load([...required, "--registration", "fax"])).toThrow(problem);
    expect(() => load(required, { GANGWAY_REGISTRATION: "fax" })).toThrow(problem);
  });

  it("keeps the wording of a ConfigError a transform throws, with the env var by the flag", () => {
    expect(() => load([...required, "--endpoint", "nope"])).toThrow(ConfigError);
    expect(() => load([...required, "--endpoint", "nope"])).toThrow(
      '--endpoint (or GANGWAY_ENDPOINT) "nope": expected host:port',
    );
  });

  it("names the flag and env var for a schema's own issues and a missing required option", () => {
    expect(() => load([...required, "--max-users", "0"])).toThrow(/^--max-users \(or GANGWAY_MAX_USERS\) /);
    expect(() => load([...required, "--be-nice", "no"])).toThrow(
      "--be-nice (or GANGWAY_BE_NICE) must be yes",
    );
    expect(() => load(["--jid", "demo.example.org", "--secret", "s"])).toThrow(
      "--be-nice (or GANGWAY_BE_NICE) is required",
    );
  });

  it("lists every app option problem at once", () => {
    const problems = () => load(["--jid", "a.b", "--secret", "s", "--registration", "x", "--endpoint", "y"]);
    expect(problems).toThrow(/--registration .*\n--endpoint .*\n--be-nice .* is required/);
  });

  it("still refuses config file keys no option has", () => {
    const path = tomlFile('registration = "qr"\nregistraton = "typo"\n');
    expect(() => load([...required, "--config", path])).toThrow(/unknown key\(s\) registraton/);
  });

  it("lists each app option in --help with its choices, default and env var", () => {
    try {
      load(["--help"]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(CommanderError);
      const help = (err as { helpText: string }).helpText.replace(/\s+/g, " ");
      expect(help).toContain(
        "--registration <value> registration flow (choices: single, 2fa, qr; default: single) [GANGWAY_REGISTRATION]",
      );
      expect(help).toContain("--endpoint <value> where to connect [GANGWAY_ENDPOINT]");
      expect(help).toContain("(default: 100) [GANGWAY_MAX_USERS]");
    }
  });

  it("refuses option names that are not kebab-case or that clash with core's", () => {
    const withOption = (name: string) =>
      loadGatewayConfig({
        appName: "demo",
        argv: required,
        env: {},
        appOptions: { [name]: option(z.string().optional(), "") },
      });
    expect(() => withOption("ircServer")).toThrow(/must be kebab-case/);
    expect(() => withOption("db-url")).toThrow(/clashes with a core option/);
  });
});
