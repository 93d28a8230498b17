import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import type { FileHttpConfig } from "./config/file-http.js";
import { isFileId, newFileId, signedPath, verifiedFileId } from "./file-links.js";

/**
 * The gateway's own file endpoint, for servers without an XEP-0363 upload service (the operator
 * turns it on with --file-http-port): files are streamed to `--file-dir` (never whole in memory),
 * served by node:http at signed links that expire with the file (--file-ttl), and swept once
 * expired. Each file is `<id>` with its metadata in `<id>.json`; a file being written is
 * `<id>.part` until it is complete.
 */

/** What is kept beside each file: how to serve it and until when. */
interface FileMeta {
  name: string;
  type: string;
  size: number;
  /** Unix milliseconds. */
  expires: number;
}

/** A file stored for serving: its link and what its message's metadata says of it. */
export interface ServedFile {
  url: string;
  size: number;
  /** SHA-256 of the bytes, base64. */
  sha256: string;
}

/** Stored files past their limit fail with this (the caller tells the user). */
export class FileTooLargeError extends RangeError {
  override readonly name = "FileTooLargeError";
}

const MEDIA_TYPE = /^[a-z0-9][\w.+-]*\/[\w.+-]+$/i;
/** Types a browser may show in place: pictures, sound and video. Anything else is a download. */
const INLINE = /^(image\/(png|jpeg|gif|webp|avif)|audio\/[\w.+-]+|video\/[\w.+-]+)$/;
/** Sweeps of expired files: this often, and a leftover `.part` (a crash mid-write) after a day. */
const SWEEP_MS = 30 * 60_000;
const STALE_PART_MS = 86_400_000;

/** A file name safe in a header and on any client's disk: no controls, no path, at most 200 characters. */
export function safeFileName(name: string): string {
  const cleaned = name
    .normalize("NFC")
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f/\\]/g, "_")
    .replace(/^[.\s]+|\s+$/g, "")
    .slice(0, 200);
  return cleaned === "" ? "file" : cleaned;
}

/** `inline` or `attachment`, with the name both as ASCII (old clients) and as UTF-8 (RFC 6266). */
export function contentDisposition(type: string, name: string): string {
  const safe = safeFileName(name);
  const ascii = safe.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const utf8 = encodeURIComponent(safe).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${INLINE.test(type) ? "inline" : "attachment"}; filename="${ascii}"; filename*=UTF-8''${utf8}`;
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` of a file of `size` bytes: one range, or "unsatisfiable". */
export function parseRange(
  header: string,
  size: number,
): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  const [, from = "", to = ""] = match;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) return "unsatisfiable";
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(from);
  const end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
  if (start >= size || end < start) return "unsatisfiable";
  return { start, end };
}

export class GatewayFileServer {
  readonly #server: Server;
  #sweep: NodeJS.Timeout | undefined;

