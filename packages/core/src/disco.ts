import { type AdHocCommands, NS_COMMANDS, NS_REGISTER } from "@gangway/registration";
import {
  discoInfoResult,
  discoItemsResult,
  type Element,
  NS_DISCO_INFO,
  NS_DISCO_ITEMS,
  NS_PING,
  type XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";
import { answerRoomPing, roomFor } from "./room-router.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

export interface DiscoDependencies {
  component: XmppComponent;
  host: GatewayHost;
  sessions: Sessions<AnySession>;
  adHocCommands: AdHocCommands;
  /** Features beyond the built-in ones (search), asked for at each request: they depend on the app's classes. */
  extraFeatures: () => readonly string[];
  toComponent: (to: string) => boolean;
  toPuppet: (to: string) => boolean;
}

/** What a puppet says to someone who is not logged in: only what every entity has. */
const ANONYMOUS_PUPPET = {
  identities: [{ category: "client", type: "pc" }],
  features: [NS_DISCO_INFO, NS_PING],
};

const NO_SUCH_NODE = "This gateway has no such node.";

/**
 * Service discovery: the component's identity and features (and its ad-hoc command nodes), and
 * each puppet's, from what its chat supports (see puppet-info.ts). Ping is answered everywhere.
 */
export function serveDisco(deps: DiscoDependencies): void {
  const { component, host, sessions, adHocCommands, toComponent, toPuppet } = deps;

  component.iq.handle({ namespace: NS_DISCO_INFO, type: "get", to: toComponent }, ({ child }) => {
    const node = child.attrs.node;
    if (!node) return componentInfo(host, deps.extraFeatures());
    const info = adHocCommands.discoInfo(node);
    // The node is not quoted back: it is the sender's input, of any size.
    if (!info) throw new XmppError("item-not-found", NO_SUCH_NODE);
    return info;
  });
  component.iq.handle({ namespace: NS_DISCO_ITEMS, type: "get", to: toComponent }, ({ child, from }) => {
    const node = child.attrs.node;
    if (node === NS_COMMANDS) return adHocCommands.discoItems(from.bare().toString());
    if (node) throw new XmppError("item-not-found", NO_SUCH_NODE);
    // With GROUPS, the user's rooms (XEP-0045 §6.3), so clients can browse and join them.
    const session = host.meta.GROUPS ? sessions.get(from.bare().toString()) : undefined;
    const rooms = session?.isLoggedIn ? [...session.rooms] : [];
    return discoItemsResult(rooms.map((room) => ({ jid: room.jid, ...(room.name && { name: room.name }) })));
  });
  component.iq.handle(
    { namespace: NS_DISCO_INFO, type: "get", to: toPuppet },
    async ({ from, to, child }) => {
      const session = sessions.get(from.bare().toString());
      if (!session?.isLoggedIn || !to.local) {
        return discoInfoResult({ ...ANONYMOUS_PUPPET, node: child.attrs.node });
      }
      const room = roomFor(host, session, to.local);
      if (room) return room.discoInfo(child.attrs.node);
      const contact = await session.contacts.byJidLocal(to.local);
      const capabilities = contact.capabilities ?? (await host.capabilities.of(contact));
      return capabilities.discoInfo(child.attrs.node);
    },
  );
  component.iq.handle({ namespace: NS_PING, type: "get", to: () => true }, ({ stanza, from, to }) => {
    // XEP-0410: a room answers pings to itself and its occupants (not-acceptable when not joined).
    const room = to.local ? roomFor(host, sessions.get(from.bare().toString()), to.local) : undefined;
    if (room) answerRoomPing(room, stanza);
    return undefined;
  });
}

function componentInfo(host: GatewayHost, extraFeatures: readonly string[]): Element {
  const { COMPONENT_TYPE, COMPONENT_NAME } = host.meta;
  return discoInfoResult({
    identities: [{ category: "gateway", type: COMPONENT_TYPE, name: COMPONENT_NAME }],
    features: [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER, NS_COMMANDS, ...extraFeatures],
  });
}
