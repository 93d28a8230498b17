import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { Command, CommanderError, Option } from "commander";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import { METRICS_OPTIONS, type MetricsConfig, metricsFrom, metricsSchema } from "../metrics/config.js";
import { type AppOptions, appOptionHelpSuffix, checkAppOptionNames } from "./app-options.js";
import { FILE_HTTP_OPTIONS, type FileHttpConfig, fileHttpFrom, fileHttpSchema } from "./file-http.js";
import { type GatewayLimits, LIMIT_DEFAULTS, LIMIT_OPTIONS, limitsFrom, limitsSchema } from "./limits.js";

/**
 * One option shape for every gateway app: each option is a `--kebab-flag`, an env var
 * `GANGWAY_<SNAKE_NAME>` and a key `kebab-flag` in the optional TOML config file.
 * Precedence: command line > environment > config file > default.
 */

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["json", "pretty"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface GatewayConfig {
  /** The component JID, e.g. `demo.example.org`. */
  jid: string;
  /** The XEP-0114 shared secret. Never logged. */
  secret: string;
  server: string;
  port: number;
  homeDir: string;
  /** PostgreSQL URL; when absent the embedded SQLite database `homeDir/gangway.sqlite` is used. */
  dbUrl: string | undefined;
  admins: string[];
  /** Bare JIDs allowed to register; defaults to every JID on the component's parent domain. */
  userJidValidator: RegExp;
  /** Key material for sealing users' secrets; undefined = the key file in `homeDir`. Never logged. */
  secretKey: string | undefined;
  /** Older keys that can still open data during a rotation. Never logged. */
  previousSecretKeys: string[];
  /** XEP-0363 upload service for images the gateway sends (QR codes), e.g. `upload.example.org`. */
  uploadService: string | undefined;
  /** How long a shown QR code waits to be scanned. */
  qrTimeoutMs: number;
  /** How long a multi-step registration may stay half done (it survives restarts meanwhile). */
  partialRegistrationTimeoutMs: number;
  logLevel: LogLevel;
  /** How log lines are written; undefined: pretty when stdout is a terminal, JSON otherwise. */
  logFormat: LogFormat | undefined;
  /** Bounds on input, output and retries (see limits.ts). */
  limits: GatewayLimits;
  /** The gateway's own file endpoint (see file-http.ts); undefined when `--file-http-port` is off. */
  fileHttp: FileHttpConfig | undefined;
  /** The /metrics and /health endpoint (see metrics/config.ts); undefined when `--metrics-port` is off. */
  metrics: MetricsConfig | undefined;
  configFile: string | undefined;
  /** The app's version as the runner was given it (`--version`), for the metrics' `gangway_info`. */
  version?: string;
  /** The app's own options (see `defineOptions`) by name, parsed by their schemas. */
  app: Readonly<Record<string, unknown>>;
}

/** A configuration problem the operator has to fix; the message says what and how. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

interface CoreOptionSpec {
  name: string;
  description: string;
  default?: string;
  /** A list: the flag may be given several times, each value (or comma-separated values) added. */
  repeatable?: boolean;
}

const CORE_OPTIONS: readonly CoreOptionSpec[] = [
  { name: "jid", description: "JID of the gateway component, e.g. demo.example.org" },
  { name: "secret", description: "component secret shared with the XMPP server (XEP-0114)" },
  { name: "server", description: "host of the XMPP server's component port", default: "127.0.0.1" },
  { name: "port", description: "the XMPP server's component port", default: "5347" },
  { name: "home-dir", description: "where the gateway keeps its files (embedded database, keys)" },
  { name: "db-url", description: "PostgreSQL URL (postgres://…); default: embedded database in --home-dir" },
  {
    name: "admins",
    description: "bare JIDs of the gateway's administrators (comma-separated, or the flag repeated)",
    repeatable: true,
  },
  {
    name: "user-jid-validator",
    description:
      "regular expression for bare JIDs allowed to use the gateway (default: any JID on the parent domain)",
  },
  {
    name: "secret-key",
    description:
      "key sealing users' credentials at rest (base64 of 32 bytes, or a passphrase); default: a key file in --home-dir",
  },
  {
    name: "previous-secret-keys",
    description:
      "keys that only open data, comma-separated or the flag repeated (key rotation: the data is resealed with --secret-key at startup)",
    repeatable: true,
  },
  {
    name: "upload-service",
    description: "JID of the XEP-0363 upload service for images the gateway sends, e.g. upload.example.org",
  },
  { name: "qr-timeout", description: "seconds a registration QR code waits to be scanned", default: "60" },
  {
    name: "partial-registration-timeout",
    description: "seconds a multi-step registration may stay half done",
    default: "3600",
  },
  ...LIMIT_OPTIONS.map((spec) => ({ ...spec, default: LIMIT_DEFAULTS[spec.name] })),
  ...FILE_HTTP_OPTIONS,
  ...METRICS_OPTIONS,
  { name: "log-level", description: `one of ${LOG_LEVELS.join(", ")}`, default: "info" },
  {
    name: "log-format",
    description: `one of ${LOG_FORMATS.join(", ")} (default: pretty when stdout is a terminal, else json)`,
  },
  { name: "config", description: "path of a TOML config file whose keys are these option names" },
];

