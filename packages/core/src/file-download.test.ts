import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";
import { XmppError } from "@gangway/xmpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DownloadGuard, isPrivateAddress, openDownload } from "./file-download.js";

/** A loopback server with one route per path; the guard below allows it explicitly. */
let server: Server;
let host: string;
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes.get(req.url ?? "");
    if (route) route(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex");
routes.set("/cat.png", (_req, res) =>
  res.writeHead(200, { "Content-Type": "image/png", "Content-Length": PNG.length }).end(PNG),
);
routes.set("/chunked", (_req, res) => {
  res.writeHead(200, { "Content-Type": "application/octet-stream" });
  res.write(Buffer.alloc(600));
  res.end(Buffer.alloc(600));
});
routes.set("/stalls", (_req, res) => {
  res.writeHead(200, { "Content-Type": "image/png" });
  res.write(PNG); // and nothing more, never ends
});
routes.set("/never", () => {}); // no answer at all
for (let i = 0; i < 7; i++) {
  routes.set(`/hop${i}`, (_req, res) =>
    res.writeHead(302, { Location: i === 6 ? "/cat.png" : `/hop${i + 1}` }).end(),
  );
}

const guard = (change: Partial<DownloadGuard> = {}): DownloadGuard => ({
  maxBytes: 1000,
  idleMs: 2000,
  allowedHosts: new Set([host]),
  ...change,
});

async function failure(promise: Promise<unknown>): Promise<XmppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(XmppError);
  // The URL may carry a token, and the user typed it: no error repeats it.
  expect((error as XmppError).text).not.toContain("127.0.0.1");
  expect((error as XmppError).text).not.toContain("/");
  return error as XmppError;
}

describe("openDownload", () => {
  it("downloads from an allowed host, with the server's type and size", async () => {
    const download = await openDownload(`http://${host}/cat.png`, guard({ expectedType: "image/png" }));
    expect(download.type).toBe("image/png");
    expect(download.size).toBe(PNG.length);
    expect((await buffer(download.body)).equals(PNG)).toBe(true);
  });

  it("refuses loopback and private addresses unless the host is allowed, by literal and by name", async () => {
    const refused = guard({ allowedHosts: new Set() });
    for (const url of [`http://${host}/cat.png`, `http://localhost:${host.split(":")[1]}/cat.png`]) {
      const error = await failure(openDownload(url, refused));
      expect(error.condition).toBe("forbidden");
      expect(error.text).toBe(
        "The file could not be passed on: its address is private to the server's network.",
      );
    }
    // Only the exact host (and port) is allowed: another port of the same host is not.
    const other = guard({ allowedHosts: new Set(["127.0.0.1:1"]) });
    expect((await failure(openDownload(`http://${host}/cat.png`, other))).condition).toBe("forbidden");
  });

  it("refuses a file whose Content-Length is over the limit before reading it", async () => {
    const error = await failure(openDownload(`http://${host}/cat.png`, guard({ maxBytes: 10 })));
    expect(error.condition).toBe("not-acceptable");
    expect(error.text).toBe(
      "The file could not be passed on: it is larger than this gateway passes on (10 bytes).",
    );
  });

  it("fails the stream when a body without Content-Length runs past the limit", async () => {
    const download = await openDownload(`http://${host}/chunked`, guard());
    expect(download.size).toBeUndefined();
    const error = await failure(buffer(download.body));
    expect(error.text).toContain("larger than this gateway passes on (1000 bytes)");
  });

  it("gives up on a server that does not answer, and on a body that stalls", async () => {
    const silent = await failure(openDownload(`http://${host}/never`, guard({ idleMs: 200 })));
    expect(silent.condition).toBe("remote-server-timeout");
    expect(silent.text).toBe("The file could not be passed on: its server sent nothing for 0.2 s.");
    const download = await openDownload(`http://${host}/stalls`, guard({ idleMs: 200 }));
    expect((await failure(buffer(download.body))).condition).toBe("remote-server-timeout");
  });

  it("follows at most 5 redirects", async () => {
    const error = await failure(openDownload(`http://${host}/hop0`, guard()));
    expect(error.text).toBe("The file could not be passed on: it was redirected more than 5 times.");
    const download = await openDownload(`http://${host}/hop2`, guard());
    expect((await buffer(download.body)).equals(PNG)).toBe(true);
  });

  it("refuses a type other than the one the message declared", async () => {
    const error = await failure(
      openDownload(`http://${host}/cat.png`, guard({ expectedType: "application/pdf" })),
    );
    expect(error.text).toBe(
      "The file could not be passed on: its server gives it another type than the message declared.",
    );
  });

  it("says what went wrong with a missing file and an unreachable server", async () => {
    const missing = await failure(openDownload(`http://${host}/nothing-here`, guard()));
    expect(missing.condition).toBe("item-not-found");
    expect(missing.text).toBe("The file could not be passed on: its server answered HTTP 404.");
    const unreachable = await failure(
      openDownload("http://127.0.0.1:1/x.png", guard({ allowedHosts: new Set(["127.0.0.1"]) })),
    );
    expect(unreachable.condition).toBe("remote-server-not-found");
    expect(unreachable.text).toBe("The file could not be passed on: its server could not be reached.");
    const ftp = await failure(openDownload("ftp://example.org/x", guard()));
    expect(ftp.text).toBe("The file could not be passed on: only http and https addresses can be fetched.");
  });
});

describe("isPrivateAddress", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:0a00:0001",
    "not an address",
  ])("%s is private", (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(["93.184.216.34", "1.1.1.1", "172.32.0.1", "2606:4700::1111", "::ffff:93.184.216.34"])(
    "%s is public",
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );
});
