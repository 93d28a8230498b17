import type { Privileges } from "@gangway/xmpp";

/**
 * What the gateway makes of the XEP-0356 privileges the server granted: what it can do, and what
 * an operator should be told is missing. Reading the advertisement is protocol, in @gangway/xmpp.
 */

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