export function envVarName(optionName: string): string {
  return `GANGWAY_${optionName.toUpperCase().replaceAll("-", "_")}`;
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

const bareDomain = /^(?=.{1,1023}$)[^\s@/]+$/;
const bareJid = /^[^\s@/]+@[^\s@/]+$/;

function regexFrom(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new ConfigError(
      `--user-jid-validator is not a valid regular expression: ${(err as Error).message}`,
    );
  }
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `demo.example.org` → any JID `@example.org`; a top-level component JID → any JID at all on it. */
export function defaultUserJidValidator(componentJid: string): RegExp {
  const dot = componentJid.indexOf(".");
  const parent = dot === -1 ? componentJid : componentJid.slice(dot + 1);
  return new RegExp(`^[^@/\\s]+@${escapeRegex(parent)}$`, "i");
}

function defaultHomeDir(appName: string, env: NodeJS.ProcessEnv): string {
  const dataHome = env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(dataHome, "gangway", appName);
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`config file ${path} is not valid TOML: ${(err as Error).message}`);
  }
}

function fileValue(file: Record<string, unknown>, name: string, path: string): string | undefined {
  const value = file[name] ?? file[name.replaceAll("-", "_")];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.map(String).join(",");
  if (typeof value === "object")
    throw new ConfigError(`config file ${path}: key "${name}" must be a plain value`);
  return String(value);
}

