import { type Element, xml } from "./element.js";

/**
 * A message the user sent elsewhere, re-addressed for a server that grants no XEP-0356 message
 * privilege: from `from` (the contact) to `to` (the user), its body prefixed (e.g. "You: ") so the
 * user can tell it is their own. Only texts can be shown this way — a marker, reaction or
 * retraction from the contact would say the wrong thing — so a message without a body gives
 * undefined. `inner` is not modified.
 */
export function unprivilegedCopy(
  inner: Element,
  from: string,
  to: string,
  bodyPrefix: string,
): Element | undefined {
  const body = inner.getChild("body");
  if (!body) return undefined;
  return xml(
    "message",
    { ...inner.attrs, from, to },
    ...inner.getChildElements().filter((child) => child.name !== "body"),
    xml("body", {}, `${bodyPrefix}${body.text()}`),
  );
}
