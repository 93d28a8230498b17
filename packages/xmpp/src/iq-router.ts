import type { Logger } from "pino";
import { iqResult } from "./builders.js";
import type { Element } from "./element.js";
import { errorReply, toXmppError, XmppError } from "./errors.js";
import { JID } from "./jid.js";

export type IqRequestKind = "get" | "set";

/**
 * Which addressee a route serves: `"domain"` is the component's own JID (any resource),
 * `"localpart"` any `local@domain[/resource]` under the component, or a predicate on the raw `to`.
 */
export type IqRecipient = "domain" | "localpart" | ((to: string) => boolean);

export interface IqRoute {
  /** Namespace of the request's payload child, e.g. `http://jabber.org/protocol/disco#info`. */
  namespace: string;
  type: IqRequestKind;
  /** Defaults to every addressee. */
  to?: IqRecipient;
}

export interface IqContext {
  stanza: Element;
  from: JID;
  to: JID;
  /** The payload: the request's single child element. */
  child: Element;
  type: IqRequestKind;
  id: string;
}

/**
 * Answers one request: return the result payload, nothing for an empty result, or throw an
 * `XmppError` for an error reply. Any other exception is logged and answered `internal-server-error`.
 */
export type IqHandler = (
  context: IqContext,
  // biome-ignore lint/suspicious/noConfusingVoidType: `void` lets `async () => { …; return; }` handlers typecheck (TS infers Promise<void> for them)
) => Element | undefined | void | Promise<Element | undefined | void>;

interface RouteEntry {
  type: IqRequestKind;
  accepts: (to: JID, raw: string) => boolean;
  handler: IqHandler;
}

/**
 * Routes inbound IQ requests by payload namespace, type and addressee, and turns every outcome into
 * exactly one reply. The router computes replies but sends nothing itself, so it is usable (and
 * testable) without a connection; `XmppComponent` sends what it returns.
 */
export class IqRouter {
  private readonly routes = new Map<string, RouteEntry[]>();
  private readonly domain: string;
  private readonly logger: Logger;

  constructor(options: { domain: string; logger: Logger }) {
    this.domain = options.domain.toLowerCase();
    this.logger = options.logger;
  }

  /** Adds a route; the first registered route that matches a request wins. Returns a remover. */
  handle(route: IqRoute, handler: IqHandler): () => void {
    const entry: RouteEntry = { type: route.type, accepts: this.recipientMatcher(route.to), handler };
    let entries = this.routes.get(route.namespace);
    if (!entries) {
      entries = [];
      this.routes.set(route.namespace, entries);
    }
    entries.push(entry);
    return () => {
      const current = this.routes.get(route.namespace);
      const index = current?.indexOf(entry) ?? -1;
      if (current && index !== -1) current.splice(index, 1);
    };
  }

  /**
   * The reply to an inbound IQ, or `undefined` when it must not be answered: results and errors
   * (those belong to the IQ caller), and requests without a usable `from` (nowhere to reply).
   */
  async route(stanza: Element): Promise<Element | undefined> {
    const { type, id } = stanza.attrs;
    if (type === "result" || type === "error") return undefined;
    const from = JID.tryParse(stanza.attrs.from);
    if (!from) {
      this.logger.debug({ stanza: stanza.toString() }, "dropping an IQ request without a valid from");
      return undefined;
    }
    if (type !== "get" && type !== "set")
      return errorReply(stanza, badRequest(`IQ type "${type}" is not valid.`));
    if (!id) return errorReply(stanza, badRequest("An IQ request needs an id."));
    const children = stanza.getChildElements();
    const child = children[0];
    if (children.length !== 1 || !child)
      return errorReply(stanza, badRequest("An IQ request needs exactly one child."));
    const rawTo = stanza.attrs.to ?? this.domain;
    const to = JID.tryParse(rawTo);
    if (!to)
      return errorReply(stanza, new XmppError("jid-malformed", "The IQ is addressed to an invalid JID."));

    const entries = this.routes.get(child.getNS() ?? "");
    if (!entries || entries.length === 0) return errorReply(stanza, new XmppError("service-unavailable"));
    const entry = entries.find((candidate) => candidate.type === type && candidate.accepts(to, rawTo));
    if (!entry) return errorReply(stanza, new XmppError("feature-not-implemented"));

    try {
      const payload = await entry.handler({ stanza, from, to, child, type, id });
      return iqResult(stanza, payload ?? undefined);
    } catch (err) {
      const error = toXmppError(err);
      if (error !== err) {
        this.logger.error(
          { err, iq: { id, from: stanza.attrs.from, to: rawTo, namespace: child.getNS() } },
          "IQ handler failed",
        );
      }
      return errorReply(stanza, error);
    }
  }

  private recipientMatcher(recipient: IqRecipient | undefined): RouteEntry["accepts"] {
    if (recipient === undefined) return () => true;
    if (recipient === "domain") return (to) => to.local === "" && to.domain === this.domain;
    if (recipient === "localpart") return (to) => to.local !== "" && to.domain === this.domain;
    return (_to, raw) => recipient(raw);
  }
}

function badRequest(text: string): XmppError {
  return new XmppError("bad-request", text);
}
