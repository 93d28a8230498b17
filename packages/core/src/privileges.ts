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

export interface Privileges {
  namespace: PrivilegeNamespace;
  /** The server that granted them (privileged stanzas are addressed to it). */
  server: string;
  roster: RosterPermission;
  message: MessagePermission;
  presence: PresencePermission;
}

const ROSTER: readonly RosterPermission[] = ["none", "get", "set", "both"];
const MESSAGE: readonly MessagePermission[] = ["none", "outgoing"];
const PRESENCE: readonly PresencePermission[] = ["none", "managed_entity", "roster"];

function pick<T extends string>(allowed: readonly T[], value: string | undefined): T {
  return allowed.includes(value as T) ? (value as T) : allowed[0]!;
}

/** Reads a privilege advertisement; `undefined` when the stanza is not one. */
export function parsePrivilegeAdvertisement(message: Element): Privileges | undefined {
  for (const namespace of PRIVILEGE_NAMESPACES) {
    const privilege = message.getChild("privilege", namespace);
    if (!privilege) continue;
    const perms = new Map<string, string>();
    for (const perm of privilege.getChildren("perm")) {
      const access = perm.attrs.access as string | undefined;
      if (access) perms.set(access, perm.attrs.type as string);
    }
    return {
      namespace,
      server: String(message.attrs.from),
      roster: pick(ROSTER, perms.get("roster")),
      message: pick(MESSAGE, perms.get("message")),
      presence: pick(PRESENCE, perms.get("presence")),
    };
  }
  return undefined;
}

export const canReadRoster = (p: Privileges | undefined) => p?.roster === "get" || p?.roster === "both";
export const canWriteRoster = (p: Privileges | undefined) => p?.roster === "set" || p?.roster === "both";

/** What a missing privilege costs, in words an operator can act on. */
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
