import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { message } from "./builders.js";
import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { sendPrivilegedIq } from "./privileged-iq.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_HTTP_UPLOAD = "urn:xmpp:http:upload:0";
export const NS_OOB = "jabber:x:oob";

/** Default time a PUT may take: long enough for a few MiB on a slow uplink. */
export const DEFAULT_UPLOAD_TIMEOUT_MS = 60_000;

/** Where to PUT a file, with which headers, and where it can be downloaded afterwards. */
export interface UploadSlot {
  putUrl: string;
  /** Only the headers XEP-0363 §5 lets a service ask for, with canonical names. */
  putHeaders: Record<string, string>;
  getUrl: string;
}

export interface UploadSlotRequest {
  /** The upload service's JID, e.g. `upload.example.org`. */
  service: string;
  /**
   * Who asks; the upload service applies its access rules and quotas to this JID. With `asUser`,
   * the component's JID that sends the privileged IQ; as without, omit it to let the IQ caller fill
   * in the component domain.
   */
  from?: string;
  /**
   * Ask as this local user (bare JID) instead, through an XEP-0356 v2 privileged IQ: the slot, its
   * quota and the service's access rules are then the user's. Only when the server grants the IQ
   * permission for `urn:xmpp:http:upload:0` type `get` (core's `canSendIqAs`).
   */
  asUser?: string | undefined;
  filename: string;
  /** In bytes: the service refuses files above its limit, and later PUTs of another size. */
  size: number;
  contentType: string;
}

/**
 * XEP-0363 §5: "Only the following header names are allowed … Other header names MUST be ignored".
 * A service (or whoever spoofs its answer) must not be able to set Host, Content-Length,
 * Transfer-Encoding and the like on our request.
 */
const ALLOWED_PUT_HEADERS: ReadonlyMap<string, string> = new Map([
  ["authorization", "Authorization"],
  ["cookie", "Cookie"],
  ["expires", "Expires"],
]);

/**
 * Asks an XEP-0363 upload service for a slot. `request` sends the IQ and resolves with the result
 * (as {@link XmppComponent.request} does); the service's refusals, e.g. `not-acceptable` "File too
 * large", reject as that service's {@link XmppError}, with its text.
 */
export async function requestUploadSlot(
  request: (iq: Element) => Promise<Element>,
  options: UploadSlotRequest,
): Promise<UploadSlot> {
  const { service, from, asUser, filename, size, contentType } = options;
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`The file size must be a non-negative integer number of bytes, not ${size}.`);
  }
  if (filename === "") throw new RangeError("The file name must not be empty.");
  if (contentType === "") throw new RangeError("The content type must not be empty.");

  const payload = xml("request", { xmlns: NS_HTTP_UPLOAD, filename, size, "content-type": contentType });
  let result: Element;
  try {
    result =
      asUser === undefined
        ? await request(xml("iq", { type: "get", to: service, from }, payload))
        : await sendPrivilegedIq(request, {
            component: from,
            user: asUser,
            iq: xml("iq", { type: "get", to: service }, payload),
          });
  } catch (error) {
    throw explainRefusal(error);
  }

  const slot = result.getChild("slot", NS_HTTP_UPLOAD);
  const put = slot?.getChild("put");
  const putUrl = httpUrl(put?.attrs.url);
  const getUrl = httpUrl(slot?.getChild("get")?.attrs.url);
  if (!put || !putUrl || !getUrl) {
    throw new XmppError(
      "service-unavailable",
      `The upload service ${service} answered without an upload slot (an http(s) PUT and GET URL).`,
    );
  }
  return { putUrl, putHeaders: allowedHeaders(put), getUrl };
}

/**
 * A too-large refusal without a text says nothing to a user, and Prosody's "File too large" not
 * how large is allowed: add the limit the service sent along (XEP-0363 `<max-size/>`; Prosody
 * 0.12 names it `<max-file-size/>`).
 */
function explainRefusal(error: unknown): unknown {
  if (!(error instanceof XmppError)) return error;
  const tooLarge = error.applicationCondition;
  if (!tooLarge?.is("file-too-large", NS_HTTP_UPLOAD)) return error;
  const limit = (tooLarge.getChildText("max-size") ?? tooLarge.getChildText("max-file-size"))?.trim();
  if (!limit || !/^\d+$/.test(limit)) return error;
  return new XmppError(
    error.condition,
    `${error.text ?? "File too large"} (the upload service accepts at most ${limit} bytes).`,
    { type: error.type, applicationCondition: tooLarge, by: error.by, cause: error },
  );
}

function httpUrl(value: string | undefined): string | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  const { protocol } = new URL(value);
  return protocol === "https:" || protocol === "http:" ? value : undefined;
}

function allowedHeaders(put: Element): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const header of put.getChildren("header")) {
    const name = ALLOWED_PUT_HEADERS.get((header.attrs.name ?? "").trim().toLowerCase());
    if (!name) continue;
    // XEP-0363 §5: newlines MUST be stripped, or a value could smuggle in headers of its own.
    const value = header
      .text()
      .replace(/[\r\n]/g, "")
      .trim();
    if (value === "") continue;
    // A client sends all its cookies in one Cookie header (RFC 6265 §5.4); for the other two a
    // repeat is a service bug and the first one is kept.
    if (name === "Cookie" && headers.Cookie !== undefined) headers.Cookie += `; ${value}`;
    else headers[name] ??= value;
  }
  return headers;
}

