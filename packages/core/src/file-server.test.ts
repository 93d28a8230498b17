import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { fileLinkKey, newFileId, signedPath, verifiedFileId } from "./file-links.js";
import {
  contentDisposition,
  FileTooLargeError,
  GatewayFileServer,
  parseRange,
  safeFileName,
} from "./file-server.js";
import { tempDir } from "./testing/index.js";

const key = fileLinkKey(randomBytes(32));
const log = pino({ level: "silent" });
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");
const DAY = 86_400_000;

let server: GatewayFileServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(ttlMs = DAY, linkKey = key) {
  const dir = tempDir("gangway-files-");
  server = await GatewayFileServer.start(
    { port: 0, host: "127.0.0.1", publicUrl: "http://127.0.0.1:0/files", dir, ttlMs },
    linkKey,
    log,
  );
  return { server, dir };
}

describe("signed file links", () => {
  it("verify for their id until they expire; a changed id, expiry or signature does not", () => {
    const id = newFileId();
    const path = signedPath(key, id, 2_000_000_000, "a b.png");
    expect(path).toMatch(/^\/[\w-]{22}\/2000000000\/[\w-]{43}\/a%20b\.png$/);
    expect(verifiedFileId(key, `/files${path}`, 1_999_999_999_000)).toBe(id);
    // The name is the client's: any name, or none, serves the same file.
    expect(verifiedFileId(key, path.replace(/[^/]*$/, ""), 0)).toBe(id);
    expect(verifiedFileId(key, path, 2_000_000_000_000)).toBeUndefined();
    expect(verifiedFileId(key, path.replace("2000000000", "2000000001"), 0)).toBeUndefined();
    expect(verifiedFileId(key, path.replace(id, newFileId()), 0)).toBeUndefined();
    const [, , , sig] = path.split("/");
    const flipped = `${sig!.startsWith("A") ? "B" : "A"}${sig!.slice(1)}`;
    // The last character has two spare bits: another spelling of the same bytes is refused too.
    const last = sig!.at(-1)!;
    const respelled = `${sig!.slice(0, -1)}${String.fromCharCode(last.charCodeAt(0) ^ 1)}`;
    expect(verifiedFileId(key, path.replace(sig!, respelled), 0)).toBeUndefined();
    expect(verifiedFileId(key, path.replace(sig!, flipped), 0)).toBeUndefined();
    expect(verifiedFileId(fileLinkKey(randomBytes(32)), path, 0)).toBeUndefined();
  });

  it("are refused for paths that try to leave the directory", () => {
    for (const path of ["/../../etc/passwd", `/${"a".repeat(22)}/1/../x`, "/%2e%2e/%2e%2e/secret.key/x/y"]) {
      expect(verifiedFileId(key, path, 0)).toBeUndefined();
    }
  });
});

describe("headers", () => {
  it("a safe name: no path, no control characters, never empty", () => {
    expect(safeFileName("../../etc/passwd")).toBe("_.._etc_passwd");
    expect(safeFileName("a\r\nContent-Type: x")).toBe("a__Content-Type: x");
    expect(safeFileName("...")).toBe("file");
  });

  it("pictures inline, anything else as a download, the name as ASCII and UTF-8", () => {
    expect(contentDisposition("image/png", 'sky "blue".png')).toBe(
      `inline; filename="sky _blue_.png"; filename*=UTF-8''sky%20%22blue%22.png`,
    );
    expect(contentDisposition("text/html", "page.html")).toMatch(/^attachment; /);
    expect(contentDisposition("image/svg+xml", "x.svg")).toMatch(/^attachment; /);
    expect(contentDisposition("audio/ogg", "Ça va.ogg")).toBe(
      `inline; filename="_a va.ogg"; filename*=UTF-8''%C3%87a%20va.ogg`,
    );
  });

  it("ranges: from-to, from, suffix, and the unsatisfiable", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=50-500", 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-1,5-6", 100)).toBeUndefined();
    expect(parseRange("lines=1-2", 100)).toBeUndefined();
  });
});

