import { type Element, xml } from "./element.js";
// A cycle (jid-escaping throws XmppError), harmless: each side uses the other only when called.
import { sanitizeXmlText } from "./xml-text.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** The stanza error conditions of RFC 6120 §8.3.3. */
export type StanzaErrorCondition =
  | "bad-request"
  | "conflict"
  | "feature-not-implemented"
  | "forbidden"
  | "gone"
  | "internal-server-error"
  | "item-not-found"
  | "jid-malformed"
  | "not-acceptable"
  | "not-allowed"
  | "not-authorized"
  | "policy-violation"
  | "recipient-unavailable"
  | "redirect"
  | "registration-required"
  | "remote-server-not-found"
  | "remote-server-timeout"
  | "resource-constraint"
  | "service-unavailable"
  | "subscription-required"
  | "undefined-condition"
  | "unexpected-request";

/** What the requester should do about an error (RFC 6120 §8.3.2). */
export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** The usual `type` for each condition (RFC 6120 examples / XEP-0086), used unless one is given. */
export const DEFAULT_ERROR_TYPES: Readonly<Record<StanzaErrorCondition, StanzaErrorType>> = {
  "bad-request": "modify",
  conflict: "cancel",
  "feature-not-implemented": "cancel",
  forbidden: "auth",
  gone: "cancel",
  "internal-server-error": "wait",
  "item-not-found": "cancel",
  "jid-malformed": "modify",
  "not-acceptable": "modify",
  "not-allowed": "cancel",
  "not-authorized": "auth",
  "policy-violation": "modify",
  "recipient-unavailable": "wait",
  redirect: "modify",
  "registration-required": "auth",
  "remote-server-not-found": "cancel",
  "remote-server-timeout": "wait",
  "resource-constraint": "wait",
  "service-unavailable": "cancel",
  "subscription-required": "auth",
  "undefined-condition": "cancel",
  "unexpected-request": "wait",
};

const STANZA_ERROR_TYPES: ReadonlySet<string> = new Set(["auth", "cancel", "continue", "modify", "wait"]);

export function isStanzaErrorCondition(name: string): name is StanzaErrorCondition {
  return Object.hasOwn(DEFAULT_ERROR_TYPES, name);
}

export interface XmppErrorOptions {
  /** Overrides the condition's default type. */
  type?: StanzaErrorType;
  /** An application-specific condition element (its own namespace), e.g. `<x xmlns='urn:…'/>`. */
  applicationCondition?: Element;
  /** The entity that generated the error (`by` attribute), when it is not the replying entity. */
  by?: string;
  cause?: unknown;
}

/**
 * The one error type of the protocol layer: an XMPP stanza error. Throw it from any handler to
 * answer with exactly this condition and text; everything else becomes `internal-server-error`.
 * The `text` is shown to users by their clients, so write it for them.
 */
export class XmppError extends Error {
  override readonly name = "XmppError";
  readonly condition: StanzaErrorCondition;
  readonly type: StanzaErrorType;
  readonly text: string | undefined;
  readonly applicationCondition: Element | undefined;
  readonly by: string | undefined;

  constructor(condition: StanzaErrorCondition, text?: string, options: XmppErrorOptions = {}) {
    super(
      text ? `${condition}: ${text}` : condition,
      options.cause === undefined ? {} : { cause: options.cause },
    );
    this.condition = condition;
    this.type = options.type ?? DEFAULT_ERROR_TYPES[condition];
    this.text = text;
    this.applicationCondition = options.applicationCondition;
    this.by = options.by;
  }

  /** `<error type=…><condition xmlns=stanzas/><text xml:lang='en'>…</text>[app condition]</error>` */
  toElement(): Element {
    // Texts may quote a legacy network's own error message, which can hold characters XML cannot
    // carry: one of them would make the server close the component stream.
    const text = this.text === undefined ? "" : sanitizeXmlText(this.text);
    return xml(
      "error",
      { type: this.type, by: this.by },
      xml(this.condition, { xmlns: NS_STANZAS }),
      text ? xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, text) : null,
      this.applicationCondition,
    );
  }

  /**
   * Reads the `<error/>` of an error stanza (or an `<error/>` element itself). Unknown or missing
   * conditions become `undefined-condition`, so a peer's malformed error never throws here.
   */
  static fromStanza(stanza: Element): XmppError {
    const error = stanza.name === "error" ? stanza : stanza.getChild("error");
    if (!error) return new XmppError("undefined-condition", "the error stanza carries no <error/> element");
    let condition: StanzaErrorCondition = "undefined-condition";
    let text: string | undefined;
    let applicationCondition: Element | undefined;
    for (const child of error.getChildElements()) {
      if (child.getNS() !== NS_STANZAS) applicationCondition ??= child;
      else if (child.name === "text") text = child.text();
      else if (isStanzaErrorCondition(child.name)) condition = child.name;
    }
    const type = error.attrs.type;
    return new XmppError(condition, text, {
      type: type !== undefined && STANZA_ERROR_TYPES.has(type) ? (type as StanzaErrorType) : undefined,
      applicationCondition,
      by: error.attrs.by,
    });
  }
}

/**
 * An error of a lower layer that knows what the user should be told (e.g. @gangway/store's
 * StoreUnavailableError: the database is down, try again later). Recognised by shape, so those
 * layers need not depend on this package. `userText` must be written for users and hold nothing
 * they typed nor anything internal.
 */
export interface UserFacingFailure {
  readonly xmppCondition: StanzaErrorCondition;
  readonly xmppErrorType?: StanzaErrorType;
  readonly userText: string;
}

function isUserFacingFailure(thrown: unknown): thrown is UserFacingFailure {
  if (typeof thrown !== "object" || thrown === null) return false;
  const { xmppCondition, xmppErrorType, userText } = thrown as Record<string, unknown>;
  return (
    typeof xmppCondition === "string" &&
    isStanzaErrorCondition(xmppCondition) &&
    typeof userText === "string" &&
    (xmppErrorType === undefined ||
      (typeof xmppErrorType === "string" && STANZA_ERROR_TYPES.has(xmppErrorType)))
  );
}

/**
 * Maps anything thrown by a handler to the error the peer gets: an {@link XmppError} passes through,
 * a {@link UserFacingFailure} gets its own condition and text, anything else becomes a generic
 * `internal-server-error` (never the message or stack: those can carry credentials or internals
 * and belong in the log).
 */
export function toXmppError(thrown: unknown): XmppError {
  if (thrown instanceof XmppError) return thrown;
  if (isUserFacingFailure(thrown)) {
    return new XmppError(thrown.xmppCondition, thrown.userText, {
      type: thrown.xmppErrorType,
      cause: thrown,
    });
  }
  return new XmppError("internal-server-error", "Something went wrong in the gateway.", { cause: thrown });
}

/**
 * The error response to a message, presence or iq: addressed back to the sender, from the address
 * the stanza was sent to, same id and `type="error"`. The original payload is not echoed (RFC 6120
 * §8.3.1 makes it optional, and echoing a message body back is a privacy and size liability); pass
 * `payload` to include something explicitly, as XEP-0077 asks for the submitted `<query/>`.
 */
export function errorReply(stanza: Element, error: XmppError, payload?: Element): Element {
  const { from, to, id } = stanza.attrs;
  return xml(stanza.name, { from: to, to: from, id, type: "error" }, payload, error.toElement());
}
