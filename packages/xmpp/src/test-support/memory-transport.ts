import type { Element } from "../element.js";
import type { StanzaTransport, TransportStatus } from "../transport.js";

/** Just enough of a transport to drive XmppComponent in unit tests (the full kit is @gangway/testing). */
export class MemoryTransport implements StanzaTransport {
  readonly sent: Element[] = [];
  status: TransportStatus = "offline";
  private readonly stanzaListeners = new Set<(stanza: Element) => unknown>();
  private readonly statusListeners = new Set<(status: TransportStatus) => void>();

  constructor(readonly domain = "gw.example.org") {}

  async start(): Promise<void> {
    this.setStatus("online");
  }

  async stop(): Promise<void> {
    this.setStatus("offline");
  }

  async send(stanza: Element): Promise<void> {
    stanza.attrs.from ??= this.domain;
    this.sent.push(stanza);
  }

  onStanza(listener: (stanza: Element) => unknown): () => void {
    this.stanzaListeners.add(listener);
    return () => this.stanzaListeners.delete(listener);
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** Delivers a stanza as if it came from the server. */
  receive(stanza: Element): void {
    for (const listener of this.stanzaListeners) listener(stanza);
  }

  private setStatus(status: TransportStatus): void {
    this.status = status;
    for (const listener of this.statusListeners) listener(status);
  }
}
