import { setTimeout as sleep } from "node:timers/promises";
import newStanzaId from "@xmpp/id";
import { type Logger, pino } from "pino";
import { type BackoffOptions, DEFAULT_BACKOFF, reconnectDelay } from "./backoff.js";
import {
  type ComponentTransportOptions,
  type CoreComponent,
  connectOnce,
  type Deferred,
  deferred,
  newCoreComponent,
} from "./component-connection.js";
import { type Element, xml } from "./element.js";
import { Keepalive } from "./keepalive.js";
import { OutboundQueue, type QueuedStanza } from "./outbound-queue.js";
import { ReadingPause } from "./reading-pause.js";
import { stanzaOverLimit, stanzaSummary } from "./stanza-size.js";
import type { StanzaTransport, TransportStatus } from "./transport.js";
import {
  errorSummary,
  fatalStartError,
  StanzaTooLargeError,
  streamErrorCondition,
  TransportError,
} from "./transport-errors.js";
import { WriteConfirmations } from "./write-confirmations.js";

export type { ComponentTransportOptions } from "./component-connection.js";
export { StanzaTooLargeError, TransportError, type TransportErrorCode } from "./transport-errors.js";

/** How long stop() waits for the server to close the stream before destroying the socket. */
const CLOSE_TIMEOUT_MS = 1500;

/** XEP-0199: the keepalive this transport sends, and what every entity of a gateway answers. */
export const NS_PING = "urn:xmpp:ping";
/** Stanzas per socket write when flushing: one write per batch, bounded so no write is huge. */
const FLUSH_BATCH_SIZE = 100;
const FATAL_BEFORE_FIRST_ONLINE: ReadonlySet<string> = new Set([
  "not-authorized",
  "conflict",
  "host-unknown",
]);

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
  private readonly reading: ReadingPause;

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
  private keepalive: Keepalive | undefined;
  private readonly confirmations = new WriteConfirmations(() => `checkpoint-${newStanzaId()}`);
  /** Written on a lost connection without the server's confirmation: written again first. */
  private unconfirmedFromLostConnection: Element[] = [];

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
    this.reading = new ReadingPause(
      () => this.connection?.socket,
      options.maxReadingPauseMs ?? 5000,
      this.logger,
    );
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
        this.logger.warn(
          { stanza: stanzaSummary(stanza), bytes, limit: this.maxStanzaBytes },
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
    this.reading.pause();
  }

  resumeReading(): void {
    this.reading.resume();
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
      await connectOnce(connection, this.connectTimeoutMs);
    } catch (err) {
      if (connection !== this.connection) return; // stopped (or replaced) meanwhile
      this.discard(connection);
      this.connection = undefined;
      const condition = streamErrorCondition(err);
      if (!this.everOnline && condition !== undefined && FATAL_BEFORE_FIRST_ONLINE.has(condition)) {
        const error = fatalStartError(condition, err, this.service, this.domain);
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

  private createConnection(): CoreComponent {
    const connection = newCoreComponent(this.service, this.domain);
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
      if (this.reading.isPaused) connection.socket?.pause?.();
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
    this.keepalive = new Keepalive({
      intervalMs: this.pingIntervalMs,
      timeoutMs: this.pingTimeoutMs,
      logger: this.logger,
      // Bypasses the queue: it is only meaningful on this connection, right now.
      ping: (id) => this.writePing(connection, id),
      // Destroying the socket emits "disconnect", which reconnects.
      dead: () => connection.socket?.destroy(),
    });
    this.keepalive.start();
    this.settleFirstStart();
    if (this.unconfirmedFromLostConnection.length > 0) {
      // Ahead of everything queued since, which was handed to send() after them.
      this.queue.restore(this.unconfirmedFromLostConnection.map(alreadySettled));
      this.unconfirmedFromLostConnection = [];
    }
    void this.flush();
  }

  private onConnectionLost(connection: CoreComponent): void {
    if (connection !== this.connection) return;
    this.connection = undefined;
    this.stopTimers();
    this.discard(connection);
    const { stanzas, letGo } = this.confirmations.takeUnconfirmed();
    this.unconfirmedFromLostConnection.push(...stanzas);
    if (letGo > 0) this.logger.warn({ letGo }, "written stanzas the server never confirmed were let go");
    const delayMs = this.scheduleReconnect();
    this.logger.warn(
      { retryInMs: delayMs, queued: this.queue.length, unconfirmed: stanzas.length },
      "component connection lost; reconnecting (unconfirmed stanzas are written again)",
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
    const unconfirmed =
      this.unconfirmedFromLostConnection.length + this.confirmations.takeUnconfirmed().stanzas.length;
    this.unconfirmedFromLostConnection = [];
    if (unconfirmed > 0) {
      this.logger.warn(
        { unconfirmed },
        "transport stopped before the server confirmed these stanzas; not written again",
      );
    }
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
    this.reading.reset();
    clearTimeout(this.stableTimer);
    this.keepalive?.stop();
    this.keepalive = undefined;
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
        const stanzas = batch.map(stanzaOf);
        try {
          await connection.sendMany(stanzas);
        } catch (err) {
          this.requeueAfterFailedWrite(batch, err);
          return;
        }
        for (const item of batch) item.resolve();
        if (connection === this.connection)
          this.sendCheckpoint(connection, this.confirmations.wrote(stanzas));
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
    if (stanza.name === "iq" && stanza.attrs.id?.startsWith("checkpoint-")) {
      const { matched, next } = this.confirmations.answered(stanza.attrs.id);
      if (matched) {
        this.sendCheckpoint(connection, next);
        return;
      }
    }
    // Any answer, even an error (server without mod_ping), proves the stream is alive.
    if (stanza.name === "iq" && this.keepalive?.answered(stanza.attrs.id)) return;
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

  /** Asks the server to answer once it has processed everything written so far (see WriteConfirmations). */
  private sendCheckpoint(connection: CoreComponent, id: string | undefined): void {
    if (id !== undefined) this.writePing(connection, id);
  }

  /** An XEP-0199 ping to the server, written at once on this connection. */
  private writePing(connection: CoreComponent, id: string): void {
    const ping = xml(
      "iq",
      { type: "get", id, from: this.domain, to: this.serverDomain },
      xml("ping", { xmlns: NS_PING }),
    );
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
}

function stanzaOf(item: QueuedStanza): Element {
  return item.stanza;
}

/** A stanza written again after a lost connection: its `send()` already resolved. */
function alreadySettled(stanza: Element): QueuedStanza {
  return { stanza, resolve: () => {}, reject: () => {} };
}
