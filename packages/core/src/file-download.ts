import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { type ClientRequest, request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { Transform } from "node:stream";
import { XmppError } from "@gangway/xmpp";

/** What a download may do: how much, how slowly, from where, and of which type. */
export interface DownloadGuard {
  /** Bytes at most (Content-Length and what actually arrives). */
  maxBytes: number;
  /** Milliseconds without progress (connecting, waiting for headers, between chunks). */
  idleMs: number;
  /** Hosts (`host` or `host:port`, lower case) that may be on loopback or private addresses. */
  allowedHosts: ReadonlySet<string>;
  /** The type the message declared: the server's Content-Type must agree. */
  expectedType?: string | undefined;
  /** Redirects followed at most (default 5). */
  maxRedirects?: number;
}

/** An opened download: headers read, body not yet. */
export interface Download {
  /** The body, bounded by the guard: it fails with an XmppError past maxBytes or idleMs. */
  body: Transform;
  /** The Content-Type's essence (`image/png`), when the server sent one. */
  type: string | undefined;
  /** Content-Length, when the server sent one. */
  size: number | undefined;
}

const FAILED = "The file could not be passed on";

/**
 * Addresses a URL from a user (or the legacy network) must not reach: the gateway would otherwise
 * fetch, on their behalf, what only its own network can see (SSRF). Loopback, private, link-local,
 * carrier-grade NAT, multicast, reserved and unspecified, in both families.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 127],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["2002::", 16],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv6");

/** True for an address the gateway must not fetch from; IPv4-mapped IPv6 is judged as IPv4. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return PRIVATE.check(address, "ipv4");
  if (family !== 6) return true;
  const mapped = /^::ffff:(?:0:)?(.+)$/i.exec(address)?.[1];
  if (mapped !== undefined) {
    if (isIP(mapped) === 4) return PRIVATE.check(mapped, "ipv4");
    const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(mapped);
    if (hex) {
      const [high, low] = [Number.parseInt(hex[1]!, 16), Number.parseInt(hex[2]!, 16)];
      return PRIVATE.check(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`, "ipv4");
    }
  }
  return PRIVATE.check(address, "ipv6");
}

function refused(condition: ConstructorParameters<typeof XmppError>[0], why: string): XmppError {
  return new XmppError(condition, `${FAILED}: ${why}.`);
}

/** Whether `url`'s host is one the operator lets the gateway reach on private addresses. */
function allowed(url: URL, hosts: ReadonlySet<string>): boolean {
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === "https:" ? "443" : "80");
  return hosts.has(host) || hosts.has(`${host}:${port}`);
}

/**
 * Resolves like `dns.lookup`, but fails when any address of the name is private: the connection
 * then goes to an address that was checked (no second resolution a rebinding DNS could answer
 * differently).
 */
const checkedLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, "", 0);
    if (addresses.length === 0 || addresses.some((a) => isPrivateAddress(a.address))) {
      return callback(refused("forbidden", "its address is private to the server's network"), "", 0);
    }
    if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    const [first] = addresses as [LookupAddress];
    callback(null, first.address, first.family);
  });
};

/**
 * Opens an http(s) download within `guard`: at most `maxRedirects` redirects, each hop checked
 * again; Content-Length and Content-Type checked before the body is read. Rejects with an
 * XmppError whose text never repeats the URL (it may carry a token, and the user typed it).
 */
export async function openDownload(address: string, guard: DownloadGuard): Promise<Download> {
  let url = new URL(address);
  const maxRedirects = guard.maxRedirects ?? 5;
  for (let hops = 0; ; hops++) {
    const response = await requestOnce(url, guard);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location !== undefined) {
      response.resume();
      if (hops >= maxRedirects)
        throw refused("not-acceptable", `it was redirected more than ${maxRedirects} times`);
      if (!URL.canParse(location, url.href))
        throw refused("not-acceptable", "it was redirected to no valid address");
      url = new URL(location, url);
      continue;
    }
    if (status < 200 || status > 299) {
      response.resume();
      throw refused(
        status === 404 || status === 410 ? "item-not-found" : "remote-server-not-found",
        `its server answered HTTP ${status}`,
      );
    }
    return bounded(response, guard);
  }
}

function requestOnce(url: URL, guard: DownloadGuard): Promise<IncomingMessage> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(refused("not-acceptable", "only http and https addresses can be fetched"));
  }
  const mayBePrivate = allowed(url, guard.allowedHosts);
  const literal = url.hostname.replace(/^\[|\]$/g, "");
  if (!mayBePrivate && isIP(literal) && isPrivateAddress(literal)) {
    return Promise.reject(refused("forbidden", "its address is private to the server's network"));
  }
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let request: ClientRequest;
    try {
      request = send(url, {
        method: "GET",
        headers: { "User-Agent": "Gangway", "Accept-Encoding": "identity" },
        timeout: guard.idleMs,
        ...(!mayBePrivate && { lookup: checkedLookup }),
      });
    } catch {
      reject(refused("not-acceptable", "its address is not valid"));
      return;
    }
    const idle = () =>
      request.destroy(
        refused("remote-server-timeout", `its server sent nothing for ${guard.idleMs / 1000} s`),
      );
    request.once("timeout", idle);
    request.once("response", (response) => {
      // From here the body's own idle timer (see bounded) is the one that counts.
      request.off("timeout", idle);
      request.setTimeout(0);
      resolve(response);
    });
    request.once("error", (error) =>
      reject(
        error instanceof XmppError
          ? error
          : refused("remote-server-not-found", "its server could not be reached"),
      ),
    );
    request.end();
  });
}

/** The Content-Type's essence: `Image/PNG; charset=x` → `image/png`. */
export function mediaTypeEssence(value: string | undefined): string | undefined {
  const essence = value?.split(";")[0]?.trim().toLowerCase();
  return essence ? essence : undefined;
}

function bounded(response: IncomingMessage, guard: DownloadGuard): Download {
  const type = mediaTypeEssence(response.headers["content-type"]);
  const lengthHeader = response.headers["content-length"];
  const size = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : undefined;
  const fail = (error: XmppError) => {
    response.destroy();
    throw error;
  };
  if (size !== undefined && size > guard.maxBytes) {
    fail(refused("not-acceptable", `it is larger than this gateway passes on (${guard.maxBytes} bytes)`));
  }
  if (guard.expectedType !== undefined && type !== undefined && type !== guard.expectedType) {
    fail(refused("not-acceptable", "its server gives it another type than the message declared"));
  }
  let received = 0;
  const body = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.byteLength;
      if (received > guard.maxBytes)
        done(refused("not-acceptable", `it is larger than this gateway passes on (${guard.maxBytes} bytes)`));
      else done(null, chunk);
    },
  });
  const idle = setTimeout(() => {
    // A reader that is slower than the server (back-pressure) is no stalled server.
    if (body.writableNeedDrain || body.readableLength >= body.readableHighWaterMark) idle.refresh();
    else
      body.destroy(refused("remote-server-timeout", `its server sent nothing for ${guard.idleMs / 1000} s`));
  }, guard.idleMs).unref();
  // A body nobody reads any more must not crash the gateway when it fails: readers get the error anyway.
  body.on("error", () => {});
  response.on("data", () => idle.refresh());
  response.once("close", () => {
    if (!response.complete)
      body.destroy(refused("remote-server-not-found", "its server closed the connection"));
  });
  body.once("close", () => {
    clearTimeout(idle);
    response.destroy();
  });
  response.pipe(body);
  return { body, type, size };
}
