import { type AdHocCommands, type Registrar, serveInBandRegistration } from "@gangway/registration";
import type { XmppComponent } from "@gangway/xmpp";
import { serveDisco } from "./disco.js";
import type { GatewayHost } from "./host.js";
import { type MessageRouting, routeMessage } from "./message-router.js";
import { routePresence } from "./presence-router.js";
import { servePuppetIdentity } from "./puppet-identity.js";
import { serveRoomAdministration } from "./room-admin.js";
import { serveRoomArchive } from "./room-mam.js";
import { serveSearch } from "./search.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

export interface HandlerDependencies {
  host: GatewayHost;
  component: XmppComponent;
  sessions: Sessions<AnySession>;
  registrar: Registrar;
  adHocCommands: AdHocCommands;
  /** Features beyond the built-in ones (search), asked for at each disco request. */
  extraFeatures: () => readonly string[];
  routing: MessageRouting;
}

/**
 * Everything the component answers, wired once at construction: IQs by namespace (disco, puppet
 * profiles, room archives and administration, registration, search), then messages and presences
 * through their routers. Addressees: the gateway's own JID, or a puppet or room `local@gateway`.
 */
export function wireHandlers(deps: HandlerDependencies): void {
  const { host, component, sessions, registrar } = deps;
  const { domain } = host;
  const toComponent = (to: string) => to === domain;
  const toPuppet = (to: string) => to.endsWith(`@${domain}`) || to.includes(`@${domain}/`);
  serveDisco({
    component,
    host,
    sessions,
    adHocCommands: deps.adHocCommands,
    extraFeatures: deps.extraFeatures,
    toComponent,
    toPuppet,
  });
  servePuppetIdentity(component, sessions, toPuppet);
  serveRoomArchive(component, host, sessions, toPuppet);
  serveRoomAdministration(component, host, sessions, toPuppet);
  serveInBandRegistration(component, {
    registrar,
    multiStepHint: `Registering with this gateway takes more than one form. Use its "Register" command, or send "register" to ${domain}.`,
    maxFieldChars: host.config.limits.fieldChars,
  });
  serveSearch(component, host, sessions);
  component.onMessage((stanza) => routeMessage(deps.routing, stanza));
  component.onPresence((stanza) => routePresence({ host, sessions, registrar }, stanza));
}
