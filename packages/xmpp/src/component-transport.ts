import type { EventEmitter } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import componentCore from "@xmpp/component-core";
import newStanzaId from "@xmpp/id";
import { type Logger, pino } from "pino";
import { type BackoffOptions, DEFAULT_BACKOFF, reconnectDelay } from "./backoff.js";
import { type Element, xml } from "./element.js";
import type { UserFacingFailure } from "./errors.js";
import { OutboundQueue, type QueuedStanza } from "./outbound-queue.js";
import { stanzaOverLimit } from "./stanza-size.js";
import type { StanzaTransport, TransportStatus } from "./transport.js";

/** How long stop() waits for the server to close the stream before destroying the socket. */
const CLOSE_TIMEOUT_MS = 1500;

export type TransportErrorCode =
  /** The server refused the component secret. */
  | "not-authorized"
  /** Another connection already holds this component domain. */
  | "conflict"
  /** The server has no component with this domain. */
  | "host-unknown"
  /** `send()` while the outbound queue is at capacity. */
  | "queue-full"
  /** `send()` after `stop()`, or a queued stanza / pending `start()` cut off by `stop()`. */
  | "stopped"
  /** `send()` of a stanza over `maxStanzaBytes`: never queued (see {@link StanzaTooLargeError}). */
  | "too-large";

