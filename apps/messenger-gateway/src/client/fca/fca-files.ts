import { createReadStream, createWriteStream, type ReadStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import type { MessengerOutgoingFile } from "../port.js";

export type FetchFunction = typeof globalThis.fetch;

/**
 * Hosts the gateway downloads from: Facebook's CDN and its own domains. Attachment and picture
 * URLs come from the network's events, but nothing else should make the gateway fetch anything.
 */
const FACEBOOK_HOSTS = ["fbcdn.net", "facebook.com", "fbsbx.com", "messenger.com"];

function isFacebookUrl(url: URL): boolean {
  return (
    url.protocol === "https:" &&
    FACEBOOK_HOSTS.some((host) => url.hostname === host || url.hostname.endsWith(`.${host}`))
  );
}

export class FcaDownloadError extends Error {
  override readonly name = "FcaDownloadError";
}

/**
 * GETs a Facebook CDN URL with at most `maxBytes` of body: `null` for a 404 (a picture removed),
 * a stream that fails once more than `maxBytes` arrive (a server may lie about or omit the length).
 * Error messages name the host at most, never the URL (it carries access tokens).
 */
export async function fetchBounded(
  fetchImpl: FetchFunction,
  href: string,
  maxBytes: number,
): Promise<Readable | null> {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    throw new FcaDownloadError("Not a URL: nothing was downloaded");
  }
  if (!isFacebookUrl(url))
    throw new FcaDownloadError(
      `Refusing to download from ${url.hostname || "that URL"}: not a Facebook host`,
    );
  const response = await fetchImpl(url, { redirect: "follow" });
  if (response.status === 404 || response.status === 410) {
    await response.body?.cancel();
    return null;
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new FcaDownloadError(`Facebook's ${url.hostname} answered ${response.status}`);
  }
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body.cancel();
    throw new FcaDownloadError(`The file is larger than the ${maxBytes} bytes allowed`);
  }
  let seen = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > maxBytes)
        callback(new FcaDownloadError(`The file is larger than the ${maxBytes} bytes allowed`));
      else callback(null, chunk);
    },
  });
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  body.on("error", (err) => limit.destroy(err));
  return body.pipe(limit);
}

/** Reads a bounded download whole (pictures are small). */
export async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * The library uploads through `request`'s multipart form, which sizes the body before sending: a
 * stream it cannot measure (one without a file path) is sent with a wrong Content-Length. So each
 * outgoing file is spooled to a private temporary file named as the user named it (the upload's
 * file name and type come from it), never held whole in memory. `cleanup` removes them all.
 */
export async function spoolForUpload(
  files: MessengerOutgoingFile[],
): Promise<{ streams: ReadStream[]; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "gangway-fca-upload-"));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    const streams: ReadStream[] = [];
    for (const [index, file] of files.entries()) {
      // One subdirectory per file: two files may carry the same name, and the name must stay as is.
      const path = join(dir, String(index), safeFileName(file.fileName));
      await mkdir(join(dir, String(index)), { mode: 0o700 });
      await pipeline(file.stream, createWriteStream(path, { mode: 0o600 }));
      streams.push(createReadStream(path));
    }
    return { streams, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** A file name without directories or control characters (it becomes a path and a form header). */
export function safeFileName(name: string): string {
  const printable = [...name.replaceAll("\\", "/")].filter(
    (ch) => ch >= " " && ch !== "\u007f" && ch !== '"',
  );
  const cleaned = basename(printable.join("")).trim();
  return cleaned && cleaned !== "." && cleaned !== ".." ? cleaned.slice(-200) : "file";
}
