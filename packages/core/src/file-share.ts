import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline, Readable, Transform } from "node:stream";
import { pipeline as pipelineAsync } from "node:stream/promises";
import {
  discoverUploadService,
  JID,
  NS_HTTP_UPLOAD,
  requestUploadSlot,
  type SharedFile,
  type UploadService,
  uploadStreamToSlot,
  XmppError,
} from "@gangway/xmpp";
import { openDownload } from "./file-download.js";
import { FileTooLargeError, type GatewayFileServer } from "./file-server.js";
import type { GatewayHost } from "./host.js";
import { canSendIqAs } from "./privileges.js";

/** A file from the legacy network, as an app hands it to `chat.sendFile`. */
export interface LegacyFile {
  name: string;
  /** The MIME type, e.g. `image/jpeg`. */
  type: string;
  /** In bytes, when known: without it, a stream is first spooled to a temporary file to learn it. */
  size?: number;
  /** The bytes, read once. Give this or `url`. */
  stream?: Readable | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
  /** Where the gateway fetches the bytes (an http(s) URL, fetched within the same guard as the user's). */
  url?: string;
  /** A link to the file on the network, told to the user when the file cannot be passed on (default `url`). */
  link?: string;
  /** Pixels, for images and videos. */
  width?: number;
  height?: number;
  /** Seconds, for audio and video. */
  duration?: number;
  /** Text that goes with the file: sent as its own message right after it. */
  caption?: string;
  /**
   * What the network calls it, when more than a file: a voice note (sent as audio/ogg unless its
   * type is another audio type; give its `duration`), a sticker (an image; its emoji or words as
   * `description`), a GIF (image/gif, or a looping video/mp4 as the network has it).
   */
  kind?: FileKind;
  /** What the file shows, e.g. a sticker's emoji: the XEP-0446 `<desc/>` clients may show. */
  description?: string;
}

/** The kinds of files networks treat apart from documents (see `LegacyFile.kind`). */
export type FileKind = "voice" | "sticker" | "gif";

/** Extensions clients recognise a voice note or a GIF by (many look at the URL, not the metadata). */
/** By kind and type, the extensions clients know it by, the first added when the name has none of them. */
const KIND_EXTENSIONS: Readonly<Record<FileKind, Readonly<Record<string, readonly string[]>>>> = {
  voice: {
    "audio/ogg": ["ogg", "oga", "opus"],
    "audio/opus": ["opus", "ogg", "oga"],
    "audio/mp4": ["m4a", "mp4"],
    "audio/mpeg": ["mp3"],
    "audio/aac": ["aac", "m4a"],
  },
  gif: { "image/gif": ["gif"], "video/mp4": ["mp4"], "video/webm": ["webm"] },
  sticker: { "image/webp": ["webp"], "image/png": ["png"], "image/gif": ["gif"], "video/webm": ["webm"] },
};

