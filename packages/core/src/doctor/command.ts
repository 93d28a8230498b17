import { type Command, result } from "@gangway/registration";
import type { DoctorHost } from "./checks.js";
import { runChecks } from "./checks.js";
import { renderReport } from "./report.js";

export const DOCTOR_NODE = "gangway:doctor";

/**
 * The `doctor` admin command (ad-hoc and chat): what the server grants the gateway and what is
 * missing, each with what it costs and the configuration line that fixes it. `accounts` lists a
 * few registered users, whose accounts may show MAM where the server does not (see runChecks).
 */
export function doctorCommand(host: DoctorHost, accounts: () => Promise<string[]>): Command {
  return {
    node: DOCTOR_NODE,
    name: "Check the server's grants",
    keyword: "doctor",
    help: "what the XMPP server grants the gateway (XEP-0356 privileges, upload, MAM) and how to fix what is missing",
    access: "admin",
    async run(requester) {
      const others = await accounts().catch(() => []);
      const results = await runChecks(host, {
        // It is online: the command came through it.
        connection: `online as ${host.domain} at ${host.config.server}:${host.config.port}`,
        accounts: [requester.jid, ...others],
      });
      return result(renderReport(host.domain, results));
    },
  };
}

/** Up to `limit` registered users' JIDs, for the MAM check. */
export async function someUsers(host: Pick<DoctorHost, "store">, limit = 3): Promise<string[]> {
  const jids: string[] = [];
  for await (const user of host.store.users.list()) {
    jids.push(user.jid);
    if (jids.length >= limit) break;
  }
  return jids;
}
