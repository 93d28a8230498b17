import type { Element } from "./element.js";

/**
 * XEP-0356 privileged entity: what the server lets the component do as its users. The server
 * announces it right after the component handshake in a `<privilege/>` message. Prosody's
 * mod_privilege speaks `urn:xmpp:privilege:2`; ejabberd up to 23.x speaks `urn:xmpp:privilege:1`.
 * Which one was used is kept, so the component answers in the same namespace.
 */
export const PRIVILEGE_NAMESPACES = ["urn:xmpp:privilege:2", "urn:xmpp:privilege:1"] as const;
export type PrivilegeNamespace = (typeof PRIVILEGE_NAMESPACES)[number];

export type RosterPermission = "none" | "get" | "set" | "both";
export type MessagePermission = "none" | "outgoing";
export type PresencePermission = "none" | "managed_entity" | "roster";
/** XEP-0356 v2 §5.3: which IQ types the component may send as a user, for one payload namespace. */
export type IqPermission = "get" | "set" | "both";

export interface Privileges {
  namespace: PrivilegeNamespace;
  /** The server that granted them (privileged stanzas are addressed to it). */
  server: string;
  roster: RosterPermission;
  message: MessagePermission;
  presence: PresencePermission;
  /**
   * XEP-0356 v2 IQ permission: payload namespace → IQ types the component may send as a user (with
   * `sendPrivilegedIq`). Empty when none is granted, and always for `:1`, which has no IQ
   * permission.
   */
  iq: Readonly<Record<string, IqPermission>>;
}

// The first value of each list is what an absent or unknown grant means: nothing granted.
const ROSTER: readonly RosterPermission[] = ["none", "get", "set", "both"];
const MESSAGE: readonly MessagePermission[] = ["none", "outgoing"];
const PRESENCE: readonly PresencePermission[] = ["none", "managed_entity", "roster"];
const IQ_TYPES: readonly IqPermission[] = ["get", "set", "both"];

function pick<T extends string>(allowed: readonly T[], value: string | undefined): T {
  return allowed.includes(value as T) ? (value as T) : allowed[0]!;
}

/** Reads a privilege advertisement (the whole `<message/>`); `undefined` when it is not one. */
export function parsePrivilegeAdvertisement(message: Element): Privileges | undefined {
  for (const namespace of PRIVILEGE_NAMESPACES) {
    const privilege = message.getChild("privilege", namespace);
    if (!privilege) continue;
    const perms = new Map<string, string | undefined>();
    const iq = new Map<string, IqPermission>();
    for (const perm of privilege.getChildren("perm")) {
      const { access } = perm.attrs;
      if (access === "iq") {
        if (namespace === "urn:xmpp:privilege:2") readIqPermission(perm, iq);
      } else if (access) perms.set(access, perm.attrs.type);
    }
    return {
      namespace,
      server: String(message.attrs.from),
      roster: pick(ROSTER, perms.get("roster")),
      message: pick(MESSAGE, perms.get("message")),
      presence: pick(PRESENCE, perms.get("presence")),
      // fromEntries defines own properties, so even a namespace named "__proto__" stays a key.
      iq: Object.fromEntries(iq),
    };
  }
  return undefined;
}

/**
 * `<perm access="iq"><namespace ns="…" type="get|set|both"/>…</perm>`. Prosody's mod_privilege
 * (0.12) forgets to close each `<namespace/>`, so a second one arrives nested inside the first:
 * every descendant counts, not only the children. A namespace listed twice gets both grants.
 */
function readIqPermission(perm: Element, into: Map<string, IqPermission>): void {
  for (const entry of perm.getChildren("namespace")) {
    const { ns } = entry.attrs;
    const type = entry.attrs.type as IqPermission | undefined;
    if (ns && type && IQ_TYPES.includes(type)) {
      const before = into.get(ns);
      into.set(ns, before === undefined || before === type ? type : "both");
    }
    readIqPermission(entry, into);
  }
}
