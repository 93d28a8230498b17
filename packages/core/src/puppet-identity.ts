import {
  avatarDataItem,
  type IqContext,
  NODE_VCARD4,
  NS_AVATAR_DATA,
  NS_AVATAR_METADATA,
  NS_PUBSUB,
  NS_VCARD_TEMP,
  NS_VCARD4,
  parsePubsubItemsRequest,
  pepItemsResult,
  type VCardInfo,
  vcard4Element,
  vcard4PepItem,
  vcardTempElement,
  type XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import type { LegacyContact } from "./contact.js";
import type { AnyRoom } from "./room.js";
import { roomFor } from "./room-router.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";

const ROOM_NO_PROFILE = "A group has no profile beyond its name and picture (vcard-temp).";

/** The contact a user's request to a puppet is about; the errors say why there is none. */
async function contactFor(sessions: Sessions<AnySession>, { from, to }: IqContext): Promise<LegacyContact> {
  const session = sessions.require(from.bare().toString(), { loggedIn: true });
  // Routed here only for `local@gateway` addresses, so the local part is there.
  // A room is no contact: asking for its profile must not create one.
  if (roomFor(session.gateway, session, to.local!)) throw new XmppError("item-not-found", ROOM_NO_PROFILE);
  return session.contacts.byJidLocal(to.local!);
}

/** XEP-0486: a group's vCard is its name and picture, which clients fetch from the room's JID. */
function roomOf(sessions: Sessions<AnySession>, { from, to }: IqContext): AnyRoom | undefined {
  const session = sessions.get(from.bare().toString());
  return session?.isLoggedIn && to.resource === "" ? roomFor(session.gateway, session, to.local!) : undefined;
}

function roomProfile(room: AnyRoom): VCardInfo {
  const { avatar, name } = room;
  return {
    ...(name !== undefined && { fullName: name }),
    ...(avatar && { avatar: { type: avatar.type, data: avatar.data } }),
  };
}

async function profile(contact: LegacyContact): Promise<VCardInfo> {
  const info = await contact.fetchVCard();
  const avatar = contact.avatar;
  return avatar ? { ...info, avatar: { type: avatar.type, data: avatar.data } } : info;
}

/**
 * What a puppet says about itself: vcard-temp (XEP-0054, with the photo), vCard4 (XEP-0292, by IQ
 * and as a PEP node) and the avatar PEP nodes (XEP-0084), served by the component in the name of
 * each puppet, as if it were an account with its own PEP service.
 */
export function servePuppetIdentity(
  component: XmppComponent,
  sessions: Sessions<AnySession>,
  toPuppet: (to: string) => boolean,
): void {
  const { iq } = component;
  iq.handle({ namespace: NS_VCARD_TEMP, type: "get", to: toPuppet }, async (ctx) => {
    const room = roomOf(sessions, ctx);
    if (room) return vcardTempElement(roomProfile(room));
    return vcardTempElement(await profile(await contactFor(sessions, ctx)));
  });
  iq.handle({ namespace: NS_VCARD4, type: "get", to: toPuppet }, async (ctx) =>
    vcard4Element(await (await contactFor(sessions, ctx)).fetchVCard()),
  );
  iq.handle({ namespace: NS_PUBSUB, type: "get", to: toPuppet }, async (ctx) => {
    const request = parsePubsubItemsRequest(ctx.child);
    if (!request) throw new XmppError("feature-not-implemented", "Puppets only answer items requests.");
    const contact = await contactFor(sessions, ctx);
    switch (request.node) {
      case NS_AVATAR_METADATA:
        return pepItemsResult(request.node, [contact.avatarMetadataItem()]);
      case NS_AVATAR_DATA: {
        const avatar = contact.avatar;
        const wanted = request.itemIds.length === 0 || (avatar && request.itemIds.includes(avatar.id));
        if (!avatar || !wanted) throw new XmppError("item-not-found", "This contact has no such picture.");
        return pepItemsResult(request.node, [avatarDataItem(avatar.id, avatar.data)]);
      }
      case NODE_VCARD4:
        return pepItemsResult(request.node, [vcard4PepItem(await contact.fetchVCard())]);
      default:
        throw new XmppError("item-not-found", `This contact has no node ${request.node}.`);
    }
  });
}
