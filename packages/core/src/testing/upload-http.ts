import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** What the loopback upload server holds, by path. */
export type StoredUploads = Map<string, { type: string; body: Buffer }>;

export interface LoopbackUploadHttp {
  /** `http://127.0.0.1:<port>`: slot URLs are this plus a path. */
  readonly base: string;
  readonly stored: StoredUploads;
  close(): Promise<void>;
}

/**
 * An upload service's HTTP side on loopback, for tests of files: a PUT stores the body under its
 * path with its Content-Type, a GET serves it back (404 when nothing is there). Tests answer the
 * XEP-0363 slot requests themselves with URLs under `base`.
 */
export async function startLoopbackUploadHttp(): Promise<LoopbackUploadHttp> {
  const stored: StoredUploads = new Map();
  const http = createServer((req, res) => {
    const path = req.url ?? "";
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        stored.set(path, { type: req.headers["content-type"] ?? "", body: Buffer.concat(chunks) });
        res.writeHead(201).end();
      });
      return;
    }
    const file = stored.get(path);
    if (!file) return void res.writeHead(404).end();
    res.writeHead(200, { "Content-Type": file.type, "Content-Length": file.body.length }).end(file.body);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    stored,
    async close() {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
