import type { Element } from "@gangway/xmpp";

/**
 * XEP-0356 privileged entity. The server announces what it grants right after the component
 * handshake, in a `<privilege/>` message. Prosody's mod_privilege speaks `urn:xmpp:privilege:2`;
 * ejabberd up to 23.x speaks `urn:xmpp:privilege:1`. We answer in whichever namespace was used.
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
   * `sendPrivilegedIq` of @gangway/xmpp). Empty when none is granted, and always for `:1`, which has
   * no IQ permission.
   */
  iq: Readonly<Record<string, IqPermission>>;
}

const ROSTER: readonly RosterPermission[] = ["none", "get", "set", "both"];
const MESSAGE: readonly MessagePermission[] = ["none", "outgoing"];
const PRESENCE: readonly PresencePermission[] = ["none", "managed_entity", "roster"];
const IQ_TYPES: readonly IqPermission[] = ["get", "set", "both"];

function pick<T extends string>(allowed: readonly T[], value: string | undefined): T {
  return allowed.includes(value as T) ? (value as T) : allowed[0]!;
}

/** Reads a privilege advertisement; `undefined` when the stanza is not one. */
export function parsePrivilegeAdvertisement(message: Element): Privileges | undefined {
  for (const namespace of PRIVILEGE_NAMESPACES) {
    const privilege = message.getChild("privilege", namespace);
    if (!privilege) continue;
    const perms = new Map<string, string>();
    const iq = new Map<string, IqPermission>();
    for (const perm of privilege.getChildren("perm")) {
      const access = perm.attrs.access as string | undefined;
      if (access === "iq") {
        if (namespace === "urn:xmpp:privilege:2") readIqPermission(perm, iq);
      } else if (access) perms.set(access, perm.attrs.type as string);
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
    const ns = entry.attrs.ns;
    const type = entry.attrs.type as IqPermission | undefined;
    if (ns && type && IQ_TYPES.includes(type)) {
      const before = into.get(ns);
      into.set(ns, before === undefined || before === type ? type : "both");
    }
    readIqPermission(entry, into);
  }
}

/** Whether the server lets the component send an IQ of `type` with a `namespace` payload as a user. */
export function canSendIqAs(p: Privileges | undefined, namespace: string, type: "get" | "set"): boolean {
  if (!p || !Object.hasOwn(p.iq, namespace)) return false;
  const granted = p.iq[namespace];
  return granted === type || granted === "both";
}

export const canReadRoster = (p: Privileges | undefined) => p?.roster === "get" || p?.roster === "both";
export const canWriteRoster = (p: Privileges | undefined) => p?.roster === "set" || p?.roster === "both";

/**
 * What a missing privilege costs, in words an operator can act on. IQ permissions are optional
 * extras (e.g. upload slots requested as the user) and are not reported.
 */
export function describeMissingPrivileges(p: Privileges | undefined): string[] {
  const missing: string[] = [];
  if (!canWriteRoster(p)) {
    missing.push(
      "roster (set): contacts are offered as subscription requests instead of appearing in rosters",
    );
  }
  if (p?.message !== "outgoing") {
    missing.push(
      "message (outgoing): what users send from the legacy network's own apps cannot be shown as theirs",
    );
  }
  return missing;
}
