import type { Logger } from "pino";
import { StanzaTooLargeError } from "./component-transport.js";
import type { Element } from "./element.js";
import { errorReply, toXmppError, XmppError } from "./errors.js";
import { InflightGate } from "./inflight.js";
import { IqCaller } from "./iq-caller.js";
import { IqRouter } from "./iq-router.js";
import { stanzaSummary } from "./stanza-size.js";
import type { StanzaTransport, TransportStatus } from "./transport.js";

/** Handles an inbound message or presence; throw an `XmppError` to bounce it with that error. */
export type StanzaHandler = (stanza: Element) => void | Promise<void>;

export interface XmppComponentOptions {
  logger: Logger;
  /** Default timeout of {@link XmppComponent.request} (30 s). */
  requestTimeoutMs?: number;
  /** Id generator for outgoing requests; tests pass a deterministic one. */
  newId?: () => string;
  /** Inbound stanzas handled at once before reading pauses (default 1000); see {@link InflightGate}. */
  maxInflight?: number;
  /**
   * Decides, before any handler or IQ route sees it, whether an inbound message, presence or IQ
   * get/set is handled (a rate limit, say): return an `XmppError` to refuse it. A refused message
   * or IQ is answered with that error; a refused presence or error stanza is dropped unanswered.
   * Responses to the component's own requests are never submitted to it.
   */
  admit?: (stanza: Element) => XmppError | undefined;
}

/** Why a stanza is refused without being handled; the texts name no content. */
export const REFUSAL_TEXTS = Object.freeze({
  overloaded: (max: number) =>
    `The gateway is overloaded (${max} stanzas waiting to be handled); nothing was passed on. Send it again in a moment.`,
  stopping: "The gateway is shutting down; nothing was passed on. Send it again when it is back.",
});

/**
 * An XMPP component on top of a {@link StanzaTransport}: IQ requests are routed through `iq`
 * (one reply each, always), responses are paired with `request()`s, and messages and presences go
 * to the registered handlers. Every handler is started on stanzas in arrival order; async handlers
 * may then overlap, so a caller that must finish one stanza before the next serializes itself.
 */
export class XmppComponent {
  /** Routes inbound IQ get/set; register handlers with `iq.handle(route, handler)`. */
  readonly iq: IqRouter;
  private readonly transport: StanzaTransport;
  private readonly caller: IqCaller;
  private readonly logger: Logger;
  private readonly messageHandlers = new HandlerList();
  private readonly presenceHandlers = new HandlerList();
  private readonly inflight: InflightGate;
  private accepting = true;
  private readonly admission: ((stanza: Element) => XmppError | undefined) | undefined;

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
    this.admission = options.admit;
    this.inflight = new InflightGate(options.maxInflight ?? 1000, {
      pause: () => transport.pauseReading?.(),
      resume: () => transport.resumeReading?.(),
    });
    transport.onStanza((stanza) => this.admit(stanza));
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

  /** Inbound stanzas being handled now. */
  get inflightStanzas(): number {
    return this.inflight.count;
  }

  /**
   * Stops taking new stanzas (they are refused as the gateway shutting down; responses to our
   * requests still arrive) and waits up to `timeoutMs` for those being handled. Resolves with the
   * number still running then.
   */
  drain(timeoutMs: number): Promise<number> {
    this.accepting = false;
    return this.inflight.idle(timeoutMs);
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

  /**
   * Counts what is handled (back-pressure) and refuses, with an error that says why, what cannot
   * be handled now: the gateway is shutting down, or far behind. Responses to our own requests
   * always go through: a handler may be waiting for one.
   */
  private admit(stanza: Element): Promise<void> | undefined {
    const { type } = stanza.attrs;
    const isResponse = stanza.name === "iq" && (type === "result" || type === "error");
    if (!isResponse && (!this.accepting || this.inflight.full)) return this.refuse(stanza);
    const refusal = isResponse ? undefined : this.admission?.(stanza);
    if (refusal) return this.refuse(stanza, refusal);
    const work = this.dispatch(stanza);
    if (work && !isResponse) this.inflight.track(work);
    return work;
  }

  private refuse(stanza: Element, refusal?: XmppError): Promise<void> | undefined {
    // Presences and errors get no error back (loops); they are only counted in the log.
    if (stanza.name === "presence" || stanza.attrs.type === "error") {
      this.logger.debug(
        { stanza: stanzaSummary(stanza), condition: refusal?.condition },
        refusal ? "dropped: refused on admission" : "dropped: not accepting stanzas now",
      );
      return undefined;
    }
    const error =
      refusal ??
      (this.accepting
        ? new XmppError("resource-constraint", REFUSAL_TEXTS.overloaded(this.inflight.max))
        : new XmppError("service-unavailable", REFUSAL_TEXTS.stopping, { type: "wait" }));
    return this.sendReply(errorReply(stanza, error));
  }

  /**
   * Starts handling synchronously (arrival order is kept) and returns a promise that settles when
   * the stanza has been fully handled, replies included: in-memory transports await it in tests.
   */
  private dispatch(stanza: Element): Promise<void> | undefined {
    switch (stanza.name) {
      case "iq":
        return this.dispatchIq(stanza);
      case "message":
        return this.dispatchToHandlers(stanza, this.messageHandlers);
      case "presence":
        return this.dispatchToHandlers(stanza, this.presenceHandlers);
      default:
        this.logger.debug({ name: stanza.name }, "ignoring an inbound nonza");
        return undefined;
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
    if (reply) await this.sendReply(reply, stanza);
  }

  /**
   * Calls every handler synchronously, in registration order, before any of them is awaited: each
   * handler thus starts on stanzas in arrival order even when handlers are async. The first failure
   * decides the error reply; only after all handlers settled, so the reply reflects all of them.
   */
  private dispatchToHandlers(stanza: Element, handlers: HandlerList): Promise<void> | undefined {
    // Both arrays are only allocated when needed: most stanzas meet sync handlers that succeed.
    let failures: unknown[] | undefined;
    let running: Promise<void>[] | undefined;
    for (const handler of handlers.current) {
      try {
        const result = handler(stanza);
        if (result) {
          running ??= [];
          running.push(result);
        }
      } catch (err) {
        failures ??= [];
        failures.push(err);
      }
    }
    if (!running) return failures ? this.bounce(stanza, failures) : undefined;
    return Promise.allSettled(running).then(async (outcomes) => {
      const all = failures ?? [];
      for (const outcome of outcomes) if (outcome.status === "rejected") all.push(outcome.reason);
      if (all.length > 0) await this.bounce(stanza, all);
    });
  }

  /** Logs unexpected failures and answers the stanza with the first failure's error. */
  private async bounce(stanza: Element, failures: readonly unknown[]): Promise<void> {
    let reply: XmppError | undefined;
    for (const failure of failures) {
      const error = toXmppError(failure);
      if (error !== failure)
        this.logger.error({ err: failure, stanza: stanzaSummary(stanza) }, `${stanza.name} handler failed`);
      reply ??= error;
    }
    // Never answer an error with an error: two gateways (or a gateway and a server) would ping-pong.
    if (reply && stanza.attrs.type !== "error") await this.sendReply(errorReply(stanza, reply));
  }

  private async sendReply(reply: Element, request?: Element): Promise<void> {
    try {
      await this.transport.send(reply);
    } catch (err) {
      // A result too large to send (a huge vCard, a long search): the requester still gets an answer.
      if (err instanceof StanzaTooLargeError && request && reply.attrs.type === "result") {
        return this.sendReply(errorReply(request, toXmppError(err)));
      }
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