/** The name and type a file goes under: a voice note is audio, and each kind ends in its extension. */
export function asSent(file: LegacyFile): { name: string; type: string } {
  let type = file.type;
  if (file.kind === "voice" && !type.startsWith("audio/")) type = "audio/ogg";
  if (file.kind === "gif" && !/^(image|video)\//.test(type)) type = "image/gif";
  const essence = type.split(";")[0]!.trim().toLowerCase();
  const extensions = file.kind ? (KIND_EXTENSIONS[file.kind][essence] ?? []) : [];
  const current = /\.([a-z0-9]{1,5})$/i.exec(file.name)?.[1]?.toLowerCase();
  const [first] = extensions;
  const name = first && !extensions.includes(current ?? "") ? `${file.name}.${first}` : file.name;
  return { name, type };
}

/** What is left when a file cannot go: the text the user gets instead. */
export type ShareOutcome = { shared: SharedFile } | { notice: string };

/** When an upload service could not be discovered, how long before asking the server again. */
const REDISCOVER_MS = 5 * 60_000;

/** What the gateway knows of its upload service (per gateway: see `filesOf`). */
class FileServices {
  #discovered: { at: number; service: Promise<UploadService | undefined> } | undefined;
  /** `host:port` of the GET URLs the service gave: files there may be fetched on private addresses. */
  readonly #learnedHosts = new Set<string>();
  /** The gateway's own file endpoint (--file-http-port), for a server without an upload service. */
  endpoint: GatewayFileServer | undefined;

  constructor(private readonly host: GatewayHost) {}

  /** `--upload-service`, or the one the server lists (XEP-0363 §2), found once and cached. */
  uploadService(): Promise<UploadService | undefined> {
    const configured = this.host.config.uploadService;
    if (configured) return Promise.resolve({ jid: configured });
    const now = Date.now();
    if (!this.#discovered || now - this.#discovered.at > REDISCOVER_MS) {
      const server = parentDomain(this.host.domain);
      const service = discoverUploadService((iq) => this.host.request(iq), server, this.host.domain).then(
        (found) => {
          if (found) this.host.log.info({ service: found.jid }, "found the server's upload service");
          else
            this.host.log.warn({ server }, "the server lists no upload service: files cannot be passed on");
          return found;
        },
      );
      // A found service stays; none is asked about again after REDISCOVER_MS.
      this.#discovered = { at: now, service };
      void service.then((found) => {
        if (found && this.#discovered) this.#discovered.at = Number.POSITIVE_INFINITY;
      });
    }
    return this.#discovered.service;
  }

  /** Hosts whose files may be fetched on private addresses: the operator's list and the upload service's. */
  async allowedHosts(): Promise<ReadonlySet<string>> {
    const hosts = new Set(this.host.config.limits.fileHosts);
    for (const learned of this.#learnedHosts) hosts.add(learned);
    const configured = this.host.config.uploadService;
    if (configured) hosts.add(configured.toLowerCase());
    else if (this.#discovered) {
      const found = await this.#discovered.service.catch(() => undefined);
      if (found) hosts.add(found.jid.toLowerCase());
    }
    return hosts;
  }

  /** Files go to `server` when there is no upload service; its own links may be fetched back. */
  serveWith(server: GatewayFileServer): void {
    this.endpoint = server;
    this.learn(server.publicUrl);
  }

  learn(getUrl: string): void {
    const url = new URL(getUrl);
    this.#learnedHosts.add(
      `${url.hostname.toLowerCase()}:${url.port || (url.protocol === "https:" ? "443" : "80")}`,
    );
  }
}

const services = new WeakMap<GatewayHost, FileServices>();

/** The gateway's upload service and download allow-list, shared by its chats. */
export function filesOf(host: GatewayHost): FileServices {
  let files = services.get(host);
  if (!files) {
    files = new FileServices(host);
    services.set(host, files);
  }
  return files;
}

/** `gw.example.org` → `example.org`: the server a component is attached to. */
function parentDomain(domain: string): string {
  const dot = domain.indexOf(".");
  return dot === -1 ? domain : domain.slice(dot + 1);
}

/** `1536` → `1.5 KiB`: sizes as the user reads them. */
export function formatSize(bytes: number): string {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${Number(value.toFixed(1))} ${units[unit]}`;
}

function toReadable(stream: NonNullable<LegacyFile["stream"]>): Readable {
  if (stream instanceof Readable) return stream;
  if (typeof (stream as ReadableStream).getReader === "function") {
    return Readable.fromWeb(stream as import("node:stream/web").ReadableStream<Uint8Array>);
  }
  return Readable.from(stream as AsyncIterable<Uint8Array>);
}

/**
 * Uploads `file` through the upload service for `userJid` (as the user when the server lets the
 * gateway ask as them, else as the gateway): streamed, hashed on the way (SHA-256), never whole in
 * memory. Returns what the file message carries, or the text the user gets instead (too large, no
 * upload service, a failure) naming the file and its legacy link.
 */
export async function shareFile(host: GatewayHost, userJid: string, file: LegacyFile): Promise<ShareOutcome> {
  const files = filesOf(host);
  const { fileBytes: maxBytes, fileIdleMs: idleMs } = host.config.limits;
  const link = file.link ?? file.url;
  const { name, type } = asSent(file);
  const describe = (url: string, size: number, sha256: string): ShareOutcome => ({
    shared: {
      url,
      name,
      mediaType: type,
      size,
      hashes: { "sha-256": sha256 },
      ...(file.width !== undefined && { width: file.width }),
      ...(file.height !== undefined && { height: file.height }),
      ...(file.duration !== undefined && { durationMs: Math.round(file.duration * 1000) }),
      ...(file.description !== undefined && { desc: file.description }),
    },
  });
  const label = (size: number | undefined) =>
    size === undefined ? file.name : `${file.name} (${formatSize(size)})`;
  const tail = link ? `: ${link}` : ".";
  const tooLarge = (size: number | undefined, limit: number) =>
    ({
      notice: `${label(size)} is larger than this gateway passes on (at most ${formatSize(limit)})${tail}`,
    }) as const;
  let source: Readable | undefined;
  let spoolDir: string | undefined;
  try {
    if (file.size !== undefined && file.size > maxBytes) return tooLarge(file.size, maxBytes);
    const service = await files.uploadService().catch(() => undefined);
    // Without an upload service, the gateway's own endpoint when the operator turned it on.
    const endpoint = service ? undefined : files.endpoint;
    if (!service && !endpoint)
      return { notice: `${label(file.size)}: this gateway cannot pass files on${link ? `; ${link}` : "."}` };
    const limit = Math.min(maxBytes, service?.maxFileSize ?? Number.POSITIVE_INFINITY);
    if (file.size !== undefined && file.size > limit) return tooLarge(file.size, limit);

    let size = file.size;
    if (file.stream) source = toReadable(file.stream);
    else if (file.url) {
      const download = await openDownload(file.url, {
        maxBytes: limit,
        idleMs,
        allowedHosts: await files.allowedHosts(),
      });
      source = download.body;
      size ??= download.size;
    } else throw new RangeError("A file to send needs a stream or a url.");
    if (size !== undefined && size > limit) return tooLarge(size, limit);
    if (!service) {
      if (!endpoint) throw new Error("no place for the file"); // ruled out above
      try {
        const served = await endpoint.put(source, { name, type, maxBytes: limit });
        return describe(served.url, served.size, served.sha256);
      } catch (error) {
        if (error instanceof FileTooLargeError) return tooLarge(undefined, limit);
        throw error;
      }
    }
    if (size === undefined) {
      // The slot needs the size first: learn it on disk, bounded, rather than in memory.
      spoolDir = await mkdtemp(join(tmpdir(), "gangway-file-"));
      const spooled = join(spoolDir, "spool");
      const bounded = limitTo(limit);
      try {
        await pipelineAsync(source, bounded, createWriteStream(spooled));
      } catch (error) {
        if (bounded.over) return tooLarge(undefined, limit);
        throw error;
      }
      size = (await stat(spooled)).size;
      source = createReadStream(spooled);
    }

    const asUser = canSendIqAs(host.privileges, NS_HTTP_UPLOAD, "get")
      ? JID.parse(userJid).bare().toString()
      : undefined;
    let slot: Awaited<ReturnType<typeof requestUploadSlot>>;
    try {
      slot = await requestUploadSlot((iq) => host.request(iq), {
        service: service.jid,
        from: host.domain,
        asUser,
        filename: name,
        size,
        contentType: type,
      });
    } catch (error) {
      const refusal =
        error instanceof XmppError && error.applicationCondition?.is("file-too-large", NS_HTTP_UPLOAD);
      if (refusal)
        return {
          notice: `${label(size)} is larger than the upload service takes${error.text ? ` (${error.text})` : ""}${tail}`,
        };
      throw error;
    }
    const hash = createHash("sha256");
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const hashed = pipeline(source, hashing, () => {});
    const url = await uploadStreamToSlot(slot, hashed, size, type, { idleMs });
    files.learn(url);
    return describe(url, size, hash.digest("base64"));
  } catch (err) {
    host.log.warn(
      { err: err instanceof Error ? err.message : String(err), file: file.name },
      "could not pass a file on",
    );
    return { notice: `${label(file.size)} could not be passed on${tail}` };
  } finally {
    source?.destroy();
    if (spoolDir) await rm(spoolDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

/** A pass-through that fails past `limit` bytes (and says so in `over`). */
function limitTo(limit: number): Transform & { over: boolean } {
  let seen = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.byteLength;
      if (seen > limit) {
        stream.over = true;
        done(new RangeError("over the file size limit"));
      } else done(null, chunk);
    },
  }) as Transform & { over: boolean };
  stream.over = false;
  return stream;
}
