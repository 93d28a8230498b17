import { z } from "zod";

/**
 * The bounds on what the gateway accepts and holds, and how long it retries: operator options
 * with defaults that no ordinary use reaches. Each refusal names the limit it applied.
 */
export interface GatewayLimits {
  /** Text of one user message (all its `<body/>`s), in UTF-8 bytes. */
  bodyBytes: number;
  /** Distinct reactions on one message. */
  reactions: number;
  /** One form field, chat-bot line or search prompt, in characters. */
  fieldChars: number;
  /**
   * The largest stanza the gateway writes to the server, in UTF-8 bytes. Prosody closes a
   * component stream that carries a stanza over its limit (512 KiB by default,
   * `component_stanza_size_limit`); longer legacy messages are split below this.
   */
  stanzaBytes: number;
  /** Stanzas one JID may send per second, sustained (0: no limit). */
  messagesPerSecond: number;
  /** Stanzas one JID may send in a burst above the sustained rate. */
  burst: number;
  /** Inbound stanzas being handled at once; past it the gateway stops reading the socket. */
  inflightStanzas: number;
  /** How long a database operation is retried while the database is unreachable (0: not at all). */
  storeRetryMs: number;
  /** Messages kept per room in its archive (MAM and `<history/>` on join); 0 keeps none. */
  roomArchiveSize: number;
  /** The largest file passed on either way, in bytes (0: none). */
  fileBytes: number;
  /** How long a file transfer may go without progress before it fails, in milliseconds. */
  fileIdleMs: number;
  /**
   * Hosts (`host` or `host:port`) the gateway may fetch files from even when they resolve to
   * loopback or private addresses: the server's own upload service on an internal network.
   */
  fileHosts: readonly string[];
}

export const DEFAULT_LIMITS: Readonly<GatewayLimits> = Object.freeze({
  bodyBytes: 64 * 1024,
  reactions: 20,
  fieldChars: 4096,
  stanzaBytes: 256 * 1024,
  messagesPerSecond: 100,
  burst: 500,
  inflightStanzas: 1000,
  storeRetryMs: 30_000,
  roomArchiveSize: 1000,
  fileBytes: 100 * 1024 * 1024,
  fileIdleMs: 30_000,
  fileHosts: [],
});

export const LIMIT_OPTIONS = [
  { name: "max-body-bytes", description: "largest message text a user may send, in UTF-8 bytes" },
  { name: "max-reactions", description: "most distinct reactions on one message" },
  {
    name: "max-field-chars",
    description: "longest form field, chat-bot line or search prompt, in characters",
  },
  {
    name: "max-stanza-bytes",
    description: "largest stanza sent to the XMPP server (keep it under the server's component limit)",
  },
  { name: "rate-limit", description: "stanzas per second one JID may send, sustained (0: no limit)" },
  { name: "rate-burst", description: "stanzas one JID may send in a burst above --rate-limit" },
  { name: "max-inflight", description: "inbound stanzas handled at once before the gateway stops reading" },
  { name: "store-retry", description: "seconds a database operation is retried while the database is down" },
  {
    name: "room-archive-size",
    description: "messages kept per room for history and MAM, oldest dropped first (0: no archive)",
  },
  { name: "max-file-bytes", description: "largest file passed on either way, in bytes (0: no files)" },
  { name: "file-timeout", description: "seconds a file download or upload may go without progress" },
  {
    name: "allow-file-host",
    description:
      "hosts (host or host:port) files may be fetched from even on private addresses, e.g. an internal upload service (comma-separated, or the flag repeated)",
    repeatable: true,
  },
] as const;

export const LIMIT_DEFAULTS: Readonly<Record<(typeof LIMIT_OPTIONS)[number]["name"], string>> = {
  "max-body-bytes": String(DEFAULT_LIMITS.bodyBytes),
  "max-reactions": String(DEFAULT_LIMITS.reactions),
  "max-field-chars": String(DEFAULT_LIMITS.fieldChars),
  "max-stanza-bytes": String(DEFAULT_LIMITS.stanzaBytes),
  "rate-limit": String(DEFAULT_LIMITS.messagesPerSecond),
  "rate-burst": String(DEFAULT_LIMITS.burst),
  "max-inflight": String(DEFAULT_LIMITS.inflightStanzas),
  "store-retry": String(DEFAULT_LIMITS.storeRetryMs / 1000),
  "room-archive-size": String(DEFAULT_LIMITS.roomArchiveSize),
  "max-file-bytes": String(DEFAULT_LIMITS.fileBytes),
  "file-timeout": String(DEFAULT_LIMITS.fileIdleMs / 1000),
  "allow-file-host": "",
};

const count = (min: number) =>
  z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(min, `must be at least ${min}`)
    .max(2 ** 31, "is too large");

/** The limit options' schemas, keyed by the camel-case names the config parser uses. */
export const limitsSchema = {
  maxBodyBytes: count(1),
  maxReactions: count(1),
  maxFieldChars: count(16),
  // A stanza of a few KiB must always fit: receipts, presences, disco answers.
  maxStanzaBytes: count(8 * 1024),
  rateLimit: z.coerce.number({ error: "must be a number" }).min(0, "must be 0 (off) or more"),
  rateBurst: count(1),
  maxInflight: count(1),
  storeRetry: z.coerce.number({ error: "must be a number of seconds" }).min(0).max(3600),
  // Bounded so that one room's trim (a walk of this many index entries per write) stays cheap.
  roomArchiveSize: count(0).max(1_000_000, "must be at most 1000000"),
  maxFileBytes: z.coerce
    .number({ error: "must be a number" })
    .int("must be a whole number")
    .min(0, "must be at least 0")
    .max(2 ** 40, "is too large"),
  fileTimeout: z.coerce.number({ error: "must be a number of seconds" }).positive().max(3600),
  allowFileHost: z
    .string()
    .optional()
    .transform((list) =>
      (list ?? "")
        .split(",")
        .map((host) => host.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[^\s/@:]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/, "must be hosts (host or host:port)"),
      ),
    ),
};

type LimitData = { [K in keyof typeof limitsSchema]: z.output<(typeof limitsSchema)[K]> };

export function limitsFrom(data: LimitData): GatewayLimits {
  return {
    bodyBytes: data.maxBodyBytes,
    reactions: data.maxReactions,
    fieldChars: data.maxFieldChars,
    stanzaBytes: data.maxStanzaBytes,
    messagesPerSecond: data.rateLimit,
    burst: data.rateBurst,
    inflightStanzas: data.maxInflight,
    storeRetryMs: Math.round(data.storeRetry * 1000),
    roomArchiveSize: data.roomArchiveSize,
    fileBytes: data.maxFileBytes,
    fileIdleMs: Math.round(data.fileTimeout * 1000),
    fileHosts: data.allowFileHost,
  };
}
