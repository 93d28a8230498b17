import { join, resolve } from "node:path";
import { z } from "zod";

/**
 * The gateway's own file endpoint, for servers without an XEP-0363 upload service: files from the
 * legacy network are kept in `dir` and served at signed URLs that expire after `ttlMs`.
 */
export interface FileHttpConfig {
  /** The port the gateway listens on (the option is off at 0 or absent: then this is undefined). */
  port: number;
  /** The address it listens on; undefined: every address. */
  host: string | undefined;
  /** The public base URL the links start with, e.g. `https://gw.example.org/files`. */
  publicUrl: string;
  /** Where the files are kept. */
  dir: string;
  /** How long a served file stays (its URL expires with it), in milliseconds. */
  ttlMs: number;
}

export const FILE_HTTP_OPTIONS = [
  {
    name: "file-http-port",
    description:
      "serve files from the legacy network on this port when the server has no upload service (0: off)",
    default: "0",
  },
  {
    name: "file-http-url",
    description:
      "public base URL of those files, e.g. https://gw.example.org/files behind a reverse proxy (default: http://<jid>:<port>)",
  },
  {
    name: "file-http-host",
    description:
      "address the file endpoint listens on (default: 127.0.0.1 with --file-http-url, for the proxy; all addresses without)",
  },
  {
    name: "file-dir",
    description: "where the gateway keeps the files it serves (default: <home-dir>/files)",
  },
  {
    name: "file-ttl",
    description: "how long a served file and its URL last: seconds, or a number with s, m, h or d",
    default: "7d",
  },
] as const;

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90` (seconds), `30m`, `12h`, `7d` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(text);
  if (!match) return undefined;
  return Math.round(Number(match[1]) * (UNIT_MS[(match[2] || "s").toLowerCase()] ?? 1000));
}

/** The file endpoint's schemas, keyed by the camel-case names the config parser uses. */
export const fileHttpSchema = {
  fileHttpPort: z.coerce
    .number({ error: "must be a port number" })
    .int("must be a port number")
    .min(0, "must be between 0 (off) and 65535")
    .max(65535, "must be between 0 (off) and 65535"),
  fileHttpUrl: z
    .string()
    .refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), "must be an http(s) URL")
    .refine((url) => !/[?#]/.test(url), "must not have a query or a fragment")
    .optional(),
  fileHttpHost: z.string().min(1, "must not be empty").optional(),
  fileDir: z.string().min(1, "must not be empty").optional(),
  fileTtl: z.string().transform((text, context) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms < 60_000 || ms > 366 * 86_400_000) {
      context.addIssue({
        code: "custom",
        message: "must be a duration between 1 minute and 366 days (e.g. 3600, 12h, 7d)",
      });
      return z.NEVER;
    }
    return ms;
  }),
};

const fileHttpObject = z.object(fileHttpSchema);
type FileHttpData = z.output<typeof fileHttpObject>;

export function fileHttpFrom(data: FileHttpData, jid: string, homeDir: string): FileHttpConfig | undefined {
  if (data.fileHttpPort === 0) return undefined;
  const publicUrl = (data.fileHttpUrl ?? `http://${jid}:${data.fileHttpPort}`).replace(/\/+$/, "");
  return {
    port: data.fileHttpPort,
    host: data.fileHttpHost ?? (data.fileHttpUrl ? "127.0.0.1" : undefined),
    publicUrl,
    dir: resolve(data.fileDir ?? join(homeDir, "files")),
    ttlMs: data.fileTtl,
  };
}
