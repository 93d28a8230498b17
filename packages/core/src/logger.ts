import { type DestinationStream, type Logger, pino } from "pino";
import pretty from "pino-pretty";
import type { LogFormat, LogLevel } from "./config/config.js";

export type { Logger } from "pino";

/**
 * Paths whose values are never written to a log line. Registration data and legacy session
 * state hold users' credentials; the component secret lets anyone impersonate the gateway.
 */
export const REDACTED_PATHS = [
  "secret",
  "*.secret",
  "password",
  "*.password",
  "registration",
  "*.registration",
  "legacyData",
  "*.legacyData",
  "config.secret",
  "secretKey",
  "*.secretKey",
  "previousSecretKeys",
  "*.previousSecretKeys",
  "form",
  "*.form",
  "code",
  "*.code",
];

const URL_CREDENTIALS = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@/\s]+@/gi;

/** Hides the password part of any URL in a string (`postgres://u:pw@h` → `postgres://u:***@h`). */
export function redactUrlCredentials(text: string): string {
  return text.replace(URL_CREDENTIALS, "$1***@");
}

/**
 * `--log-format` when given; else pretty for a person at a terminal, JSON (one object a line) for
 * everything else: a supervisor, a pipe, a log collector.
 */
export function logFormatFor(format: LogFormat | undefined, stdout: { isTTY?: boolean }): LogFormat {
  return format ?? (stdout.isTTY ? "pretty" : "json");
}

/**
 * The gateway's logger: JSON lines on `destination` (stdout by default), or with `format: "pretty"`
 * the same records made readable (pino-pretty, in this thread; colours when stdout is a terminal).
 * Redaction happens before either, so both hide the same things.
 */
export function createLogger(
  options: { level: LogLevel; name?: string; format?: LogFormat },
  destination?: DestinationStream,
): Logger {
  const output =
    options.format === "pretty"
      ? pretty({ destination: destination ?? 1, sync: true, ...(destination && { colorize: false }) })
      : destination;
  return pino(
    {
      level: options.level,
      name: options.name,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      formatters: {
        log(object) {
          for (const [key, value] of Object.entries(object)) {
            if (typeof value === "string") object[key] = redactUrlCredentials(value);
          }
          return object;
        },
      },
      hooks: {
        logMethod(args, method) {
          const redacted = args.map((arg) => (typeof arg === "string" ? redactUrlCredentials(arg) : arg));
          return method.apply(this, redacted as Parameters<typeof method>);
        },
      },
    },
    output,
  );
}