  private constructor(
    private readonly config: FileHttpConfig,
    private readonly key: Buffer,
    private readonly log: Logger,
  ) {
    this.#server = createServer((request, response) => {
      this.#serve(request, response).catch((err: unknown) => {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not serve a file");
        if (!response.headersSent) response.writeHead(500).end();
        else response.destroy();
      });
    });
  }

  /** Listens on the configured port (0 in tests: any free one) and sweeps what expired meanwhile. */
  static async start(config: FileHttpConfig, key: Buffer, log: Logger): Promise<GatewayFileServer> {
    await mkdir(config.dir, { recursive: true, mode: 0o700 });
    const server = new GatewayFileServer(config, key, log);
    await server.sweep();
    await new Promise<void>((resolve, reject) => {
      server.#server.once("error", reject);
      server.#server.listen(config.port, config.host, () => {
        server.#server.off("error", reject);
        resolve();
      });
    });
    server.#sweep = setInterval(() => void server.sweep(), Math.min(SWEEP_MS, config.ttlMs)).unref();
    log.info({ port: server.port, url: config.publicUrl }, "serving files at the gateway's own endpoint");
    return server;
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#server.address() as AddressInfo).port;
  }

  /** The public base URL (with the actual port when the configured one was 0). */
  get publicUrl(): string {
    return this.config.port === 0
      ? this.config.publicUrl.replace(/:0(?=\/|$)/, `:${this.port}`)
      : this.config.publicUrl;
  }

  /**
   * Streams `source` to disk (at most `maxBytes`, hashed on the way) and resolves with its signed
   * link. Past `maxBytes` it rejects with a FileTooLargeError and nothing is kept.
   */
  async put(
    source: Readable,
    file: { name: string; type: string; maxBytes: number },
    now = Date.now(),
  ): Promise<ServedFile> {
    const id = newFileId();
    const path = join(this.config.dir, id);
    const hash = createHash("sha256");
    let size = 0;
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.byteLength;
        if (size > file.maxBytes) return done(new FileTooLargeError("over the file size limit"));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, counted, createWriteStream(`${path}.part`, { mode: 0o600 }));
      const type = MEDIA_TYPE.test(file.type) ? file.type.toLowerCase() : "application/octet-stream";
      const meta: FileMeta = { name: safeFileName(file.name), type, size, expires: now + this.config.ttlMs };
      await writeFile(`${path}.json`, JSON.stringify(meta), { mode: 0o600 });
      await rename(`${path}.part`, path);
      const expiresS = Math.floor(meta.expires / 1000);
      return {
        url: `${this.publicUrl}${signedPath(this.key, id, expiresS, meta.name)}`,
        size,
        sha256: hash.digest("base64"),
      };
    } catch (error) {
      await rm(`${path}.part`, { force: true });
      await rm(`${path}.json`, { force: true });
      throw error;
    }
  }

  /** Deletes the files that expired (and leftovers of an interrupted write). Returns how many went. */
  async sweep(now = Date.now()): Promise<number> {
    let removed = 0;
    for (const entry of await readdir(this.config.dir).catch(() => [] as string[])) {
      const path = join(this.config.dir, entry);
      try {
        if (entry.endsWith(".json") && isFileId(entry.slice(0, -5))) {
          const meta = JSON.parse(await readFile(path, "utf8")) as Partial<FileMeta>;
          if (typeof meta.expires === "number" && meta.expires > now) continue;
          await rm(path.slice(0, -5), { force: true });
          await rm(path, { force: true });
          removed++;
        } else if (entry.endsWith(".part") && (await stat(path)).mtimeMs < now - STALE_PART_MS) {
          await rm(path, { force: true });
        }
      } catch (err) {
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err), entry },
          "could not sweep a served file",
        );
      }
    }
    if (removed > 0) this.log.info({ removed }, "deleted expired files of the file endpoint");
    return removed;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweep);
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    response.setHeader("X-Content-Type-Options", "nosniff");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { Allow: "GET, HEAD" }).end();
      return;
    }
    const now = Date.now();
    const pathname = new URL(request.url ?? "/", "http://gateway").pathname;
    const id = verifiedFileId(this.key, pathname, now);
    const notFound = () => void response.writeHead(404, { "Content-Type": "text/plain" }).end("Not found\n");
    if (id === undefined) return notFound();
    const path = join(this.config.dir, id);
    let meta: FileMeta;
    try {
      meta = JSON.parse(await readFile(`${path}.json`, "utf8")) as FileMeta;
      if ((await stat(path)).size !== meta.size) return notFound();
    } catch {
      return notFound();
    }
    if (meta.expires <= now) return notFound();
    const headers: Record<string, string | number> = {
      "Content-Type": meta.type,
      "Content-Disposition": contentDisposition(meta.type, meta.name),
      "Accept-Ranges": "bytes",
      "Cache-Control": `private, max-age=${Math.floor((meta.expires - now) / 1000)}`,
      // Nothing served here is a page: a file that is HTML anyway runs no script.
      "Content-Security-Policy": "default-src 'none'; sandbox",
    };
    const range =
      request.headers.range === undefined ? undefined : parseRange(request.headers.range, meta.size);
    if (range === "unsatisfiable") {
      response.writeHead(416, { ...headers, "Content-Range": `bytes */${meta.size}` }).end();
      return;
    }
    const { start, end } = range ?? { start: 0, end: meta.size - 1 };
    const length = meta.size === 0 ? 0 : end - start + 1;
    response.writeHead(range ? 206 : 200, {
      ...headers,
      "Content-Length": length,
      ...(range && { "Content-Range": `bytes ${start}-${end}/${meta.size}` }),
    });
    if (request.method === "HEAD" || length === 0) {
      response.end();
      return;
    }
    try {
      await pipeline(createReadStream(path, { start, end }), response);
    } catch (error) {
      // The client went away mid-file: nothing to report.
      if ((error as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw error;
    }
  }
}
