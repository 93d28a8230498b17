import { NOT_ALLOWED_TEXT, type Registrar } from "@gangway/registration";
import {
  type Element,
  JID,
  mucError,
  parseAvatarUpdateHash,
  parseUserPresence,
  parseVCardTempPhoto,
  subscriptionPresence,
  vcardTempRequest,
  XmppError,
} from "@gangway/xmpp";
import type { AnyContact } from "./contact.js";
import type { GatewayHost } from "./host.js";
import { isMucJoin, refuseJoin, roomFor, routeRoomPresence, routeUnlistedRoomJoin } from "./room-router.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";
import { NOT_REGISTERED_TEXT } from "./texts.js";

export interface PresenceRouting {
  host: GatewayHost;
  sessions: Sessions<AnySession>;
  registrar: Registrar;
}

/**
 * Presences from users: subscriptions to the gateway and to puppets (accepted, remembered, answered
 * with the contact's presence), probes, unsubscribing from the gateway (= unregistering), and the
 * user's own availability and XEP-0153 avatar, passed to the session's `onPresence`/`onAvatar`.
 */
export async function routePresence(routing: PresenceRouting, stanza: Element): Promise<void> {
  const { host, sessions } = routing;
  const type = stanza.attrs.type as string | undefined;
  if (type === "error") return;
  const from = JID.parse(String(stanza.attrs.from ?? ""));
  const to = JID.parse(String(stanza.attrs.to ?? ""));
  if (!from.local) return;
  const userJid = from.bare().toString();
  const session = sessions.get(userJid);

  if (!to.local) {
    if (type === "subscribe") {
      if (!host.config.userJidValidator.test(userJid)) throw new XmppError("not-allowed", NOT_ALLOWED_TEXT);
      await host.send(subscriptionPresence(host.domain, userJid, "subscribed"));
      if (session) await session.sendGatewayPresence();
    } else if (type === "unsubscribe" && session) {
      await host.send(subscriptionPresence(host.domain, userJid, "unsubscribed"));
      await routing.registrar.unregister(userJid);
    } else if (type === "probe" && session) {
      await session.sendGatewayPresence();
    } else if ((type === undefined || type === "unavailable") && session) {
      await relayUserPresence(host, session, stanza);
    }
    return;
  }

  if (!session) {
    if (type === "subscribe" || type === "probe")
      throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
    if (host.meta.GROUPS && isMucJoin(stanza)) await refuseJoin(host, stanza, mucError("members-only"));
    return;
  }
  const room = roomFor(host, session, to.local);
  if (room) return routeRoomPresence(host, room, stanza);
  if (host.meta.GROUPS && isMucJoin(stanza)) {
    // Not a room of this user yet: the session may open it (roomForJoin), else room-not-found.
    return routeUnlistedRoomJoin(host, session, to.local, stanza);
  }
  if (!session.isLoggedIn) {
    // The login is finishing (the roster sync asks for subscriptions before the rooms are
    // listed): the client's answer to such a request is handled once it is done, not dropped.
    // untilConnected is bounded, and fails when the login does.
    if (!ANSWERED_WHILE_LOGGING_IN.has(type ?? "")) return;
    const ready = await session.untilConnected().then(
      () => true,
      () => false,
    );
    if (!ready || !session.isLoggedIn) return;
  }
  const contact = await session.contacts.byJidLocal(to.local);
  switch (type) {
    case "subscribe":
      await host.send(subscriptionPresence(contact.jid, userJid, "subscribed"));
      await markAddedToRoster(host, session, contact);
      await contact.sendPresence();
      break;
    case "subscribed":
      await markAddedToRoster(host, session, contact);
      await contact.sendPresence();
      break;
    case "probe":
      await contact.sendPresence();
      break;
    case "unsubscribe":
      // The user removed the contact: confirm, and ask again only if they re-add it.
      await host.send(subscriptionPresence(contact.jid, userJid, "unsubscribed"));
      await markAddedToRoster(host, session, contact, false);
      break;
    default:
      break;
  }
}

/** Presences to a contact that change the user's roster: kept for the end of a login under way. */
const ANSWERED_WHILE_LOGGING_IN: ReadonlySet<string> = new Set(["subscribe", "subscribed", "unsubscribe"]);

/** The user's own presence: to `onPresence` unless they turned `sync_presence` off. */
async function relayUserPresence(host: GatewayHost, session: AnySession, stanza: Element): Promise<void> {
  if (!session.isLoggedIn) return;
  const preferences = host.preferencesOf(session.user);
  if (preferences.sync_avatar !== false) await relayUserAvatar(host, session, stanza);
  if (preferences.sync_presence === false) return;
  await session.onPresence(parseUserPresence(stanza));
}

/**
 * XEP-0153: the user's presence carries the hash of their vCard photo. When it changes (and
 * `sync_avatar` is on), the gateway fetches the vCard and hands the picture to `onAvatar`.
 */
async function relayUserAvatar(host: GatewayHost, session: AnySession, stanza: Element): Promise<void> {
  const hash = parseAvatarUpdateHash(stanza);
  // undefined: the client says nothing about the avatar (XEP-0153 §4.3), not "no avatar".
  if (hash === undefined || hash === session.userAvatarHash) return;
  session.userAvatarHash = hash;
  if (!hash) {
    await session.onAvatar(null);
    return;
  }
  let result: Element;
  try {
    result = await host.request(vcardTempRequest(session.userJid), 10_000);
  } catch (err) {
    // The user's server may not serve vCards: the avatar just stays as it was on the network.
    session.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "could not fetch the user's vCard",
    );
    return;
  }
  const photo = parseVCardTempPhoto(result);
  if (photo) await session.onAvatar({ data: photo.data, type: photo.type, hash });
}

/** The user accepted the contact: remembered, so later logins don't ask again. */
async function markAddedToRoster(
  host: GatewayHost,
  session: AnySession,
  contact: AnyContact,
  added = true,
): Promise<void> {
  if (contact.addedToRoster === added) return;
  contact.addedToRoster = added;
  await host.store.contacts.upsert(session.user.id, {
    legacyId: contact.legacyId,
    jidLocal: contact.jidLocal,
    addedToRoster: added,
  });
}