/** A failed PUT to an upload slot. `status` is the HTTP status when the server answered. */
export class HttpUploadError extends Error {
  override readonly name = "HttpUploadError";
  readonly status: number | undefined;

  constructor(text: string, options: { status?: number; cause?: unknown } = {}) {
    super(text, options.cause === undefined ? {} : { cause: options.cause });
    this.status = options.status;
  }
}

/**
 * PUTs `data` to the slot and resolves with the URL to download it from. Rejects with an
 * {@link HttpUploadError} on a non-2xx answer, a network error or after `timeoutMs`. Messages name
 * only the slot's origin: the path and the headers may carry the slot's credentials, and these
 * messages end up in logs.
 */
export async function uploadToSlot(
  slot: UploadSlot,
  data: Uint8Array,
  contentType: string,
  options: { timeoutMs?: number } = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS;
  const target = `HTTP upload to ${new URL(slot.putUrl).origin}`;
  let response: Response;
  try {
    response = await fetch(slot.putUrl, {
      method: "PUT",
      headers: {
        ...slot.putHeaders,
        "Content-Type": contentType,
        "Content-Length": String(data.byteLength),
      },
      body: data,
      // A redirect would replay the slot's Authorization to wherever it points; a slot URL has no
      // reason to redirect, so it counts as a failure.
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    if (error instanceof Error && error.name === "TimeoutError") {
      throw new HttpUploadError(`${target} timed out after ${timeoutMs} ms.`, { cause: error });
    }
    throw new HttpUploadError(`${target} failed: ${networkReason(error)}.`, { cause: error });
  }
  // Nothing of the body is needed; cancelling it frees the connection.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    const reason = response.statusText ? ` ${response.statusText}` : "";
    throw new HttpUploadError(`${target} failed: the server answered HTTP ${response.status}${reason}.`, {
      status: response.status,
    });
  }
  return slot.getUrl;
}

/** Default time a streamed PUT may go without progress (no byte sent, no answer) before it fails. */
export const DEFAULT_UPLOAD_IDLE_MS = 60_000;

/**
 * PUTs `size` bytes read from `body` to the slot, streamed: never more than a few chunks in memory,
 * whatever the size. Fails (and destroys `body`) when nothing moves for `idleMs`, on a non-2xx
 * answer, and when `body` ends before or runs past `size` bytes. Resolves with the GET URL. As for
 * {@link uploadToSlot}, messages name only the slot's origin.
 */
export async function uploadStreamToSlot(
  slot: UploadSlot,
  body: Readable,
  size: number,
  contentType: string,
  options: { idleMs?: number } = {},
): Promise<string> {
  const idleMs = options.idleMs ?? DEFAULT_UPLOAD_IDLE_MS;
  const url = new URL(slot.putUrl);
  const target = `HTTP upload to ${url.origin}`;
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  const request = send(url, {
    method: "PUT",
    headers: { ...slot.putHeaders, "Content-Type": contentType, "Content-Length": String(size) },
    timeout: idleMs,
  });
  let sent = 0;
  const counted = async function* (source: AsyncIterable<Uint8Array>) {
    for await (const chunk of source) {
      sent += chunk.byteLength;
      if (sent > size) throw new HttpUploadError(`${target} failed: the file is larger than announced.`);
      yield chunk;
    }
    if (sent < size) throw new HttpUploadError(`${target} failed: the file is smaller than announced.`);
  };
  const answered = new Promise<IncomingMessage>((resolve, reject) => {
    request.once("response", resolve);
    request.once("error", reject);
    request.once("timeout", () =>
      request.destroy(new HttpUploadError(`${target} timed out: nothing moved for ${idleMs} ms.`)),
    );
  });
  // The server may answer (a refusal) before the body is through: the answer is what counts then.
  answered.catch(() => undefined);
  let response: IncomingMessage;
  try {
    await pipeline(body, counted, request).catch(async (error: unknown) => {
      const early = await Promise.race([answered, new Promise<undefined>((r) => setImmediate(r, undefined))]);
      if (early === undefined || (early.statusCode ?? 0) < 300) throw error;
    });
    response = await answered;
  } catch (error) {
    body.destroy();
    request.destroy();
    if (error instanceof HttpUploadError) throw error;
    throw new HttpUploadError(`${target} failed: ${networkReason(error)}.`, { cause: error });
  }
  response.resume();
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 299) {
    const reason = response.statusMessage ? ` ${response.statusMessage}` : "";
    throw new HttpUploadError(`${target} failed: the server answered HTTP ${status}${reason}.`, { status });
  }
  return slot.getUrl;
}

/** undici reports every network failure as "fetch failed" and keeps the reason in `cause`. */
function networkReason(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

export interface OutOfBandMessage {
  from: string;
  to: string;
  id: string;
  /** An http(s) URL, e.g. an upload slot's GET URL. */
  url: string;
  description?: string;
}

/**
 * A chat message sharing `url` (XEP-0066 `jabber:x:oob`). The body is the URL alone: clients such
 * as Conversations, Dino and Gajim show the file inline only when the body equals the OOB URL;
 * the others show a link.
 */
export function outOfBandMessage({ from, to, id, url, description }: OutOfBandMessage): Element {
  if (!httpUrl(url)) throw new RangeError("An out-of-band URL must be an http(s) URL.");
  const desc = description === undefined ? "" : sanitizeXmlText(description);
  return message(
    { from, to, id, type: "chat", body: url },
    xml("x", { xmlns: NS_OOB }, xml("url", {}, url), desc ? xml("desc", {}, desc) : null),
  );
}
