import { createHash } from "node:crypto";
import {
  type ParsedRosterItem,
  parseRosterItems,
  type RosterItem,
  rosterGetIq,
  rosterSetIq,
  sameRosterItem,
  subscriptionPresence,
} from "@gangway/xmpp";
import type { LegacyContact } from "./contact.js";
import { canReadRoster, canWriteRoster } from "./privileges.js";
import type { RosterSession } from "./roster.js";

/** What roster sync needs of the session (BaseSession is one): where the last sync left the roster. */
export interface SyncingSession extends RosterSession {
  readonly rosterHash: string | null;
  recordRosterHash(hash: string | null): void;
}

/** The user's roster items that belong to this gateway, by JID. */
async function fetchGatewayItems(session: SyncingSession): Promise<Map<string, ParsedRosterItem>> {
  const { gateway } = session;
  const result = await gateway.request(rosterGetIq(session.userJid));
  const items = new Map<string, ParsedRosterItem>();
  for (const item of parseRosterItems(result)) {
    if (item.jid.endsWith(`@${gateway.domain}`)) items.set(item.jid, item);
  }
  return items;
}

async function setItem(session: SyncingSession, item: RosterItem) {
  await session.gateway.request(rosterSetIq(session.userJid, item));
}

/** Puts contacts into the user's roster directly, changing only what differs (XEP-0356). */
async function syncWithPrivilege(session: SyncingSession, friends: readonly LegacyContact[]): Promise<void> {
  const group = session.gateway.rosterGroup;
  const current = canReadRoster(session.gateway.privileges)
    ? await fetchGatewayItems(session)
    : new Map<string, ParsedRosterItem>();
  for (const contact of friends) {
    const existing = current.get(contact.jid);
    current.delete(contact.jid);
    const wanted: RosterItem = {
      jid: contact.jid,
      name: contact.name,
      subscription: "both",
      groups: [group],
    };
    if (existing && sameRosterItem(existing, wanted)) continue;
    await setItem(session, wanted);
  }
  // What is left is on our domain but no longer a contact.
  for (const jid of current.keys()) await setItem(session, { jid, subscription: "remove", groups: [] });
}

/** Without the roster privilege, each new friend asks the user for a subscription (RFC 6121 §3). */
async function offerSubscriptions(session: SyncingSession, friends: readonly LegacyContact[]): Promise<void> {
  for (const contact of friends) {
    if (contact.addedToRoster) continue;
    await session.gateway.send(
      subscriptionPresence(contact.jid, session.userJid, "subscribe", { nick: contact.name }),
    );
  }
}

/**
 * What a privileged sync puts in the user's roster, as one string: the gateway domain, the roster
 * group and the friends' JIDs with their names. Equal hashes mean a sync would set the same items.
 */
export function rosterHash(session: SyncingSession, friends: readonly LegacyContact[]): string {
  const { gateway } = session;
  // Sorted by JID (code units, not locale: the same on every host), so fill()'s order does not matter.
  const items = friends
    .map((c): [string, string] => [c.jid, c.name || ""])
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // The "v1" lets a future change of what is hashed invalidate every stored hash.
  const content = JSON.stringify(["v1", gateway.domain, gateway.rosterGroup, items]);
  return createHash("sha256").update(content).digest("base64url");
}

export interface SyncRosterOptions {
  /** Sync even when the stored hash says the roster already holds these friends. */
  full?: boolean;
}

/**
 * Makes the user's roster show the session's friends in ROSTER_GROUP, then sends every
 * available contact's presence. Uses the XEP-0356 roster privilege when granted and working, otherwise
 * subscription requests.
 *
 * A successful privileged sync is remembered as a hash (`session.recordRosterHash`); while the
 * friends hash the same, later logins send no roster IQ at all. This costs the server one roster
 * read per login less, and means a contact the user removed by hand comes back only once the
 * contact list changes. A sync by subscription requests, or one that failed, forgets the hash.
 */
export async function syncRoster(
  session: SyncingSession,
  contacts: readonly LegacyContact[],
  options: SyncRosterOptions = {},
): Promise<void> {
  const friends = contacts.filter((c) => c.isFriend);
  const { gateway } = session;
  let synced = false;
  if (canWriteRoster(gateway.privileges) && !gateway.privilegedRosterFailed) {
    const hash = rosterHash(session, friends);
    if (!options.full && hash === session.rosterHash) {
      synced = true;
    } else {
      try {
        await syncWithPrivilege(session, friends);
        synced = true;
        session.recordRosterHash(hash);
      } catch (err) {
        gateway.reportPrivilegedRosterFailure(err);
      }
    }
  }
  if (!synced) {
    // What the roster holds is no longer known: a partial set, or items the user may refuse.
    session.recordRosterHash(null);
    await offerSubscriptions(session, friends);
  }
  // Offline is what the user's client assumes anyway: only available contacts need a presence.
  for (const contact of contacts) if (contact.currentPresence.available) await contact.sendPresence();
}
