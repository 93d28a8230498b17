import {
  type Command,
  confirmation,
  type PreferencesForm,
  preferencesPage,
  type Registrar,
  result,
} from "@gangway/registration";
import { JID, XmppError } from "@gangway/xmpp";
import { CONNECTION_STATES } from "./connection.js";
import { doctorCommand, someUsers } from "./doctor/command.js";
import type { GatewayHost } from "./host.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";
import { NOT_REGISTERED_TEXT } from "./texts.js";

export interface CommandDependencies {
  host: GatewayHost;
  sessions: Sessions<AnySession>;
  registrar: Registrar;
  preferencesForm: PreferencesForm;
  /** Logs a user's session out and in again. */
  restartSession: (bareJid: string) => Promise<AnySession>;
  startedAt: Date;
}

/**
 * The built-in commands that need sessions (registration's own, register and unregister, come from
 * @gangway/registration). Each runs as an ad-hoc command and in chat.
 */
export function gatewayCommands(deps: CommandDependencies): Command[] {
  const { host, sessions } = deps;
  const relogin: Command = {
    node: "gangway:re-login",
    name: "Re-login to the legacy network",
    keyword: "re-login",
    help: "log in to the legacy network again, after a failed login",
    access: "not-logged-in",
    async run(requester) {
      const session = await deps.restartSession(requester.jid);
      return result(
        session.isLoggedIn
          ? "You are logged in again."
          : `Could not log in: ${session.lastLoginError ?? "unknown reason"}`,
      );
    },
  };

  const preferences: Command = {
    node: "gangway:preferences",
    name: "Preferences",
    keyword: "preferences",
    help: "change how the gateway behaves for you",
    access: "user",
    async run(requester) {
      const user = await host.store.users.get(requester.jid);
      if (!user) throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
      return preferencesPage(
        deps.preferencesForm,
        requester.jid,
        host.preferencesOf(user),
        "Preferences saved.",
      );
    },
  };

  const listUsers: Command = {
    node: "gangway:list-users",
    name: "List the gateway's users",
    keyword: "list-users",
    help: "everyone registered, with registration date and whether they are logged in",
    access: "admin",
    async run() {
      const rows: Record<string, string>[] = [];
      for await (const user of host.store.users.list()) {
        rows.push({
          jid: user.jid,
          registered: user.createdAt.toISOString(),
          state: sessions.get(user.jid)?.connectionState ?? "no session",
        });
      }
      return {
        kind: "result",
        text: `${rows.length} user(s)`,
        table: {
          columns: [
            { var: "jid", label: "JID" },
            { var: "registered", label: "Registered" },
            { var: "state", label: "Session" },
          ],
          rows,
        },
      };
    },
  };

  const deleteUser: Command = {
    node: "gangway:delete-user",
    name: "Delete a user",
    keyword: "delete-user",
    help: "unregister someone from the gateway and delete their data",
    access: "admin",
    async run() {
      return {
        kind: "form",
        title: "Delete a user",
        fields: [{ var: "jid", type: "jid-single", label: "JID of the user", required: true }],
        submit: async (values) => {
          const jid = JID.parse(String(values.jid)).bare().toString();
          if (!(await host.store.users.get(jid))) {
            throw new XmppError("item-not-found", `${jid} is not registered to this gateway`);
          }
          return confirmation("Delete a user", `Delete ${jid} and all their data?`, async () => {
            await deps.registrar.unregister(jid);
            await host.sendChat(jid, "An administrator removed you from this gateway.");
            return result(`${jid} was deleted.`);
          });
        },
      };
    },
  };

  const info: Command = {
    node: "gangway:info",
    name: "Gateway information",
    keyword: "info",
    help: "what this gateway is, since when it runs, how many users it has",
    access: "admin",
    async run() {
      const users = await host.store.users.count();
      const all = [...sessions.values()];
      const loggedIn = all.filter((s) => s.isLoggedIn && s.connectionState === "connected").length;
      const byState = CONNECTION_STATES.map((state) => {
        const count = all.filter((s) => s.connectionState === state).length;
        return count > 0 ? `${state}: ${count}` : undefined;
      }).filter(Boolean);
      const upSeconds = Math.round((Date.now() - deps.startedAt.getTime()) / 1000);
      return result(
        [
          host.meta.COMPONENT_NAME,
          `Up since ${deps.startedAt.toISOString()} (${upSeconds} s)`,
          `${users} registered user(s), ${loggedIn} logged in`,
          ...(byState.length > 0 ? [`Sessions by connection state: ${byState.join(", ")}`] : []),
          `Database: ${host.store.driver}`,
        ].join("\n"),
      );
    },
  };

  // The server's grants and what is missing (see doctor/): admins only.
  const doctor = doctorCommand(host, () => someUsers(host));

  return [relogin, preferences, listUsers, deleteUser, info, doctor];
}