/** "a, b,,c" → ["a", "b", "c"]; absent → []. */
const commaList = z
  .string()
  .optional()
  .transform((list) =>
    (list ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
  );

const seconds = z.coerce
  .number({ error: "must be a number of seconds" })
  .positive("must be a positive number of seconds")
  .max(86_400 * 30, "must be at most 30 days");

const configSchema = z.object({
  jid: z
    .string({ error: "is required: the component JID, e.g. demo.example.org" })
    .regex(bareDomain, "must be a bare domain JID such as demo.example.org"),
  secret: z
    .string({ error: "is required: the component secret configured on the XMPP server" })
    .min(1, "must not be empty"),
  server: z.string().min(1),
  port: z.coerce
    .number({ error: "must be a number" })
    .int("must be an integer")
    .min(1, "must be between 1 and 65535")
    .max(65535, "must be between 1 and 65535"),
  homeDir: z.string().min(1),
  dbUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
    .optional(),
  admins: commaList.pipe(
    z.array(z.string().regex(bareJid, "must be a comma-separated list of bare JIDs (user@host)")),
  ),
  userJidValidator: z.string().optional(),
  secretKey: z.string().min(1, "must not be empty").optional(),
  previousSecretKeys: commaList,
  uploadService: z.string().regex(bareDomain, "must be a domain JID such as upload.example.org").optional(),
  qrTimeout: seconds,
  partialRegistrationTimeout: seconds,
  ...limitsSchema,
  ...fileHttpSchema,
  ...metricsSchema,
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
  logFormat: z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(", ")}` }).optional(),
});

function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/**
 * Runs one app option's schema on its text. A `ConfigError` its transform throws is the app's own
 * wording (e.g. the expected format), so it is kept, with the env var put next to the flag.
 */
function parseAppOption(
  name: string,
  schema: z.ZodType<unknown, string | undefined>,
  text: string | undefined,
  choices: readonly string[] | undefined,
): { value: unknown; problem?: undefined } | { problem: string } {
  const flag = `--${name}`;
  const where = `${flag} (or ${envVarName(name)})`;
  let result: z.ZodSafeParseResult<unknown>;
  try {
    result = schema.safeParse(text);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const rest = err.message.slice(flag.length);
    const namesFlag = err.message.startsWith(flag) && !/^[\w-]/.test(rest);
    return { problem: namesFlag ? `${where}${rest}` : `${where}: ${err.message}` };
  }
  if (result.success) return { value: result.data };
  const issue = result.error.issues[0];
  if (text === undefined && issue?.code === "invalid_type") return { problem: `${where} is required` };
  if (choices && issue?.code === "invalid_value") {
    return { problem: `${where} must be one of ${choices.join(", ")}, not ${JSON.stringify(text)}` };
  }
  return { problem: `${where} ${result.error.issues.map((i) => i.message).join("; ")}` };
}

/**
 * A list flag given several times (`--admins a@x --admins b@x`) adds up, as the comma form
 * (`--admins a@x,b@x`) does; the schema splits the joined text. Without this commander would keep
 * only the last one, silently.
 */
function repeatable(flag: Option): Option {
  return flag.argParser((value: string, previous: string | undefined) =>
    previous === undefined ? value : `${previous},${value}`,
  );
}

export interface LoadConfigOptions {
  /** Short app name, e.g. `demo`: used for the default home dir and the help text. */
  appName: string;
  /** The executable's name in help text, e.g. `gangway-demo`. */
  command?: string;
  description?: string;
  version?: string;
  /** The app's own options: usually the gateway class's `OPTIONS`. */
  appOptions?: AppOptions;
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
}

/**
 * Parses argv (without `node` and the script path), env and the config file into a validated
 * configuration. Throws `ConfigError` with every problem listed; `--help`/`--version` throw a
 * `CommanderError` carrying the text and exit code 0.
 */
export function loadGatewayConfig(options: LoadConfigOptions): GatewayConfig {
  const { appName, env, appOptions = {} } = options;
  checkAppOptionNames(appOptions, new Set(CORE_OPTIONS.map((o) => o.name)));
  const appSpecs = Object.entries(appOptions);
  const program = new Command(options.command ?? `gangway-${appName}`)
    .description(options.description ?? `Gangway ${appName} gateway`)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .allowExcessArguments(false);
  if (options.version) program.version(options.version);
  for (const spec of CORE_OPTIONS) {
    const defaultText = spec.default ? ` (default: ${spec.default})` : "";
    const flag = new Option(
      `--${spec.name} <value>`,
      `${spec.description}${defaultText} [${envVarName(spec.name)}]`,
    );
    program.addOption(spec.repeatable ? repeatable(flag) : flag);
  }
  // Choices and default go in the text only: given to commander, it would check the flag alone
  // (not env or file) and with its own wording; the schema checks every source the same way.
  for (const [name, spec] of appSpecs) {
    const help = `${spec.description}${appOptionHelpSuffix(spec)} [${envVarName(name)}]`;
    const flag = new Option(`--${name} <value>`, help);
    program.addOption(spec.repeatable ? repeatable(flag) : flag);
  }

  try {
    program.parse([...options.argv], { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode !== 0)
      throw new ConfigError(err.message.replace(/^error: /, ""));
    if (err instanceof CommanderError) Object.assign(err, { helpText: program.helpInformation() });
    throw err;
  }
  const cli = program.opts<Record<string, string | undefined>>();

  const configFile = cli.config ?? env[envVarName("config")];
  const file = configFile ? readConfigFile(resolve(configFile)) : {};
  const known = new Set(
    [...CORE_OPTIONS.map((o) => o.name), ...Object.keys(appOptions)].flatMap((name) => [
      name,
      name.replaceAll("-", "_"),
    ]),
  );
  const unknownKeys = Object.keys(file).filter((key) => !known.has(key));
  if (unknownKeys.length > 0) {
    throw new ConfigError(`config file ${configFile}: unknown key(s) ${unknownKeys.join(", ")}`);
  }

  const pick = (name: string, fallback?: string): string | undefined => {
    const fromCli =
      program.getOptionValueSource(camelCase(name)) === "cli" ? cli[camelCase(name)] : undefined;
    return fromCli ?? env[envVarName(name)] ?? fileValue(file, name, configFile ?? "") ?? fallback;
  };

  const raw = Object.fromEntries(
    CORE_OPTIONS.map((spec) => [camelCase(spec.name), pick(spec.name, spec.default)]),
  );
  raw.homeDir ??= defaultHomeDir(appName, env);
  const parsed = configSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const key = String(issue.path[0]);
        const name = flagName(key).slice(2);
        return `${flagName(key)} (or ${envVarName(name)}) ${issue.message}`;
      });

  // No fallback for pick: the schema's own `.default()` fills in what no source gave.
  const app: Record<string, unknown> = {};
  for (const [name, spec] of appSpecs) {
    const result = parseAppOption(name, spec.schema, pick(name), spec.choices);
    if (result.problem === undefined) app[name] = result.value;
    else problems.push(result.problem);
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems.join("\n"));

  const data = parsed.data;
  return {
    jid: data.jid,
    secret: data.secret,
    server: data.server,
    port: data.port,
    homeDir: resolve(data.homeDir),
    dbUrl: data.dbUrl,
    admins: data.admins,
    userJidValidator: data.userJidValidator
      ? regexFrom(data.userJidValidator)
      : defaultUserJidValidator(data.jid),
    secretKey: data.secretKey,
    previousSecretKeys: data.previousSecretKeys,
    uploadService: data.uploadService,
    qrTimeoutMs: data.qrTimeout * 1000,
    partialRegistrationTimeoutMs: data.partialRegistrationTimeout * 1000,
    logLevel: data.logLevel,
    logFormat: data.logFormat,
    limits: limitsFrom(data),
    fileHttp: fileHttpFrom(data, data.jid, resolve(data.homeDir)),
    metrics: metricsFrom(data),
    configFile,
    ...(options.version !== undefined && { version: options.version }),
    app,
  };
}
