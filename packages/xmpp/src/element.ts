import xmppXml from "@xmpp/xml";

/** A node inside an element: a child element or a run of (unescaped) text. */
export type ElementChild = Element | string;

/** Attribute values accepted by {@link xml}; `null`/`undefined` attributes are left out. */
export type XmlAttributes = Record<string, string | number | null | undefined>;

/** What {@link xml} accepts as children; `null`, `undefined`, `false`, `true` and `""` are skipped. */
export type XmlChildInput = ElementChild | null | undefined | boolean | readonly XmlChildInput[];

/**
 * An XML element as built by {@link xml} and as received from the server (the `ltx` element used by
 * xmpp.js). Only the stable part of its API is typed here.
 */
export interface Element {
  name: string;
  /** Attributes by (possibly prefixed) name; values are always strings. */
  attrs: Record<string, string>;
  children: ElementChild[];
  parent: Element | null;
  /** True if the element has this name and, when given, this namespace (inherited from ancestors). */
  is(name: string, xmlns?: string): boolean;
  /** The element's namespace, looking up the ancestors when it has no `xmlns` of its own. */
  getNS(): string | undefined;
  getAttr(name: string): string | undefined;
  getChild(name: string, xmlns?: string): Element | undefined;
  getChildren(name: string, xmlns?: string): Element[];
  getChildElements(): Element[];
  /** The text of the first matching child, or `null` when there is no such child. */
  getChildText(name: string, xmlns?: string): string | null;
  /** The element's own text (concatenated text children, not descendants). */
  text(): string;
  getText(): string;
  /** Adds a child element and returns that child. */
  c(name: string, attrs?: XmlAttributes): Element;
  /** Appends a child element and returns it. */
  cnode<T extends Element>(child: T): T;
  append(...children: ElementChild[]): void;
  /** Appends text and returns this element. */
  t(text: string): Element;
  /** Removes children that are this element, or that have this name (and namespace). */
  remove(child: Element | string, xmlns?: string): Element;
  /** The topmost ancestor. */
  root(): Element;
  /** The parent, or this element at the top. */
  up(): Element;
  toString(): string;
}

/** The element class itself, for `instanceof` checks and for `new Element(name, attrs)`. */
export interface ElementConstructor {
  new (name: string, attrs?: Record<string, string>): Element;
  prototype: Element;
}

type XmlBuilder = (name: string, attrs?: XmlAttributes | null, ...children: XmlChildInput[]) => Element;

/**
 * Builds an element: `xml("message", { to, type: "chat" }, xml("body", {}, text))`. Attribute values
 * are stringified; null-ish attributes and children are dropped so optional parts can be written inline.
 */
export const xml = xmppXml as unknown as XmlBuilder;

export const Element = xmppXml.Element as unknown as ElementConstructor;

const XmlParser = xmppXml.Parser;

/**
 * Parses one complete XML element (tests, tools, fixtures). Throws on malformed or incomplete input.
 * Not for stream input: the transport parses the stream itself.
 */
export function parseXml(text: string): Element {
  const parser = new XmlParser();
  let root: Element | undefined;
  let closed = false;
  let failure: unknown;
  // xmpp.js' parser is a stream parser: it emits the root on "start", each direct child on "element"
  // (detached, with `parent` pointing at the root), and the root again on "end".
  parser.on("start", (element: Element) => {
    root = element;
  });
  parser.on("element", (element: Element) => {
    root?.append(element);
  });
  parser.on("end", () => {
    closed = true;
  });
  parser.on("error", (error: unknown) => {
    failure ??= error;
  });
  parser.write(text);
  if (failure !== undefined) {
    throw new Error(`invalid XML: ${failure instanceof Error ? failure.message : String(failure)}`);
  }
  if (!root || !closed) throw new Error("invalid XML: the input is not one complete element");
  return root;
}

/** True for the three stanza kinds; anything else on a stream is a nonza. */
export function isStanza(element: Element): boolean {
  const { name } = element;
  return name === "message" || name === "presence" || name === "iq";
}
