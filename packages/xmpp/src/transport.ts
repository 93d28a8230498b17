import type { Element } from "./element.js";

/** Connection state of a stanza transport, as seen by the gateway. */
export type TransportStatus = "offline" | "connecting" | "online" | "reconnecting" | "stopping";

/**
 * The minimal pipe between a gateway and an XMPP server: whole stanzas in, whole stanzas out.
 * `ComponentTransport` implements it over a real XEP-0114 stream; `@gangway/testing` implements
 * it in memory. Everything above (IQ routing, IQ requests, dispatch) is written once against this.
 */
export interface StanzaTransport {
  /** The component's own JID (a bare domain, e.g. `demo.localhost`). */
  readonly domain: string;
  readonly status: TransportStatus;
  /** Resolves once the stream is online for the first time. */
  start(): Promise<void>;
  /** Closes the stream for good (no reconnect). Queued stanzas are dropped with a log line. */
  stop(): Promise<void>;
  /**
   * Hands a stanza to the server. While disconnected the stanza is queued (bounded) and flushed
   * in order after reconnecting; the promise resolves when it has been written to the socket.
   */
  send(stanza: Element): Promise<void>;
  /**
   * Registers a listener for every inbound stanza; returns a function that removes it. A listener
   * may return a promise of its work: in-memory transports await it so tests know when handling ended.
   */
  onStanza(listener: (stanza: Element) => unknown): () => void;
  /**
   * Stops reading inbound stanzas (back-pressure: the server holds them) until `resumeReading()`.
   * Optional: in-memory transports have nothing to pause. Both are idempotent.
   */
  pauseReading?(): void;
  resumeReading?(): void;
  /** Registers a listener for status changes; returns a function that removes it. */
  onStatus(listener: (status: TransportStatus) => void): () => void;
}
