import {
  buildGroupchatMessage,
  buildModeratedRetraction,
  buildOccupantPresence,
  buildSubjectMessage,
  type Element,
  type MucAffiliation,
  type MucRole,
  type MucStatusCode,
} from "@gangway/xmpp";
import type { OutgoingOptions } from "./chat.js";
import { mentionsToXmpp } from "./mentions.js";
import type { LegacyParticipant } from "./participant.js";
import type { HistoryEntry } from "./room-archive.js";

/** The user's XEP-0421 occupant id in every room (one user per session). */
export const SELF_OCCUPANT_ID = "occ-self";

/** What a room message carries beyond a chat message: its stanza-id and, for a moderation, who. */
export type RoomOutgoingOptions = OutgoingOptions & {
  stanzaId?: string;
  /** XEP-0425: `retractionOf` was a moderator's (`by`, a nick, when known), not its author's. */
  moderation?: { by?: string; reason?: string };
};

/** The room's view of itself that its stanzas need. */
export interface RoomIdentity {
  readonly jid: string;
  readonly type: "group" | "channel";
  readonly userNick: string;
  readonly userRole: MucRole;
  readonly userAffiliation: MucAffiliation;
}

/**
 * A message of the room (live or from the archive) for one of the user's resources: groupchat
 * from `room/nick` (from the room itself for its notices), its mentions in code points, and a
 * moderator's retraction as XEP-0425 writes it.
 */
export function roomMessage(room: RoomIdentity, entry: HistoryEntry, to: string, delay?: Date): Element {
  const {
    delay: _live,
    stanzaId,
    moderation,
    mentions,
    originId,
    ...message
  } = entry.options as RoomOutgoingOptions;
  if (moderation && message.retractionOf !== undefined) {
    return buildModeratedRetraction({
      room: room.jid,
      to,
      id: message.id,
      stanzaId: stanzaId ?? message.id,
      retractedId: message.retractionOf,
      ...(moderation.by !== undefined && { moderatorNick: moderation.by }),
      ...(entry.occupantId !== undefined && { moderatorOccupantId: entry.occupantId }),
      ...(moderation.reason !== undefined && { reason: moderation.reason }),
    });
  }
  const stanza = buildGroupchatMessage({
    ...message,
    // Only a reflection carries an origin-id (the client's own, which it recognises its message
    // by); the room's stanza-id identifies everything else, and each element costs the server.
    ...(originId && stanzaId !== undefined && { originId }),
    ...(mentions?.length && { mentions: mentionsToXmpp(room.jid, message.body ?? "", mentions) }),
    room: room.jid,
    nick: entry.nick ?? "-",
    to,
    // Ids and stanza-ids are the same, so a client's reaction or retraction finds the message either way.
    stanzaId: stanzaId ?? message.id,
    ...(entry.occupantId !== undefined && { occupantId: entry.occupantId }),
    ...(delay && { delay }),
  });
  // The room's own notices come from its bare JID.
  if (entry.nick === undefined) stanza.attrs.from = room.jid;
  return stanza;
}

/** The user's own occupant presence (110 and what else `statusCodes` says). */
export function selfPresence(
  room: RoomIdentity,
  to: string,
  statusCodes: MucStatusCode[],
  id?: string,
): Element {
  return buildOccupantPresence({
    room: room.jid,
    nick: room.userNick,
    to,
    ...(id !== undefined && { id }),
    affiliation: room.userAffiliation,
    role: room.userRole,
    jid: to,
    statusCodes,
    occupantId: SELF_OCCUPANT_ID,
  });
}

/** The user's own unavailable presence (110 first): a leave, a nick change (303), a kick (307). */
export function selfGonePresence(
  room: RoomIdentity,
  to: string,
  gone: {
    id?: string;
    statusCodes?: MucStatusCode[];
    newNick?: string;
    reason?: string;
    actorNick?: string;
    /** Whether the resource was joined (an occupant id only then). */
    joined?: boolean;
  } = {},
): Element {
  const { id, statusCodes = [], newNick, reason, actorNick, joined = true } = gone;
  return buildOccupantPresence({
    room: room.jid,
    nick: room.userNick,
    to,
    ...(id !== undefined && { id }),
    type: "unavailable",
    affiliation: room.userAffiliation,
    // A nick change is no departure: the role stays.
    role: newNick === undefined ? "none" : room.userRole,
    ...(newNick !== undefined && { newNick, jid: to }),
    statusCodes: [110, ...statusCodes],
    ...(joined && { occupantId: SELF_OCCUPANT_ID }),
    ...(reason !== undefined && { reason }),
    ...(actorNick !== undefined && { actorNick }),
  });
}

export interface OccupantChange {
  type?: "unavailable";
  statusCodes?: MucStatusCode[];
  newNick?: string;
  reason?: string;
}

/**
 * A participant's presence, built from what it is *now* (call before a rename changes it): its
 * contact's JID shows in non-anonymous rooms (`group`), an unavailable one has role none.
 */
export function occupantPresence(
  room: RoomIdentity,
  participant: LegacyParticipant,
  change: OccupantChange = {},
): (to: string) => Element {
  const { nick, affiliation, role, occupantId, contact } = participant;
  const jid = room.type === "group" && contact ? contact.jid : undefined;
  return (to) =>
    buildOccupantPresence({
      room: room.jid,
      nick,
      to,
      affiliation,
      role: change.type === "unavailable" ? "none" : role,
      occupantId,
      ...(jid !== undefined && { jid }),
      ...change,
    });
}

export function subjectMessage(
  room: { jid: string; subject: string; subjectBy?: string | undefined },
  to: string,
) {
  return buildSubjectMessage({
    room: room.jid,
    to,
    subject: room.subject,
    ...(room.subjectBy !== undefined && { nick: room.subjectBy }),
  });
}