describe("GatewayFileServer", () => {
  it("stores a stream and serves it at its signed link with type, length, disposition and nosniff", async () => {
    const { server } = await start();
    const data = randomBytes(300_000);
    const chunks = [data.subarray(0, 1000), data.subarray(1000)];
    const stored = await server.put(Readable.from(chunks), {
      name: "notes/../a.png",
      type: "image/png",
      maxBytes: 1e6,
    });
    expect(stored).toMatchObject({ size: data.length, sha256: sha256(data) });
    expect(stored.url).toMatch(
      new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/files/[\\w-]{22}/\\d+/[\\w-]{43}/notes_.._a\\.png$`),
    );
    const response = await fetch(stored.url);
    expect(response.status).toBe(200);
    expect(Object.fromEntries(response.headers)).toMatchObject({
      "content-type": "image/png",
      "content-length": String(data.length),
      "content-disposition": `inline; filename="notes_.._a.png"; filename*=UTF-8''notes_.._a.png`,
      "x-content-type-options": "nosniff",
      "accept-ranges": "bytes",
    });
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);

    const part = await fetch(stored.url, { headers: { Range: "bytes=1000-1999" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-1999/${data.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(1000, 2000))).toBe(true);
    expect((await fetch(stored.url, { headers: { Range: "bytes=999999-" } })).status).toBe(416);
    expect((await fetch(stored.url, { method: "HEAD" })).headers.get("content-length")).toBe(
      String(data.length),
    );
    expect((await fetch(stored.url, { method: "PUT", body: "x" })).status).toBe(405);
  });

  it("answers 404 alike for a bad signature, another key, a made-up id and a traversal attempt", async () => {
    const { server, dir } = await start();
    writeFileSync(join(dir, "secret.txt"), "not served");
    const stored = await server.put(Readable.from([Buffer.from("hello")]), {
      name: "h.txt",
      type: "text/plain",
      maxBytes: 100,
    });
    const base = `http://127.0.0.1:${server.port}`;
    const url = new URL(stored.url);
    const [, , id, expires] = url.pathname.split("/");
    const otherKey = signedPath(fileLinkKey(randomBytes(32)), id!, Number(expires), "h.txt");
    const madeUp = signedPath(key, newFileId(), Number(expires), "h.txt");
    for (const path of [
      url.pathname.replace(/\/[\w-]{43}\//, `/${"A".repeat(43)}/`),
      `/files${otherKey}`,
      `/files${madeUp}`,
      "/files/../secret.txt",
      "/files/%2e%2e/secret.txt",
    ]) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.text()).toBe("Not found\n");
    }
  });

  it("an expired link is 404, and the sweep deletes expired files and stale partial writes", async () => {
    const { server, dir } = await start(60_000);
    const old = await server.put(
      Readable.from([Buffer.from("old")]),
      { name: "o.txt", type: "text/plain", maxBytes: 100 },
      Date.now() - 120_000,
    );
    const fresh = await server.put(Readable.from([Buffer.from("new")]), {
      name: "n.txt",
      type: "text/plain",
      maxBytes: 100,
    });
    expect((await fetch(old.url)).status).toBe(404);
    expect(await (await fetch(fresh.url)).text()).toBe("new");
    expect(readdirSync(dir)).toHaveLength(4);
    expect(await server.sweep()).toBe(1);
    expect(readdirSync(dir)).toHaveLength(2);
    expect(await server.sweep(Date.now() + 120_000)).toBe(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("refuses a file over its limit mid-stream and keeps nothing of it", async () => {
    const { server, dir } = await start();
    const chunks = Array.from({ length: 10 }, () => randomBytes(1000));
    await expect(
      server.put(Readable.from(chunks), {
        name: "big.bin",
        type: "application/octet-stream",
        maxBytes: 5000,
      }),
    ).rejects.toBeInstanceOf(FileTooLargeError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("links survive a restart with the same key; an unknown type is served as a download", async () => {
    const { server: first, dir } = await start();
    const stored = await first.put(Readable.from([Buffer.from("<script>")]), {
      name: "x.html",
      type: "not a type",
      maxBytes: 100,
    });
    const path = new URL(stored.url).pathname;
    await first.close();
    server = await GatewayFileServer.start(
      { port: 0, host: "127.0.0.1", publicUrl: "http://127.0.0.1:0", dir, ttlMs: DAY },
      key,
      log,
    );
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/octet-stream");
    expect(response.headers.get("content-disposition")).toMatch(/^attachment; /);
    expect(response.headers.get("content-security-policy")).toBe("default-src 'none'; sandbox");
    expect(existsSync(join(dir, path.split("/")[2]!))).toBe(true);
  });
});
