import { NS_HTTP_UPLOAD, NS_PUBSUB, type Privileges } from "@gangway/xmpp";
import { canReadRoster, canSendIqAs, canWriteRoster } from "../privileges.js";
import type { CheckResult } from "./check-result.js";
import { iqFix, messageFix, rosterFix, rosterSetFailedFix } from "./fixes.js";

/**
 * What the server's XEP-0356 advertisement grants, held against what the gateway uses (see
 * roster-sync.ts, carbons.ts, room-bookmarks.ts, file-share.ts). The presence permission is not
 * checked: the gateway does not use it.
 */
export function privilegeChecks(
  gateway: string,
  privileges: Privileges | undefined,
  rosterSetFailed: boolean,
): CheckResult[] {
  const none = privileges ? "not granted" : "not granted (the server sent no XEP-0356 advertisement)";
  return [
    rosterCheck(gateway, privileges, rosterSetFailed, none),
    {
      name: "XEP-0356 message privilege",
      ...(privileges?.message === "outgoing"
        ? { status: "ok", found: "outgoing" }
        : {
            status: "missing",
            found: none,
            degrades:
              'what users send from the network\'s own app is shown from the contact with a "You: " prefix (texts), or not at all (reactions, read markers, retractions)',
            fix: messageFix(gateway),
          }),
    },
    iqCheck(gateway, privileges, none, {
      name: "XEP-0356 pubsub IQ privilege (bookmarks)",
      namespace: NS_PUBSUB,
      type: "both",
      degrades: "users get an XEP-0249 invitation to each of their groups instead of an autojoin bookmark",
    }),
    iqCheck(gateway, privileges, none, {
      name: "XEP-0356 upload IQ privilege",
      namespace: NS_HTTP_UPLOAD,
      type: "get",
      degrades:
        "upload slots are requested as the gateway, not as the user, so the upload service must admit the gateway's domain (Prosody's http_file_share does for hosts of the same server unless http_file_share_access is set; ejabberd's mod_http_upload only when its access rule includes it)",
    }),
  ];
}

function rosterCheck(
  gateway: string,
  privileges: Privileges | undefined,
  rosterSetFailed: boolean,
  none: string,
): CheckResult {
  const name = "XEP-0356 roster privilege";
  const read = canReadRoster(privileges);
  const write = canWriteRoster(privileges);
  if (write && rosterSetFailed) {
    return {
      name,
      status: "missing",
      found: `${privileges?.roster}, but a privileged roster set failed`,
      degrades: "contacts are offered as subscription requests instead of appearing in rosters",
      fix: rosterSetFailedFix(),
    };
  }
  if (read && write) return { name, status: "ok", found: "both" };
  if (write) {
    return {
      name,
      status: "missing",
      found: "set only, not get",
      degrades:
        "rosters cannot be read: every contact is written again at each change, and contacts gone from the network stay in rosters",
      fix: rosterFix(gateway),
    };
  }
  return {
    name,
    status: "missing",
    found: read ? "get only, not set" : none,
    degrades: "contacts are offered as subscription requests instead of appearing in rosters",
    fix: rosterFix(gateway),
  };
}

function iqCheck(
  gateway: string,
  privileges: Privileges | undefined,
  none: string,
  want: { name: string; namespace: string; type: "both" | "get"; degrades: string },
): CheckResult {
  const get = canSendIqAs(privileges, want.namespace, "get");
  const set = canSendIqAs(privileges, want.namespace, "set");
  const granted = want.type === "both" ? get && set : get;
  if (granted) return { name: want.name, status: "ok", found: `${want.namespace}: ${want.type}` };
  const partly = get ? "get only, not set" : set ? "set only, not get" : undefined;
  const older =
    privileges?.namespace === "urn:xmpp:privilege:1"
      ? " (the server speaks urn:xmpp:privilege:1, which has no IQ permission)"
      : "";
  return {
    name: want.name,
    status: "missing",
    found: partly ? `${want.namespace}: ${partly}` : `${none}${privileges ? older : ""}`,
    degrades: want.degrades,
    fix: iqFix(gateway, want.namespace, want.type),
  };
}
