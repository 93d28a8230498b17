import { iq } from "./builders.js";
import { type Element, xml } from "./element.js";
import { sanitizeXmlText } from "./xml-text.js";

/** RFC 6121 §2 roster management. */
export const NS_ROSTER = "jabber:iq:roster";

/**
 * RFC 6121 §2.1.2.5 subscription states, plus `remove`, which deletes the item in a set. A
 * component with the XEP-0356 roster privilege may also set the states, not only `remove` as a
 * client may: that is how a gateway puts contacts in a roster already subscribed.
 */
export type RosterSubscription = "none" | "to" | "from" | "both" | "remove";
const SUBSCRIPTIONS: ReadonlySet<string> = new Set(["none", "to", "from", "both", "remove"]);

/** One roster item, as written by {@link rosterSetIq} and read by {@link parseRosterItems}. */
export interface RosterItem {
  jid: string;
  /** The handle the user sees. Absent (not empty) when the item has none. */
  name?: string | undefined;
  subscription?: RosterSubscription | undefined;
  groups: readonly string[];
}

/** An item as read from a roster result. */
export interface ParsedRosterItem extends RosterItem {
  groups: string[];
}

/** `<iq type="get" to><query xmlns="jabber:iq:roster"/></iq>`: asks for a user's whole roster. */
export function rosterGetIq(to: string): Element {
  return iq({ type: "get", to }, xml("query", { xmlns: NS_ROSTER }));
}

/**
 * `<iq type="set" to><query xmlns="jabber:iq:roster"><item jid name? subscription?>` with one
 * `<group/>` per group: adds, changes or (subscription `remove`) deletes one item of `to`'s roster.
 * Names and groups often come from legacy networks, so they are cleaned of characters XML cannot
 * carry; an empty name is left out rather than written as `name=""`, and empty groups are dropped
 * (RFC 6121 §2.1.2.3 makes the server refuse them).
 */
export function rosterSetIq(to: string, item: RosterItem): Element {
  if (item.subscription !== undefined && !SUBSCRIPTIONS.has(item.subscription)) {
    throw new RangeError(`${JSON.stringify(item.subscription)} is not a roster subscription.`);
  }
  const name = wireName(item.name);
  const groups = wireGroups(item.groups);
  return iq(
    { type: "set", to },
    xml(
      "query",
      { xmlns: NS_ROSTER },
      xml(
        "item",
        { jid: item.jid, name, subscription: item.subscription },
        groups.map((group) => xml("group", {}, group)),
      ),
    ),
  );
}

// The name and groups exactly as rosterSetIq writes them, which is also what the server stores.
function wireName(name: string | undefined): string | undefined {
  return (name && sanitizeXmlText(name)) || undefined;
}

function wireGroups(groups: readonly string[]): string[] {
  return groups.map(sanitizeXmlText).filter((group) => group !== "");
}

/**
 * True when `current` (an item read with {@link parseRosterItems}) already is what setting `wanted`
 * with {@link rosterSetIq} would make it, so the set can be skipped. Names and groups are compared
 * as they are written (a name with a control character in it would otherwise never match and be
 * set again at every sync); groups in any order, as RFC 6121 gives them no order.
 */
export function sameRosterItem(current: RosterItem, wanted: RosterItem): boolean {
  const groups = new Set(wireGroups(current.groups));
  const wantedGroups = new Set(wireGroups(wanted.groups));
  return (
    current.jid === wanted.jid &&
    current.subscription === wanted.subscription &&
    wireName(current.name) === wireName(wanted.name) &&
    groups.size === wantedGroups.size &&
    [...wantedGroups].every((group) => groups.has(group))
  );
}

/**
 * The items of a roster result (the answer to {@link rosterGetIq}), in document order. An answer
 * without a query (RFC 6121 §2.6.3: roster versioning, nothing changed) has none. Items without a
 * `jid` are skipped, subscription values outside RFC 6121 are left out, and empty groups dropped,
 * so callers compare items without second-guessing the server.
 */
export function parseRosterItems(result: Element): ParsedRosterItem[] {
  const items: ParsedRosterItem[] = [];
  for (const item of result.getChild("query", NS_ROSTER)?.getChildren("item") ?? []) {
    const { jid, name, subscription } = item.attrs;
    if (!jid) continue;
    items.push({
      jid,
      name,
      subscription:
        subscription !== undefined && SUBSCRIPTIONS.has(subscription)
          ? (subscription as RosterSubscription)
          : undefined,
      groups: item
        .getChildren("group")
        .map((group) => group.text())
        .filter((group) => group !== ""),
    });
  }
  return items;
}
