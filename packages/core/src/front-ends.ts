import {
  AdHocCommands,
  ChatCommands,
  type Command,
  type QrConfirmations,
  type Requester,
  registrationCommands,
} from "@gangway/registration";
import type { XmppComponent } from "@gangway/xmpp";
import { type CommandDependencies, gatewayCommands } from "./commands.js";
import type { GatewayHost } from "./host.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

export interface FrontEndDependencies extends CommandDependencies {
  component: XmppComponent;
  qr: QrConfirmations;
  /** Commands beyond the built-in ones: search, the app's own. */
  extraCommands: readonly Command[];
  requester: (bareJid: string) => Promise<Requester>;
}

/**
 * Every command (registration's, the core's, search, the app's) and the two front ends that
 * render them: XEP-0050 ad-hoc commands and the chat bot on the component JID.
 */
export function commandFrontEnds(deps: FrontEndDependencies): {
  commands: readonly Command[];
  adHocCommands: AdHocCommands;
  chatCommands: ChatCommands;
} {
  const { host, requester } = deps;
  const commands = [
    ...registrationCommands({
      registrar: deps.registrar,
      pending: host.store.pendingRegistrations,
      partialRegistrationTimeoutMs: host.config.partialRegistrationTimeoutMs,
      preferences: host.meta.PREFERENCES.length > 0 ? deps.preferencesForm : undefined,
      qr: deps.qr,
    }),
    ...gatewayCommands(deps),
    ...deps.extraCommands,
  ];
  const adHocCommands = new AdHocCommands(deps.component, {
    commands,
    requester,
    newSessionId: () => host.newStanzaId(),
    sessionTimeoutMs: host.config.partialRegistrationTimeoutMs,
    publishQr: (to, text) => host.sendQr(to, text),
    maxFieldChars: host.config.limits.fieldChars,
  });
  const chatCommands = new ChatCommands({
    commands,
    requester,
    send: (to, text) => host.sendChat(to, text),
    sendQr: async (to, text) => void (await host.sendQr(to, text)),
    onBackgroundError: (err) => host.log.error({ err }, "a chat command failed in the background"),
    maxLineChars: host.config.limits.fieldChars,
  });
  return { commands, adHocCommands, chatCommands };
}

/** Who is asking, as the commands' access levels need it. */
export async function describeRequester(
  host: GatewayHost,
  sessions: Sessions<AnySession>,
  bareJid: string,
): Promise<Requester> {
  const session = sessions.get(bareJid);
  return {
    jid: bareJid,
    allowed: host.config.userJidValidator.test(bareJid),
    registered: session !== undefined || (await host.store.users.get(bareJid)) !== undefined,
    // A session the network logged out (or whose credentials it refused) still exists, but the
    // user must log in again: `re-login` is theirs to run.
    loggedIn: session !== undefined && session.isLoggedIn && session.lastLoginError === undefined,
    admin: host.config.admins.includes(bareJid),
  };
}
