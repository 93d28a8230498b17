import { type Element, xml } from "@gangway/xmpp";
import type { LegacyContact } from "./contact.js";
import { canReadRoster, canWriteRoster } from "./privileges.js";
import type { AnySession } from "./session.js";

const NS_ROSTER = "jabber:iq:roster";
const NS_NICK = "http://jabber.org/protocol/nick";

interface RosterItem {
  name: string | undefined;
  groups: string[];
  subscription: string | undefined;
}

function rosterItem(jid: string, attrs: Record<string, string>, groups: readonly string[]): Element {
  return xml(
    "query",
    { xmlns: NS_ROSTER },
    xml("item", { jid, ...attrs }, ...groups.map((g) => xml("group", {}, g))),
  );
}

/** The user's roster items that belong to this gateway, by JID. */
async function fetchGatewayItems(session: AnySession): Promise<Map<string, RosterItem>> {
  const { gateway } = session;
  const result = await gateway.request(
    xml("iq", { type: "get", to: session.userJid }, xml("query", { xmlns: NS_ROSTER })),
  );
  const items = new Map<string, RosterItem>();
  for (const item of result.getChild("query", NS_ROSTER)?.getChildren("item") ?? []) {
    const jid = String(item.attrs.jid ?? "");
    if (!jid.endsWith(`@${gateway.domain}`)) continue;
    items.set(jid, {
      name: item.attrs.name as string | undefined,
      groups: item.getChildren("group").map((g) => g.text()),
      subscription: item.attrs.subscription as string | undefined,
    });
  }
  return items;
}

async function setItem(
  session: AnySession,
  jid: string,
  attrs: Record<string, string>,
  groups: readonly string[],
) {
  await session.gateway.request(
    xml("iq", { type: "set", to: session.userJid }, rosterItem(jid, attrs, groups)),
  );
}

/** Puts contacts into the user's roster directly, changing only what differs (XEP-0356). */
async function syncWithPrivilege(session: AnySession, friends: readonly LegacyContact[]): Promise<void> {
  const group = session.gateway.rosterGroup;
  const current = canReadRoster(session.gateway.privileges) ? await fetchGatewayItems(session) : new Map();
  for (const contact of friends) {
    const existing = current.get(contact.jid);
    current.delete(contact.jid);
    const upToDate =
      existing?.subscription === "both" &&
      existing.name === contact.name &&
      existing.groups.length === 1 &&
      existing.groups[0] === group;
    if (upToDate) continue;
    await setItem(
      session,
      contact.jid,
      { subscription: "both", ...(contact.name && { name: contact.name }) },
      [group],
    );
  }
  // What is left is on our domain but no longer a contact.
  for (const jid of current.keys()) await setItem(session, jid, { subscription: "remove" }, []);
}

/** Without the roster privilege, each new friend asks the user for a subscription (RFC 6121 §3). */
async function offerSubscriptions(session: AnySession, friends: readonly LegacyContact[]): Promise<void> {
  for (const contact of friends) {
    if (contact.addedToRoster) continue;
    await session.gateway.send(
      xml(
        "presence",
        { from: contact.jid, to: session.userJid, type: "subscribe" },
        contact.name ? xml("nick", { xmlns: NS_NICK }, contact.name) : null,
      ),
    );
  }
}

/**
 * Makes the user's roster show the session's friends in ROSTER_GROUP, then sends every
 * available contact's presence. Uses the XEP-0356 roster privilege when granted and working, otherwise
 * subscription requests.
 */
export async function syncRoster(session: AnySession, contacts: readonly LegacyContact[]): Promise<void> {
  const friends = contacts.filter((c) => c.isFriend);
  const { gateway } = session;
  let synced = false;
  if (canWriteRoster(gateway.privileges) && !gateway.privilegedRosterFailed) {
    try {
      await syncWithPrivilege(session, friends);
      synced = true;
    } catch (err) {
      gateway.reportPrivilegedRosterFailure(err);
    }
  }
  if (!synced) await offerSubscriptions(session, friends);
  // Offline is what the user's client assumes anyway: only available contacts need a presence.
  for (const contact of contacts) if (contact.currentPresence.available) await contact.sendPresence();
}
