import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import type { MucAffiliation, MucRole } from "./muc-presence.js";

/** XEP-0045 §8–10: the moderator's and admin's `<query/>`. */
export const NS_MUC_ADMIN = "http://jabber.org/protocol/muc#admin";

const ROLES: ReadonlySet<string> = new Set(["moderator", "participant", "visitor", "none"]);
const AFFILIATIONS: ReadonlySet<string> = new Set(["owner", "admin", "member", "outcast", "none"]);

/** One change a moderator or admin asks for: a role (kick = `none`, voice) or an affiliation (ban = `outcast`). */
export interface MucAdminChange {
  /** The occupant's nick (role changes name one). */
  readonly nick?: string;
  /** The user's bare JID (affiliation changes usually name one). */
  readonly jid?: string;
  readonly role?: MucRole;
  readonly affiliation?: MucAffiliation;
  readonly reason?: string;
}

/**
 * What a `muc#admin` IQ asks: `set` changes roles or affiliations (§8.2 kick, §8.3 voice, §9.1 ban…),
 * `get` lists the occupants with one role or the users with one affiliation (§8.5, §9.5…).
 */
export type MucAdminRequest =
  | { readonly kind: "change"; readonly changes: readonly MucAdminChange[] }
  | { readonly kind: "list"; readonly role?: MucRole; readonly affiliation?: MucAffiliation };

/**
 * Reads a `muc#admin` IQ. Throws `XmppError("bad-request")`, quoting nothing, when there is no
 * item, an item names neither a nick nor a JID, or a role/affiliation is not one XEP-0045 defines.
 */
export function parseMucAdminRequest(iq: Element): MucAdminRequest {
  const query = iq.getChild("query", NS_MUC_ADMIN);
  if (!query) throw new XmppError("bad-request", "Expected a muc#admin <query/>.");
  const items = query.getChildren("item");
  if (items.length === 0) throw new XmppError("bad-request", "The muc#admin request has no item.");
  const read = (item: Element) => {
    const { role, affiliation } = item.attrs;
    if (role !== undefined && !ROLES.has(role)) throw new XmppError("bad-request", "Unknown MUC role.");
    if (affiliation !== undefined && !AFFILIATIONS.has(affiliation))
      throw new XmppError("bad-request", "Unknown MUC affiliation.");
    return { role: role as MucRole | undefined, affiliation: affiliation as MucAffiliation | undefined };
  };
  if (iq.attrs.type === "get") {
    const [first] = items;
    const { role, affiliation } = read(first as Element);
    if ((role === undefined) === (affiliation === undefined))
      throw new XmppError("bad-request", "A muc#admin list names one role or one affiliation.");
    return { kind: "list", ...(role && { role }), ...(affiliation && { affiliation }) };
  }
  const changes = items.map((item): MucAdminChange => {
    const { role, affiliation } = read(item);
    const nick = item.attrs.nick || undefined;
    const jid = item.attrs.jid || undefined;
    if (nick === undefined && jid === undefined)
      throw new XmppError("bad-request", "A muc#admin item names a nick or a JID.");
    if (role === undefined && affiliation === undefined)
      throw new XmppError("bad-request", "A muc#admin item sets a role or an affiliation.");
    const reason = item.getChildText("reason")?.trim();
    return {
      ...(nick !== undefined && { nick }),
      ...(jid !== undefined && { jid }),
      ...(role && { role }),
      ...(affiliation && { affiliation }),
      ...(reason && { reason }),
    };
  });
  return { kind: "change", changes };
}

/** One line of a muc#admin list answer. */
export interface MucAdminItem {
  readonly nick?: string;
  readonly jid?: string;
  readonly role?: MucRole;
  readonly affiliation?: MucAffiliation;
}

/** The `<query xmlns="…muc#admin"/>` answering a list request. */
export function mucAdminList(items: readonly MucAdminItem[]): Element {
  return xml(
    "query",
    { xmlns: NS_MUC_ADMIN },
    ...items.map((item) =>
      xml("item", {
        affiliation: item.affiliation,
        role: item.role,
        nick: item.nick,
        jid: item.jid,
      }),
    ),
  );
}