/** A connection-level failure of {@link ComponentTransport} (stanza errors are `XmppError`). */
export class TransportError extends Error {
  override readonly name = "TransportError";
  constructor(
    readonly code: TransportErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A stanza refused by `send()` because its serialized size is over the transport's limit: the
 * server would close the stream on it (and a queued one would do so again after each reconnect).
 */
export class StanzaTooLargeError extends TransportError implements UserFacingFailure {
  /** Thrown by a handler (say, while answering), it becomes this error reply: see `toXmppError`. */
  readonly xmppCondition = "policy-violation";
  constructor(
    /** Its serialized size, in UTF-8 bytes. */
    readonly bytes: number,
    /** The limit it is over (`maxStanzaBytes`). */
    readonly limit: number,
  ) {
    super("too-large", `stanza of ${bytes} bytes is over the ${limit}-byte limit; not sent`);
  }

  get userText(): string {
    return `The answer is too large to send: ${this.bytes} bytes, over this gateway's limit of ${this.limit} bytes per stanza.`;
  }
}

export interface ComponentTransportOptions {
  /** `xmpp://host:port` of the server's component listener. */
  service: string;
  /** The component's domain, e.g. `gateway.example.org`. */
  domain: string;
  /** The shared secret (XEP-0114 handshake). Never logged. */
  password: string;
  /** A child logger is derived from it; defaults to pino at info level. */
  logger?: Logger;
  /** Target of keepalive pings; defaults to the component domain without its first label. */
  serverDomain?: string;
  /** Reconnect backoff; defaults 250 ms × 2ⁿ, capped at 30 s. */
  backoff?: Partial<BackoffOptions>;
  /**
   * Online this long without dropping resets the backoff (default 1 s). Short, so a server
   * restarted again a few seconds later is still retried at the quick first step; a server that
   * drops the component right after the handshake still meets a growing backoff.
   */
  stableAfterMs?: number;
  /** Budget for TCP connect + stream open + handshake of one attempt (default 10 s). */
  connectTimeoutMs?: number;
  /** Stanzas kept while disconnected (default 10 000); `send()` rejects beyond that. */
  maxQueuedStanzas?: number;
  /**
   * Largest stanza written, serialized, in UTF-8 bytes (default: no limit). `send()` rejects a
   * larger one at once with a {@link StanzaTooLargeError}; keep it under the server's component
   * stanza limit (Prosody: 512 KiB), which closes the stream instead.
   */
  maxStanzaBytes?: number;
  /**
   * Reading paused this long resumes anyway (default 5 s, under the ping timeout): a handler may
   * be waiting for an IQ response only reading brings. What arrives past the component's bound is
   * then refused by it, not queued.
   */
  maxReadingPauseMs?: number;
  /** XEP-0199 ping interval (default 60 s); 0 disables keepalive. */
  pingIntervalMs?: number;
  /** No reply to a ping within this time means the stream is dead (default 10 s). */
  pingTimeoutMs?: number;
}

/** The subset of xmpp.js' component-core `Component` (an EventEmitter) this transport uses. */
interface CoreComponent extends EventEmitter {
  timeout: number;
  socket: {
    destroy(): void;
    setNoDelay?(noDelay?: boolean): unknown;
    pause?(): unknown;
    resume?(): unknown;
  } | null;
  start(): Promise<void>;
  stop(): Promise<unknown>;
  authenticate(streamId: string, password: string): Promise<void>;
  sendMany(stanzas: readonly Element[]): Promise<void>;
  send(stanza: Element): Promise<void>;
}

const CoreComponentClass = componentCore.Component as new (options: {
  service: string;
  domain: string;
}) => CoreComponent;

/** XEP-0199: the keepalive this transport sends, and what every entity of a gateway answers. */
export const NS_PING = "urn:xmpp:ping";
/** Stanzas per socket write when flushing: one write per batch, bounded so no write is huge. */
const FLUSH_BATCH_SIZE = 100;
const FATAL_BEFORE_FIRST_ONLINE: ReadonlySet<string> = new Set([
  "not-authorized",
  "conflict",
  "host-unknown",
]);

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

/**
 * {@link StanzaTransport} over a real XEP-0114 component stream (xmpp.js component-core).
 *
 * What it adds to xmpp.js: reconnect with exponential backoff and jitter; an ordered, bounded
 * outbound queue so nothing handed to `send()` is lost while disconnected; XEP-0199 keepalive
 * that detects dead streams; clear, non-retried failures for a wrong secret or a domain conflict
 * on first start. It deliberately does not use the `@xmpp/component` factory: that one installs an
 * IQ callee answering every IQ `service-unavailable` (a double reply next to our router) and a
 * fixed-delay reconnect.
 */
export class ComponentTransport implements StanzaTransport {
  readonly domain: string;
  private currentStatus: TransportStatus = "offline";
  private readonly service: string;
  // An ES private field: never part of any serialization, so the secret cannot reach a log line.
  readonly #password: string;
  private readonly logger: Logger;
  private readonly serverDomain: string;
  private readonly backoff: BackoffOptions;
  private readonly stableAfterMs: number;
  private readonly connectTimeoutMs: number;
  private readonly pingIntervalMs: number;
  private readonly pingTimeoutMs: number;
  private readonly maxReadingPauseMs: number;

  private readonly maxStanzaBytes: number | undefined;
  private readonly queue: OutboundQueue;
  private readonly stanzaListeners = new Set<(stanza: Element) => unknown>();
  private readonly statusListeners = new Set<(status: TransportStatus) => void>();

  private connection: CoreComponent | undefined;
  private firstStart: Deferred | undefined;
  private stopPromise: Promise<void> | undefined;
  private everOnline = false;
  private failedAttempts = 0;
  private flushing = false;
  private rejectedWhileFull = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stableTimer: NodeJS.Timeout | undefined;
  private pingInterval: NodeJS.Timeout | undefined;
  private pingDeadline: NodeJS.Timeout | undefined;
  private pendingPingId: string | undefined;
  private readingPaused = false;
  private readingWatchdog: NodeJS.Timeout | undefined;

  constructor(options: ComponentTransportOptions) {
    this.domain = options.domain.toLowerCase();
    this.service = options.service;
    this.#password = options.password;
    this.logger = (options.logger ?? pino({ name: "gangway-xmpp" })).child({
      module: "component-transport",
      component: this.domain,
    });
    this.serverDomain = options.serverDomain ?? (this.domain.split(".").slice(1).join(".") || this.domain);
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.stableAfterMs = options.stableAfterMs ?? 1000;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.pingIntervalMs = options.pingIntervalMs ?? 60_000;
    this.pingTimeoutMs = options.pingTimeoutMs ?? 10_000;
    this.maxReadingPauseMs = options.maxReadingPauseMs ?? 5000;
    this.maxStanzaBytes = options.maxStanzaBytes;
    this.queue = new OutboundQueue(options.maxQueuedStanzas ?? 10_000);
  }

  get status(): TransportStatus {
    return this.currentStatus;
  }

  /** Stanzas waiting to be written (queued while disconnected, or not flushed yet). */
  get queuedStanzas(): number {
    return this.queue.length;
  }

  /**
   * Connects and resolves once online. Unreachable servers are retried with backoff until `stop()`;
   * a wrong secret, a domain already connected, or an unknown component domain reject at once
   * with a {@link TransportError}, since retrying cannot fix them.
   */
  start(): Promise<void> {
    if (this.stopPromise) return Promise.reject(new TransportError("stopped", "the transport was stopped"));
    if (this.firstStart) return this.firstStart.promise;
    this.firstStart = deferred();
    this.setStatus("connecting");
    void this.attempt();
    return this.firstStart.promise;
  }

  /** Closes the stream for good; queued stanzas are dropped (their `send()` rejects). Idempotent. */
  stop(): Promise<void> {
    this.stopPromise ??= this.shutDown();
    return this.stopPromise;
  }

  send(stanza: Element): Promise<void> {
    if (this.stopPromise) {
      return Promise.reject(new TransportError("stopped", "cannot send: the transport was stopped"));
    }
    if (this.queue.isFull) return Promise.reject(this.overflow());
    // XEP-0114: every stanza on a component stream carries `from`; puppets set their own.
    stanza.attrs.from ??= this.domain;
    if (this.maxStanzaBytes !== undefined) {
      const bytes = stanzaOverLimit(stanza, this.maxStanzaBytes);
      if (bytes !== undefined) {
        // Checked before queueing: queued, it would close the stream on every reconnect.
        const { name, attrs } = stanza;
        const payload = stanza.getChildElements()[0];
        this.logger.warn(
          {
            stanza: {
              name,
              type: attrs.type,
              id: attrs.id,
              to: attrs.to,
              payload: payload?.getNS() ?? payload?.name,
            },
            bytes,
            limit: this.maxStanzaBytes,
          },
          "stanza over the size limit: not sent",
        );
        return Promise.reject(new StanzaTooLargeError(bytes, this.maxStanzaBytes));
      }
    }
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ stanza, resolve, reject });
      if (this.currentStatus === "online") void this.flush();
    });
  }

  onStanza(listener: (stanza: Element) => unknown): () => void {
    this.stanzaListeners.add(listener);
    return () => this.stanzaListeners.delete(listener);
  }

  pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    this.connection?.socket?.pause?.();
    this.logger.debug("inbound stanzas pile up: reading paused");
    this.readingWatchdog = setTimeout(() => {
      this.logger.warn(
        { pausedMs: this.maxReadingPauseMs },
        "inbound stanzas still being handled; reading on (past the bound they are refused)",
      );
      this.resumeReading();
    }, this.maxReadingPauseMs);
    this.readingWatchdog.unref();
  }

  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    clearTimeout(this.readingWatchdog);
    this.connection?.socket?.resume?.();
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  // ---- connection lifecycle ----

  private async attempt(): Promise<void> {
    this.reconnectTimer = undefined;
    const connection = this.createConnection();
    this.connection = connection;
    try {
      await this.connectOnce(connection);
    } catch (err) {
      if (connection !== this.connection) return; // stopped (or replaced) meanwhile
      this.discard(connection);
      this.connection = undefined;
      const condition = streamErrorCondition(err);
      if (!this.everOnline && condition !== undefined && FATAL_BEFORE_FIRST_ONLINE.has(condition)) {
        const error = this.fatalStartError(condition, err);
        this.logger.error({ condition }, error.message);
        this.setStatus("offline");
        this.settleFirstStart(error);
        return;
      }
      const delayMs = this.scheduleReconnect();
      this.logger.warn(
        { error: errorSummary(err), attempt: this.failedAttempts, retryInMs: delayMs, service: this.service },
        "could not connect the component; retrying",
      );
      return;
    }
    this.onOnline(connection);
  }

  /** One connect + open + handshake, bounded by `connectTimeoutMs`, failing on an early close too. */
  private connectOnce(connection: CoreComponent): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) => {
        cleanup();
        reject(error);
      };
      const onDisconnect = () => fail(new Error("the server closed the connection during the handshake"));
      const deadline = setTimeout(
        () => fail(new Error(`no handshake within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      // The socket keeps the process alive while it connects; a stopped transport's must not.
      deadline.unref();
      const cleanup = () => {
        clearTimeout(deadline);
        connection.off("disconnect", onDisconnect);
      };
      connection.on("disconnect", onDisconnect);
      connection.start().then(() => {
        cleanup();
        resolve();
      }, fail);
    });
  }

  private createConnection(): CoreComponent {
    const connection = new CoreComponentClass({ service: this.service, domain: this.domain });
    connection.timeout = this.connectTimeoutMs;
    connection.on("open", (header: Element) => {
      // Errors are re-emitted so that the pending start() rejects with them.
      connection.authenticate(header.attrs.id ?? "", this.#password).catch((err: unknown) => {
        connection.emit("error", err);
      });
    });
    connection.on("error", (err: unknown) => {
      // Before online, connectOnce() reports the failure; afterwards the disconnect that follows
      // triggers the reconnect, and this line says why it happened (e.g. system-shutdown).
      if (connection === this.connection && this.currentStatus === "online") {
        this.logger.warn({ error: errorSummary(err) }, "component stream error");
      }
    });
    connection.on("stanza", (stanza: Element) => this.onInbound(connection, stanza));
    connection.on("disconnect", () => this.onConnectionLost(connection));
    // A gateway writes small stanzas in quick succession (a receipt, then a reply): with Nagle's
    // algorithm the second write waits for the first one's delayed ACK, ~40 ms per message
    // (measured by packages/e2e/src/echo.bench.ts).
    connection.on("connect", () => {
      connection.socket?.setNoDelay?.(true);
      if (this.readingPaused) connection.socket?.pause?.();
    });
    return connection;
  }

  private onOnline(connection: CoreComponent): void {
    this.everOnline = true;
    this.logger.info({ service: this.service, queued: this.queue.length }, "component online");
    this.setStatus("online");
    this.stableTimer = setTimeout(() => {
      this.failedAttempts = 0;
    }, this.stableAfterMs);
    this.stableTimer.unref();
    this.startKeepalive(connection);
    this.settleFirstStart();
    void this.flush();
  }

  private onConnectionLost(connection: CoreComponent): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.stopTimers();
    this.discard(connection);
    const delayMs = this.scheduleReconnect();
    this.logger.warn(
      { retryInMs: delayMs, queued: this.queue.length },
      "component connection lost; reconnecting",
    );
    this.setStatus("reconnecting");
  }

  /** Schedules the next attempt and returns its delay. */
  private scheduleReconnect(): number {
    const delayMs = reconnectDelay(this.failedAttempts, this.backoff);
    this.failedAttempts += 1;
    this.reconnectTimer = setTimeout(() => void this.attempt(), delayMs);
    return delayMs;
  }

  /** Detaches from a connection that is finished with and makes sure its socket is gone. */
  private discard(connection: CoreComponent): void {
    connection.removeAllListeners();
    // xmpp.js may still emit (socket errors while closing); an unhandled "error" would throw.
    connection.on("error", () => {});
    connection.socket?.destroy();
  }

  private async shutDown(): Promise<void> {
    this.setStatus("stopping");
    this.stopTimers();
    clearTimeout(this.reconnectTimer);
    this.settleFirstStart(new TransportError("stopped", "the transport was stopped before it came online"));
    const connection = this.connection;
    this.connection = undefined;
    if (connection) {
      // A clean </stream:stream> lets the server bounce nothing. A server that is shutting down may
      // keep the socket open without answering: past CLOSE_TIMEOUT_MS the socket is destroyed, and
      // xmpp.js's own close timers (its `timeout`) end by then too, so none keeps the process alive.
      connection.timeout = CLOSE_TIMEOUT_MS;
      await Promise.race([
        connection.stop().catch(() => {}),
        sleep(CLOSE_TIMEOUT_MS, undefined, { ref: false }),
      ]);
      this.discard(connection);
    }
    const dropped = this.queue.drain();
    if (dropped.length > 0) {
      this.logger.warn(
        { dropped: dropped.length },
        "transport stopped with stanzas still queued; they are dropped",
      );
      const error = new TransportError("stopped", "the transport was stopped before this stanza was sent");
      for (const item of dropped) item.reject(error);
    }
    this.setStatus("offline");
  }

  private stopTimers(): void {
    clearTimeout(this.readingWatchdog);
    this.readingPaused = false;
    clearTimeout(this.stableTimer);
    clearInterval(this.pingInterval);
    clearTimeout(this.pingDeadline);
    this.pendingPingId = undefined;
  }

  // ---- outbound ----

  /** Writes queued stanzas in order, a batch per socket write, for as long as we are online. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.currentStatus === "online" && this.connection && this.queue.length > 0) {
        const connection = this.connection;
        const batch = this.queue.take(FLUSH_BATCH_SIZE);
        try {
          await connection.sendMany(batch.map(stanzaOf));
        } catch (err) {
          this.requeueAfterFailedWrite(batch, err);
          return;
        }
        for (const item of batch) item.resolve();
      }
      if (this.queue.length === 0 && this.rejectedWhileFull > 0) {
        this.logger.info({ rejected: this.rejectedWhileFull }, "outbound queue drained after an overflow");
        this.rejectedWhileFull = 0;
      }
    } finally {
      this.flushing = false;
    }
  }

  private requeueAfterFailedWrite(batch: QueuedStanza[], err: unknown): void {
    if (this.stopPromise) {
      for (const item of batch)
        item.reject(new TransportError("stopped", "the transport was stopped", { cause: err }));
      return;
    }
    // The socket is going away; the disconnect handler reconnects and the batch goes out first.
    this.logger.debug(
      { error: errorSummary(err), stanzas: batch.length },
      "write failed; requeued for the next connection",
    );
    this.queue.restore(batch);
  }

  private overflow(): TransportError {
    if (this.rejectedWhileFull === 0) {
      this.logger.warn(
        { capacity: this.queue.capacity, status: this.currentStatus },
        "outbound queue full: rejecting stanzas until it drains",
      );
    }
    this.rejectedWhileFull += 1;
    return new TransportError(
      "queue-full",
      `outbound queue full (${this.queue.capacity} stanzas waiting, status ${this.currentStatus})`,
    );
  }

  // ---- inbound and keepalive ----

  private onInbound(connection: CoreComponent, stanza: Element): void {
    if (connection !== this.connection) return;
    if (this.pendingPingId !== undefined && stanza.name === "iq" && stanza.attrs.id === this.pendingPingId) {
      // Any answer, even an error (server without mod_ping), proves the stream is alive.
      this.pendingPingId = undefined;
      clearTimeout(this.pingDeadline);
      return;
    }
    for (const listener of this.stanzaListeners) {
      try {
        const work = listener(stanza);
        if (work instanceof Promise)
          work.catch((err) => this.logger.error({ err }, "stanza listener failed"));
      } catch (err) {
        this.logger.error({ err }, "stanza listener threw");
      }
    }
  }

  private startKeepalive(connection: CoreComponent): void {
    if (this.pingIntervalMs <= 0) return;
    this.pingInterval = setInterval(() => this.ping(connection), this.pingIntervalMs);
    this.pingInterval.unref();
  }

  private ping(connection: CoreComponent): void {
    if (this.pendingPingId !== undefined || connection !== this.connection) return;
    const id = `keepalive-${newStanzaId()}`;
    this.pendingPingId = id;
    this.pingDeadline = setTimeout(() => {
      this.logger.warn(
        { timeoutMs: this.pingTimeoutMs },
        "no reply to the keepalive ping; closing the dead stream",
      );
      // Destroying the socket emits "disconnect", which reconnects.
      connection.socket?.destroy();
    }, this.pingTimeoutMs);
    this.pingDeadline.unref();
    const ping = xml(
      "iq",
      { type: "get", id, from: this.domain, to: this.serverDomain },
      xml("ping", { xmlns: NS_PING }),
    );
    // Bypasses the queue: it is only meaningful on this connection, right now.
    connection.send(ping).catch(() => {});
  }

  // ---- helpers ----

  private setStatus(status: TransportStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    for (const listener of this.statusListeners) {
      try {
        listener(status);
      } catch (err) {
        this.logger.error({ err }, "status listener threw");
      }
    }
  }

  private settleFirstStart(error?: unknown): void {
    const start = this.firstStart;
    if (!start || start.settled) return;
    start.settled = true;
    if (error === undefined) start.resolve();
    else start.reject(error);
  }

  private fatalStartError(condition: string, cause: unknown): TransportError {
    switch (condition) {
      case "not-authorized":
        return new TransportError(
          "not-authorized",
          `the server at ${this.service} refused the secret for component ${this.domain}; check the component secret in the server configuration`,
          { cause },
        );
      case "conflict":
        return new TransportError(
          "conflict",
          `another component is already connected as ${this.domain} at ${this.service}; only one connection per component domain is possible`,
          { cause },
        );
      default:
        return new TransportError(
          "host-unknown",
          `the server at ${this.service} has no component ${this.domain} configured`,
          { cause },
        );
    }
  }
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject, settled: false };
}

function stanzaOf(item: QueuedStanza): Element {
  return item.stanza;
}

/** The condition of an xmpp.js StreamError (e.g. `not-authorized`), if `err` is one. */
function streamErrorCondition(err: unknown): string | undefined {
  if (err instanceof Error && err.name === "StreamError") {
    const { condition } = err as Error & { condition?: unknown };
    return typeof condition === "string" ? condition : undefined;
  }
  return undefined;
}

/** Message and name only: xmpp.js errors carry elements and sockets that make noisy logs. */
function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error
    ? { name: err.name, message: err.message }
    : { name: "Error", message: String(err) };
}
