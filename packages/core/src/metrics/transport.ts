import type { Element, StanzaTransport, TransportStatus } from "@gangway/xmpp";
import type { GatewayCounts } from "./counts.js";

/**
 * The gateway's transport, seen through a counter: every stanza in and out is counted by kind,
 * and every error stanza the gateway sends (an answer that something failed) as an error. One
 * increment per stanza; the stanza itself is passed on untouched.
 */
export class CountingTransport implements StanzaTransport {
  readonly #inner: StanzaTransport;
  readonly #counts: GatewayCounts;
  readonly pauseReading?: () => void;
  readonly resumeReading?: () => void;

  constructor(inner: StanzaTransport, counts: GatewayCounts) {
    this.#inner = inner;
    this.#counts = counts;
    if (inner.pauseReading) this.pauseReading = () => inner.pauseReading?.();
    if (inner.resumeReading) this.resumeReading = () => inner.resumeReading?.();
  }

  get domain(): string {
    return this.#inner.domain;
  }

  get status(): TransportStatus {
    return this.#inner.status;
  }

  start(): Promise<void> {
    return this.#inner.start();
  }

  stop(): Promise<void> {
    return this.#inner.stop();
  }

  send(stanza: Element): Promise<void> {
    this.#counts.stanzasOut.count(stanza.name);
    if (stanza.attrs.type === "error") this.#counts.errors.count("stanza-reply");
    return this.#inner.send(stanza);
  }

  onStanza(listener: (stanza: Element) => unknown): () => void {
    const counted = this.#counts.stanzasIn;
    return this.#inner.onStanza((stanza) => {
      counted.count(stanza.name);
      return listener(stanza);
    });
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    return this.#inner.onStatus(listener);
  }
}
