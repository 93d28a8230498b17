import { type Element, type XmlChildInput, xml } from "./element.js";

export type MessageType = "chat" | "error" | "groupchat" | "headline" | "normal";
export type PresenceType =
  | "error"
  | "probe"
  | "subscribe"
  | "subscribed"
  | "unavailable"
  | "unsubscribe"
  | "unsubscribed";
export type IqRequestType = "get" | "set";

/**
 * Addressing shared by every builder. A component may send from any JID of its domain, so `from`
 * is always written as given: puppets (`contact@gateway/res`) depend on it, and only a missing
 * `from` is defaulted (to the bare component domain) by the transport.
 */
export interface StanzaAttributes {
  from?: string;
  to?: string;
  id?: string;
}

export interface MessageAttributes extends StanzaAttributes {
  to: string;
  type?: MessageType;
}

export interface PresenceAttributes extends StanzaAttributes {
  /** Omitted for plain availability. */
  type?: PresenceType;
}

export interface IqAttributes extends StanzaAttributes {
  to: string;
  type: IqRequestType;
}

/** `<message>` with the given children; `body` adds a `<body/>` first when given. */
export function message(attrs: MessageAttributes & { body?: string }, ...children: XmlChildInput[]): Element {
  const { body, ...addressing } = attrs;
  return xml("message", { ...addressing }, body === undefined ? null : xml("body", {}, body), ...children);
}

export function presence(attrs: PresenceAttributes, ...children: XmlChildInput[]): Element {
  return xml("presence", { ...attrs }, ...children);
}

/** An IQ request with exactly one payload child, as RFC 6120 §8.2.3 requires. */
export function iq(attrs: IqAttributes, payload: Element): Element {
  return xml("iq", { ...attrs }, payload);
}

/** The `result` for an IQ request: back to the sender, from the addressed JID, same id. */
export function iqResult(request: Element, payload?: Element): Element {
  const { from, to, id } = request.attrs;
  return xml("iq", { from: to, to: from, id, type: "result" }, payload);
}
