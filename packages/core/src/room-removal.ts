import { buildOccupantPresence } from "@gangway/xmpp";
import type { AnyRoom } from "./room.js";
import { SELF_OCCUPANT_ID } from "./room-stanzas.js";

/**
 * The room is destroyed for the user (XEP-0045 §10.9): each of their joined resources gets one
 * unavailable presence from its own occupant, affiliation and role none, with `<destroy/>` (and
 * `reason`) and status 110, after what the room was already sending (the resource leaves through
 * the room's own queue first). Other occupants' leaves are not sent: §10.9 says the one presence
 * is how a client learns it was removed.
 */
export async function destroyRoomFor(room: AnyRoom, reason?: string): Promise<void> {
  const { gateway } = room.session;
  for (const fullJid of [...room.joinedResources]) {
    // Quiet: it only takes the resource out, in order with the room's pending actions.
    await room.userLeft(fullJid, { quiet: true });
    await gateway.send(
      buildOccupantPresence({
        room: room.jid,
        nick: room.userNick,
        to: fullJid,
        type: "unavailable",
        affiliation: "none",
        role: "none",
        statusCodes: [110],
        occupantId: SELF_OCCUPANT_ID,
        destroy: reason === undefined || reason === "" ? {} : { reason },
      }),
    );
  }
}
