import type { z } from "zod";

/**
 * An app's own options, declared once: the gateway class says `static OPTIONS = defineOptions({…})`,
 * the runner turns each key into a `--flag`, an env var and a config-file key, and the gateway reads
 * the parsed, typed values. Every value arrives as text (or nothing), so each schema takes
 * `string | undefined` in and gives the app's type out: `z.enum([...]).default(...)`,
 * `z.string().transform(parse).optional()`, `z.coerce.number<string>()` (a coercion says what it takes)…
 */
export interface AppOptionSpec<T = unknown> {
  /** One line for `--help`; the choices, the default and the env var are added to it. */
  description: string;
  schema: z.ZodType<T, string | undefined>;
  /** Shown in `--help`; derived from a `z.enum` in the schema by `option()`. */
  choices?: readonly string[];
  /** Shown in `--help`; derived from a `.default()` / `.prefault()` in the schema by `option()`. */
  default?: string;
  /**
   * A list: the flag may be given several times and the schema gets the values joined by commas
   * (as the comma form, an env var and a TOML array give them).
   */
  repeatable?: boolean;
}

/** By kebab-case name: `irc-server` → `--irc-server`, `GANGWAY_IRC_SERVER`, key `irc-server` (or `irc_server`). */
export type AppOptions = Readonly<Record<string, AppOptionSpec>>;

/** What `GatewayConfig.app` holds for `O`, each value of its schema's output type. */
export type AppOptionValues<O extends AppOptions> = {
  readonly [K in keyof O]: O[K] extends AppOptionSpec<infer T> ? T : never;
};

/** One app option; what `--help` shows of its choices and default is read off the schema. */
export function option<T>(
  schema: z.ZodType<T, string | undefined>,
  description: string,
  extra: { repeatable?: boolean } = {},
): AppOptionSpec<T> {
  const { choices, defaultValue } = inspectSchema(schema);
  return {
    description,
    schema,
    ...(extra.repeatable && { repeatable: true }),
    ...(choices && { choices }),
    ...(defaultValue !== undefined && { default: defaultValue }),
  };
}

/** Returns `options` as they are: it exists so the literal keeps its keys and value types. */
export function defineOptions<const O extends AppOptions>(options: O): O {
  return options;
}

/** What a schema's definition looks like to the walk below, whatever wraps what. */
interface SchemaDef {
  type: string;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  entries?: Readonly<Record<string, unknown>>;
  values?: readonly unknown[];
  defaultValue?: unknown;
}

/** Wrappers whose inner schema decides the accepted text. */
const WRAPPERS = new Set(["optional", "nullable", "default", "prefault", "readonly", "catch", "nonoptional"]);

/**
 * Looks through optional/default/pipe wrappers for an enum (or literal) and the outermost default.
 * A default that is not plain text, a number or a boolean (e.g. an object a transform made) is not
 * shown: there is no faithful way to print it as the operator would type it.
 */
function inspectSchema(schema: z.core.$ZodType): { choices?: string[]; defaultValue?: string } {
  let defaultValue: string | undefined;
  let current: z.core.$ZodType | undefined = schema;
  // Bounded: a schema is a finite tree, but a lazy or recursive one must not loop us forever.
  for (let depth = 0; current && depth < 32; depth++) {
    const def = current._zod.def as SchemaDef;
    if ((def.type === "default" || def.type === "prefault") && defaultValue === undefined) {
      defaultValue = printable(def.defaultValue);
    }
    if (def.type === "enum" && def.entries) {
      return { choices: Object.values(def.entries).map(String), defaultValue };
    }
    if (def.type === "literal" && def.values) return { choices: def.values.map(String), defaultValue };
    current = WRAPPERS.has(def.type) ? def.innerType : def.type === "pipe" ? def.in : undefined;
  }
  return { defaultValue };
}

function printable(value: unknown): string | undefined {
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

/** `--help` text after the description: `(choices: a, b; default: a)`, or nothing. */
export function appOptionHelpSuffix(spec: AppOptionSpec): string {
  const parts = [
    ...(spec.choices ? [`choices: ${spec.choices.join(", ")}`] : []),
    ...(spec.default !== undefined ? [`default: ${spec.default}`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * Refuses names that cannot be a flag, an env var and a TOML key alike, or that clash with core's
 * options: a mistake of the app's author, so a plain Error rather than a ConfigError for operators.
 */
export function checkAppOptionNames(options: AppOptions, reserved: ReadonlySet<string>): void {
  for (const name of Object.keys(options)) {
    if (!KEBAB_CASE.test(name)) {
      throw new Error(`app option "${name}" must be kebab-case (lower-case words joined by "-")`);
    }
    if (reserved.has(name)) throw new Error(`app option "${name}" clashes with a core option`);
  }
}
