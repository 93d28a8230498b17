import type { Logger } from "pino";
import type { Element } from "./element.js";
import { errorReply, toXmppError, XmppError } from "./errors.js";
import { IqCaller } from "./iq-caller.js";
import { IqRouter } from "./iq-router.js";
import type { StanzaTransport, TransportStatus } from "./transport.js";

/** Handles an inbound message or presence; throw an `XmppError` to bounce it with that error. */
export type StanzaHandler = (stanza: Element) => void | Promise<void>;

export interface XmppComponentOptions {
  logger: Logger;
  /** Default timeout of {@link XmppComponent.request} (30 s). */
  requestTimeoutMs?: number;
  /** Id generator for outgoing requests; tests pass a deterministic one. */
  newId?: () => string;
}

/**
 * An XMPP component on top of a {@link StanzaTransport}: IQ requests are routed through `iq`
 * (one reply each, always), responses are paired with `request()`s, and messages and presences go
 * to the registered handlers. Handlers run as stanzas arrive and may overlap when they are async;
 * ordering per conversation is up to the caller.
 */
export class XmppComponent {
  /** Routes inbound IQ get/set; register handlers with `iq.handle(route, handler)`. */
  readonly iq: IqRouter;
  private readonly transport: StanzaTransport;
  private readonly caller: IqCaller;
  private readonly logger: Logger;
  private readonly messageHandlers = new HandlerList();
  private readonly presenceHandlers = new HandlerList();

  constructor(transport: StanzaTransport, options: XmppComponentOptions) {
    this.transport = transport;
    this.logger = options.logger;
    this.iq = new IqRouter({ domain: transport.domain, logger: options.logger });
    this.caller = new IqCaller({
      send: (stanza) => transport.send(stanza),
      domain: transport.domain,
      defaultTimeoutMs: options.requestTimeoutMs,
      newId: options.newId,
    });
    transport.onStanza((stanza) => {
      void this.dispatch(stanza);
    });
    transport.onStatus((status) => {
      if (status === "offline") {
        this.caller.rejectAll(
          new XmppError("remote-server-timeout", "The connection closed before a response arrived."),
        );
      }
    });
  }

  /** The component's JID, e.g. `gateway.example.org`. */
  get domain(): string {
    return this.transport.domain;
  }

  get status(): TransportStatus {
    return this.transport.status;
  }

  start(): Promise<void> {
    return this.transport.start();
  }

  /** Closes the connection; pending `request()`s are rejected. */
  stop(): Promise<void> {
    return this.transport.stop();
  }

  /** Sends a stanza; a stanza without `from` is sent from the component domain. */
  send(stanza: Element): Promise<void> {
    return this.transport.send(stanza);
  }

  /**
   * Sends an IQ get/set and resolves with the `result` IQ; rejects with an `XmppError` (the peer's
   * error, or `remote-server-timeout`).
   */
  request(iq: Element, timeoutMs?: number): Promise<Element> {
    return this.caller.request(iq, timeoutMs);
  }

  /** Registers a message handler; returns a function that removes it. */
  onMessage(handler: StanzaHandler): () => void {
    return this.messageHandlers.add(handler);
  }

  /** Registers a presence handler; returns a function that removes it. */
  onPresence(handler: StanzaHandler): () => void {
    return this.presenceHandlers.add(handler);
  }

  private async dispatch(stanza: Element): Promise<void> {
    switch (stanza.name) {
      case "iq":
        return this.dispatchIq(stanza);
      case "message":
        return this.dispatchToHandlers(stanza, this.messageHandlers);
      case "presence":
        return this.dispatchToHandlers(stanza, this.presenceHandlers);
      default:
        this.logger.debug({ name: stanza.name }, "ignoring an inbound nonza");
    }
  }

  private async dispatchIq(stanza: Element): Promise<void> {
    const { type } = stanza.attrs;
    if (type === "result" || type === "error") {
      if (!this.caller.handleResponse(stanza)) {
        this.logger.debug(
          { id: stanza.attrs.id, from: stanza.attrs.from },
          "ignoring an IQ response nobody waits for",
        );
      }
      return;
    }
    const reply = await this.iq.route(stanza);
    if (reply) await this.sendReply(reply);
  }

  private async dispatchToHandlers(stanza: Element, handlers: HandlerList): Promise<void> {
    let failure: XmppError | undefined;
    for (const handler of handlers.current) {
      try {
        await handler(stanza);
      } catch (err) {
        const error = toXmppError(err);
        if (error !== err)
          this.logger.error({ err, stanza: stanzaSummary(stanza) }, `${stanza.name} handler failed`);
        failure ??= error;
      }
    }
    // Never answer an error with an error: two gateways (or a gateway and a server) would ping-pong.
    if (failure && stanza.attrs.type !== "error") await this.sendReply(errorReply(stanza, failure));
  }

  private async sendReply(reply: Element): Promise<void> {
    try {
      await this.transport.send(reply);
    } catch (err) {
      this.logger.warn({ err, stanza: stanzaSummary(reply) }, "could not send a reply");
    }
  }
}

/**
 * Copy-on-write list: registering is rare and dispatching is per stanza, so dispatch iterates the
 * current array without copying, and handlers may (un)register while a dispatch runs.
 */
class HandlerList {
  current: readonly StanzaHandler[] = [];

  add(handler: StanzaHandler): () => void {
    this.current = [...this.current, handler];
    return () => {
      this.current = this.current.filter((registered) => registered !== handler);
    };
  }
}

/** Enough to find a stanza in the logs, without its content (message bodies are private). */
function stanzaSummary(stanza: Element): Record<string, string | undefined> {
  const { id, from, to, type } = stanza.attrs;
  return { name: stanza.name, id, from, to, type };
}
