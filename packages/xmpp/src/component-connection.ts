import type { EventEmitter } from "node:events";
import componentCore from "@xmpp/component-core";
import type { Logger } from "pino";
import type { BackoffOptions } from "./backoff.js";
import type { Element } from "./element.js";

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
  /** Reconnect backoff; default: 60 quick retries at 100 ms, then 100 ms × 2ⁿ capped at 30 s (see DEFAULT_BACKOFF). */
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
export interface CoreComponent extends EventEmitter {
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

export function newCoreComponent(service: string, domain: string): CoreComponent {
  return new CoreComponentClass({ service, domain });
}

/** One connect + open + handshake, bounded by `timeoutMs`, failing on an early close too. */
export function connectOnce(connection: CoreComponent, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (error: unknown) => {
      cleanup();
      reject(error);
    };
    const onDisconnect = () => fail(new Error("the server closed the connection during the handshake"));
    const deadline = setTimeout(() => fail(new Error(`no handshake within ${timeoutMs} ms`)), timeoutMs);
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

export interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
  settled: boolean;
}

export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject, settled: false };
}
