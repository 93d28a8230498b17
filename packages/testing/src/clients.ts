import { createConnection } from "node:net";
import { type Element, parseXml } from "@gangway/xmpp";
import { client as createXmppClient, type XmppJsClient } from "@xmpp/client";
import { toElement } from "./canonical-xml.js";

/** Where test clients connect; a {@link ProsodyServer} satisfies it. */
export interface XmppServerAddress {
  /** Defaults to 127.0.0.1. */
  readonly host?: string;
  readonly c2sPort: number;
  /** The XMPP domain of the accounts, e.g. `localhost`. */
  readonly domain: string;
}

export interface ConnectClientOptions {
  server: XmppServerAddress;
  /** Local part of the account (`alice` for `alice@localhost`). */
  username: string;
  password: string;
  /** Default `test`. */
  resource?: string;
  /** Send an initial `<presence/>` after login so the server routes messages to this resource. Default true. */
  sendInitialPresence?: boolean;
  /** Login timeout. Default 10 s. */
  timeoutMs?: number;
}

/** A logged-in XMPP client for tests: sends stanzas, records everything it receives. */
export interface TestClient {
  /** Full JID after resource binding, e.g. `alice@localhost/test`. */
  readonly jid: string;
  /** The bare JID, e.g. `alice@localhost`. */
  readonly bareJid: string;
  /** Every stanza received since login, oldest first. */
  readonly stanzas: readonly Element[];
  send(stanza: Element | string): Promise<void>;
  /** Sends an IQ get/set (an id is added when missing) and resolves with the result; rejects on `type="error"`. */
  request(iq: Element | string, timeoutMs?: number): Promise<Element>;
  /**
   * Resolves with the first received stanza matching `predicate` that no earlier `waitFor` returned,
   * including stanzas that arrived before the call (so `send(); await waitFor()` never races).
   * Rejects after `timeoutMs` (default 5 s) with an error listing what did arrive.
   */
  waitFor(predicate: (stanza: Element) => boolean, timeoutMs?: number): Promise<Element>;
  /** Closes the stream. Idempotent. */
  stop(): Promise<void>;
}

const LOOPBACK = "127.0.0.1";
const NS_REGISTER = "jabber:iq:register";
const NS_ROSTER = "jabber:iq:roster";

/**
 * Logs in with `@xmpp/client`, forcing SASL PLAIN: xmpp.js never picks PLAIN on an unencrypted
 * socket by itself, and its pure-JS SCRAM costs ~700 ms per login against Prosody's 10000
 * iterations (PLAIN: ~10 ms). The server must allow unencrypted PLAIN, as the launcher's config does.
 * Test clients do not reconnect by themselves, so a server restart is visible to the test.
 */
export async function connectClient(options: ConnectClientOptions): Promise<TestClient> {
  const { server, username, password } = options;
  const xmpp = createXmppClient({
    service: `xmpp://${server.host ?? LOOPBACK}:${server.c2sPort}`,
    domain: server.domain,
    resource: options.resource ?? "test",
    credentials: (authenticate) => authenticate({ username, password }, "PLAIN"),
  });
  xmpp.reconnect.stop();
  const wrapper = new XmppJsTestClient(xmpp);
  const timeoutMs = options.timeoutMs ?? 10_000;
  try {
    await withTimeout(xmpp.start(), timeoutMs, `login of ${username}@${server.domain}`);
  } catch (error) {
    await wrapper.stop();
    throw new Error(
      `${username}@${server.domain} could not log in on ${server.host ?? LOOPBACK}:${server.c2sPort}: ${errorText(error)}`,
    );
  }
  if (options.sendInitialPresence ?? true) await xmpp.send(parseXml("<presence/>"));
  return wrapper;
}

class XmppJsTestClient implements TestClient {
  readonly stanzas: Element[] = [];
  readonly #xmpp: XmppJsClient;
  /** Stanzas already handed out by waitFor, so two waits never return the same stanza. */
  readonly #consumed = new WeakSet<Element>();
  readonly #waiters = new Set<(stanza: Element) => void>();
  #stopped = false;

