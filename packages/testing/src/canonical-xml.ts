import { type Element, parseXml } from "@gangway/xmpp";

/**
 * Stanza namespaces that only say which kind of stream a stanza travels on. A gateway writes
 * `<message>` on a component stream (`jabber:component:accept`) that a client receives as
 * `jabber:client`; for assertions they are the same stanza.
 */
const STREAM_NAMESPACES = new Set(["jabber:component:accept", "jabber:client", "jabber:server"]);
const STREAM_NAMESPACE_TOKEN = "(stream namespace)";

/**
 * Renders an element in a canonical, line-per-node form: attributes sorted, stream namespaces
 * unified, `xmlns` shown only where it changes, whitespace-only text dropped, adjacent text merged.
 * Two stanzas are equal for assertions exactly when their canonical forms are equal.
 */
export function canonicalXml(stanza: Element | string): string {
  const element = toElement(stanza);
  const lines: string[] = [];
  render(element, STREAM_NAMESPACE_TOKEN, 0, lines);
  return lines.join("\n");
}

/** Parses XML given as text; surrounding whitespace (indented template literals) is allowed. */
export function toElement(stanza: Element | string): Element {
  return typeof stanza === "string" ? parseXml(stanza.trim()) : stanza;
}

function effectiveNamespace(element: Element, inherited: string): string {
  const own = element.attrs.xmlns;
  if (own === undefined || own === "") return inherited;
  return STREAM_NAMESPACES.has(own) ? STREAM_NAMESPACE_TOKEN : own;
}

function render(element: Element, parentNamespace: string, depth: number, lines: string[]): void {
  const namespace = effectiveNamespace(element, parentNamespace);
  const attributes = Object.entries(element.attrs)
    .filter(([name, value]) => name !== "xmlns" && value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => ` ${name}="${escapeAttribute(String(value))}"`);
  if (namespace !== parentNamespace) attributes.unshift(` xmlns="${escapeAttribute(namespace)}"`);
  const indent = "  ".repeat(depth);
  const open = `${indent}<${element.name}${attributes.join("")}`;
  const children = significantChildren(element);

  if (children.length === 0) {
    lines.push(`${open}/>`);
  } else if (children.length === 1 && typeof children[0] === "string") {
    lines.push(`${open}>${escapeText(children[0])}</${element.name}>`);
  } else {
    lines.push(`${open}>`);
    for (const child of children) {
      if (typeof child === "string") lines.push(`${indent}  ${JSON.stringify(child)}`);
      else render(child, namespace, depth + 1, lines);
    }
    lines.push(`${indent}</${element.name}>`);
  }
}

/** Children with adjacent text runs merged and whitespace-only runs (indentation) removed. */
function significantChildren(element: Element): Array<Element | string> {
  const merged: Array<Element | string> = [];
  for (const child of element.children) {
    const last = merged[merged.length - 1];
    if (typeof child === "string" && typeof last === "string") merged[merged.length - 1] = last + child;
    else merged.push(child);
  }
  return merged.filter((child) => typeof child !== "string" || child.trim() !== "");
}

function escapeText(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(value: string): string {
  return escapeText(value).replace(/"/g, "&quot;");
}

/**
 * A line diff of two canonical renderings (longest common subsequence): `-` lines are only in
 * the expected stanza, `+` lines only in the actual one.
 */
export function diffLines(expected: string, actual: string): string {
  const a = expected.split("\n");
  const b = actual.split("\n");
  // common[i][j] = length of the LCS of a[i..] and b[j..]
  const common = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      common[i]![j] =
        a[i] === b[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push(`  ${a[i++]}`);
      j++;
    } else if (i < a.length && (j >= b.length || common[i + 1]![j]! >= common[i]![j + 1]!)) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out.join("\n");
}
