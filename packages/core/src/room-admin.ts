import {
  type Element,
  type IqContext,
  type MucAdminChange,
  mucAdminList,
  mucError,
  NS_FASTEN,
  NS_MODERATE,
  NS_MUC_ADMIN,
  parseModerationRequest,
  parseMucAdminRequest,
  type XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";
import { UNKNOWN_MESSAGE_TEXT } from "./inbound-chat.js";
import type { AnyRoom } from "./room.js";
import { roomFor } from "./room-router.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

const NOT_A_ROOM = "This address is not one of your groups.";
const MODERATORS_ONLY = "Only the group's moderators can do this (the network decides who they are).";

/**
 * The user's room administration IQs, turned into the room's hooks: XEP-0425 moderation (both
 * request forms) → `onModerate`, XEP-0045 kicks (muc#admin role `none`) → `onKick`, and the
 * muc#admin lists of occupants by role or affiliation, answered from the room's participants.
 * The network decides who may do what: the room refuses what the user's role does not allow.
 */
export function serveRoomAdministration(
  component: XmppComponent,
  host: GatewayHost,
  sessions: Sessions<AnySession>,
  toPuppet: (to: string) => boolean,
): void {
  const room = (context: IqContext): AnyRoom => {
    const found = context.to.local
      ? roomFor(host, sessions.get(context.from.bare().toString()), context.to.local)
      : undefined;
    if (!found || context.to.resource !== "") throw new XmppError("item-not-found", NOT_A_ROOM);
    return found;
  };
  const moderate = async (context: IqContext) => moderateMessage(room(context), context.stanza);
  component.iq.handle({ namespace: NS_MODERATE, type: "set", to: toPuppet }, moderate);
  component.iq.handle({ namespace: NS_FASTEN, type: "set", to: toPuppet }, moderate);
  component.iq.handle({ namespace: NS_MUC_ADMIN, type: "set", to: toPuppet }, async (context) => {
    const request = parseMucAdminRequest(context.stanza);
    if (request.kind !== "change") throw new XmppError("bad-request");
    await applyChanges(room(context), request.changes);
    return undefined;
  });
  component.iq.handle({ namespace: NS_MUC_ADMIN, type: "get", to: toPuppet }, (context) => {
    const target = room(context);
    const request = parseMucAdminRequest(context.stanza);
    if (request.kind !== "list") throw new XmppError("bad-request");
    return listOccupants(target, request);
  });
}

async function moderateMessage(room: AnyRoom, stanza: Element): Promise<undefined> {
  const request = parseModerationRequest(stanza);
  if (room.userRole !== "moderator") throw new XmppError("forbidden", MODERATORS_ONLY);
  if (!room.overrides("onModerate")) throw mucError("forbidden");
  const legacyId = await room.legacyIdOf(request.id);
  if (legacyId === undefined) throw new XmppError("item-not-found", UNKNOWN_MESSAGE_TEXT);
  await room.onModerate(legacyId, request.reason);
  return undefined;
}

/** Kicks, one after the other; any other change is refused before any hook runs. */
async function applyChanges(room: AnyRoom, changes: readonly MucAdminChange[]): Promise<void> {
  const kicks = changes.map((change) => {
    if (change.role !== "none" || change.affiliation !== undefined || change.nick === undefined) {
      throw new XmppError(
        "feature-not-implemented",
        "This gateway can remove participants (role none by nick); other changes are the network's.",
      );
    }
    const participant = room.participants.get(change.nick);
    if (!participant) throw new XmppError("item-not-found", "No participant of this group has that nick.");
    return { participant, reason: change.reason };
  });
  if (room.userRole !== "moderator") throw new XmppError("forbidden", MODERATORS_ONLY);
  for (const { participant, reason } of kicks) await room.onKick(participant, reason);
}

function listOccupants(room: AnyRoom, request: { role?: string; affiliation?: string }): Element {
  const self = { nick: room.userNick, role: room.userRole, affiliation: room.userAffiliation };
  const everyone = [
    self,
    ...[...room.participants.values()].map((p) => ({
      nick: p.nick,
      role: p.role,
      affiliation: p.affiliation,
      ...(room.type === "group" && p.contact && { jid: p.contact.jid }),
    })),
  ];
  return mucAdminList(
    everyone.filter((occupant) =>
      request.role !== undefined
        ? occupant.role === request.role
        : occupant.affiliation === request.affiliation,
    ),
  );
}