  constructor(xmpp: XmppJsClient) {
    this.#xmpp = xmpp;
    xmpp.on("stanza", (stanza) => {
      this.stanzas.push(stanza);
      for (const waiter of this.#waiters) waiter(stanza);
    });
    // Without a listener, an 'error' event would crash the test process; failures surface via start()/send().
    xmpp.on("error", () => {});
    // Roster pushes must be acknowledged (RFC 6121 §2.1.6), or Prosody logs errors for every push.
    xmpp.iqCallee.set(NS_ROSTER, "query", () => true);
  }

  get jid(): string {
    return this.#xmpp.jid?.toString() ?? "";
  }

  get bareJid(): string {
    return this.jid.split("/")[0] ?? "";
  }

  async send(stanza: Element | string): Promise<void> {
    await this.#xmpp.send(toElement(stanza));
  }

  async request(iq: Element | string, timeoutMs = 5000): Promise<Element> {
    return this.#xmpp.iqCaller.request(toElement(iq), timeoutMs);
  }

  waitFor(predicate: (stanza: Element) => boolean, timeoutMs = 5000): Promise<Element> {
    const earlier = this.stanzas.find((stanza) => !this.#consumed.has(stanza) && predicate(stanza));
    if (earlier) {
      this.#consumed.add(earlier);
      return Promise.resolve(earlier);
    }
    return new Promise((resolve, reject) => {
      const waiter = (stanza: Element) => {
        if (this.#consumed.has(stanza) || !predicate(stanza)) return;
        this.#consumed.add(stanza);
        this.#waiters.delete(waiter);
        clearTimeout(timer);
        resolve(stanza);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(timeoutMessage(this.jid, predicate, timeoutMs, this.stanzas)));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    try {
      await this.#xmpp.stop();
    } catch {
      // The server may already be gone (restart tests); the socket is closed either way.
    }
  }
}

function timeoutMessage(
  who: string,
  predicate: (stanza: Element) => boolean,
  timeoutMs: number,
  received: readonly Element[],
): string {
  const shown = received.slice(-20);
  const list = shown.length
    ? shown.map((stanza, i) => `  ${received.length - shown.length + i + 1}. ${stanza.toString()}`).join("\n")
    : "  (nothing)";
  return (
    `${who}: no matching stanza within ${timeoutMs} ms.\n` +
    `Predicate: ${predicate.toString()}\n` +
    `Received ${received.length} stanza(s)${received.length > shown.length ? ", last 20" : ""}:\n${list}`
  );
}

/** Thrown when the server refuses an in-band registration; `condition` is the XMPP error condition. */
export class AccountRegistrationError extends Error {
  readonly condition: string;

  constructor(jid: string, condition: string, response: string) {
    super(`In-band registration of ${jid} failed with <${condition}/>: ${response}`);
    this.name = "AccountRegistrationError";
    this.condition = condition;
  }
}

/**
 * Creates `username@<domain>` with XEP-0077 in-band registration over a raw TCP stream (no login
 * needed, ~5 ms on Prosody). Rejects with {@link AccountRegistrationError} (e.g. `conflict` when
 * the account exists).
 */
export function registerAccount(
  server: XmppServerAddress,
  username: string,
  password: string,
  timeoutMs = 10_000,
): Promise<void> {
  const jid = `${username}@${server.domain}`;
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: server.host ?? LOOPBACK, port: server.c2sPort });
    let received = "";
    let requested = false;
    const finish = (error?: Error) => {
      clearTimeout(timer);
      socket.end("</stream:stream>");
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () =>
        finish(new Error(`In-band registration of ${jid} timed out after ${timeoutMs} ms; got: ${received}`)),
      timeoutMs,
    );
    socket.setEncoding("utf8");
    socket.on("error", (error) => finish(new Error(`In-band registration of ${jid}: ${error.message}`)));
    socket.on("connect", () => {
      socket.write(
        `<?xml version='1.0'?><stream:stream to=${quoteAttr(server.domain)} version='1.0' ` +
          `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`,
      );
    });
    socket.on("data", (chunk: string) => {
      received += chunk;
      if (!requested && received.includes("</stream:features>")) {
        requested = true;
        socket.write(
          `<iq type='set' id='gangway-ibr'><query xmlns='${NS_REGISTER}'>` +
            `<username>${escapeText(username)}</username><password>${escapeText(password)}</password>` +
            "</query></iq>",
        );
        return;
      }
      const response = requested ? completeIq(received) : undefined;
      if (!response) return;
      const iq = parseXml(response);
      if (iq.attrs.type === "result") {
        finish();
      } else {
        const condition =
          iq
            .getChild("error")
            ?.getChildElements()
            .find((child) => child.name !== "text")?.name ?? "unknown";
        finish(new AccountRegistrationError(jid, condition, response));
      }
    });
  });
}

/**
 * The first complete `<iq>` in the buffered stream text, or undefined while it is incomplete.
 * IQs never nest, so the element ends at its own `/>` or the first `</iq>`.
 */
function completeIq(buffer: string): string | undefined {
  const start = buffer.search(/<iq[\s>]/);
  if (start < 0) return undefined;
  const openTag = /^<iq\b[^>]*>/.exec(buffer.slice(start));
  if (!openTag) return undefined;
  if (openTag[0].endsWith("/>")) return openTag[0];
  const end = buffer.indexOf("</iq>", start);
  return end < 0 ? undefined : buffer.slice(start, end + "</iq>".length);
}

function escapeText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function quoteAttr(value: string): string {
  return `'${escapeText(value).replace(/'/g, "&apos;")}'`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
