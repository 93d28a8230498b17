import newStanzaId from "@xmpp/id";
import type { Element } from "./element.js";
import { XmppError } from "./errors.js";
import { JID } from "./jid.js";

export const DEFAULT_IQ_TIMEOUT_MS = 30_000;

export interface IqCallerOptions {
  /** Hands a stanza to the connection (normally `StanzaTransport.send`). */
  send: (stanza: Element) => Promise<void>;
  /** The component domain: the default `from` of requests. */
  domain: string;
  defaultTimeoutMs?: number;
  /** Id generator for requests without an id; tests pass a deterministic one. */
  newId?: () => string;
}

interface PendingRequest {
  /** Normalized JID the response must come from. */
  responder: string;
  resolve: (response: Element) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout;
}

/**
 * Sends IQ requests and pairs them with their responses. A response must match the request's id
 * AND come from the JID the request was sent to: ids are guessable, so matching by id alone would
 * let any entity answer someone else's request.
 */
export class IqCaller {
  private readonly pending = new Map<string, PendingRequest>();
  private readonly send: (stanza: Element) => Promise<void>;
  private readonly domain: string;
  private readonly defaultTimeoutMs: number;
  private readonly newId: () => string;

  constructor(options: IqCallerOptions) {
    this.send = options.send;
    this.domain = options.domain;
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_IQ_TIMEOUT_MS;
    this.newId = options.newId ?? newStanzaId;
  }

  /** Number of requests waiting for a response. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Sends an `<iq type='get|set' to=…>` (adding `id` and `from` when missing) and resolves with the
   * `result` IQ. Rejects with `XmppError.fromStanza()` for an error response and with
   * `XmppError("remote-server-timeout")` when nothing arrives within `timeoutMs`.
   */
  request(iq: Element, timeoutMs = this.defaultTimeoutMs): Promise<Element> {
    const { to } = iq.attrs;
    const responder = JID.tryParse(to);
    if (!responder)
      return Promise.reject(new XmppError("jid-malformed", `Cannot send an IQ to "${to ?? ""}".`));
    iq.attrs.id ??= this.newId();
    iq.attrs.from ??= this.domain;
    const { id } = iq.attrs;
    if (this.pending.has(id)) return Promise.reject(new Error(`an IQ with id "${id}" is already pending`));

    return new Promise<Element>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new XmppError("remote-server-timeout", `No response from ${to} within ${timeoutMs} ms.`));
      }, timeoutMs);
      this.pending.set(id, { responder: responder.toString(), resolve, reject, timer });
      this.send(iq).catch((err: unknown) => this.settle(id, () => reject(err)));
    });
  }

  /**
   * Offers an inbound `result`/`error` IQ; returns true when it answered a pending request (and
   * was consumed). Responses from another JID than the one asked are ignored.
   */
  handleResponse(stanza: Element): boolean {
    const { id, type } = stanza.attrs;
    if (id === undefined || (type !== "result" && type !== "error")) return false;
    const pending = this.pending.get(id);
    if (!pending || JID.tryParse(stanza.attrs.from)?.toString() !== pending.responder) return false;
    this.settle(id, () =>
      type === "result" ? pending.resolve(stanza) : pending.reject(XmppError.fromStanza(stanza)),
    );
    return true;
  }

  /** Rejects every pending request (the connection is gone for good). */
  rejectAll(error: unknown): void {
    for (const [id, pending] of this.pending) this.settle(id, () => pending.reject(error));
  }

  private settle(id: string, outcome: () => void): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    clearTimeout(pending.timer);
    this.pending.delete(id);
    outcome();
  }
}
