import {
  classifyMucPing,
  type Element,
  JID,
  mucError,
  mucJoinErrorPresence,
  mucPingError,
  parseMucPresence,
  parseRoomMessage,
  XmppError,
} from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";
import { dispatchToChat } from "./inbound-chat.js";
import type { AnyRoom } from "./room.js";
import type { AnySession } from "./session.js";

/** The room a stanza from a logged-in user's session addresses, if it is one (in-memory lookups only). */
export function roomFor(
  host: GatewayHost,
  session: AnySession | undefined,
  jidLocal: string,
): AnyRoom | undefined {
  if (!host.meta.GROUPS || !session) return undefined;
  return session.rooms.byJidLocal(jidLocal);
}

/**
 * Whether a presence to a gateway JID is a MUC join (`<x xmlns=".../muc"/>` to `local@gw/nick`):
 * strangers and unknown rooms get the XEP-0045 join error instead of silence.
 */
export function isMucJoin(stanza: Element): boolean {
  if (stanza.attrs.type !== undefined) return false;
  try {
    const presence = parseMucPresence(stanza);
    return presence.kind === "join" && presence.mucX;
  } catch {
    return false;
  }
}

/**
 * A join to a room the session has not listed: the session may open it on demand
 * (`roomForJoin`, e.g. an IRC channel joined by name); otherwise, or when it refuses with an
 * XmppError, the join gets the XEP-0045 error.
 */
export async function routeUnlistedRoomJoin(
  host: GatewayHost,
  session: AnySession,
  jidLocal: string,
  stanza: Element,
): Promise<void> {
  let room: AnyRoom | undefined;
  try {
    room = await session.roomForJoin(jidLocal);
  } catch (error) {
    if (error instanceof XmppError) return refuseJoin(host, stanza, error);
    throw error;
  }
  if (!room) return refuseJoin(host, stanza, mucError("room-not-found"));
  return routeRoomPresence(host, room, stanza);
}

/** Refuses a join with `error` (the presence error clients match to their join). */
export function refuseJoin(host: GatewayHost, stanza: Element, error: XmppError): Promise<void> {
  return host.send(mucJoinErrorPresence(stanza, error));
}

/**
 * A user's presence to one of their rooms: join (from any number of their resources), leave,
 * nick change (refused: the nick is the network's), status update (nothing to do yet).
 */
export async function routeRoomPresence(host: GatewayHost, room: AnyRoom, stanza: Element): Promise<void> {
  const from = String(stanza.attrs.from ?? "");
  let presence: ReturnType<typeof parseMucPresence>;
  try {
    presence = parseMucPresence(stanza, room.joinedNick(from));
  } catch (error) {
    if (error instanceof XmppError && stanza.attrs.type === undefined) return refuseJoin(host, stanza, error);
    throw error;
  }
  switch (presence.kind) {
    case "join":
      return room.userJoined(from, presence);
    case "leave":
      return room.userLeft(from, presence.id === undefined ? {} : { id: presence.id });
    case "error":
      // The user's server bounced what the room sent: that resource is gone (XEP-0045 §7.2).
      return room.userLeft(from, { quiet: true });
    case "nick-change":
      throw mucError("nick-change-refused");
    default:
      return;
  }
}

/**
 * A user's message to one of their rooms: a groupchat message goes through the same chat hooks as
 * a 1:1 one (`onMessage(room, …)`…), then is reflected to the user's joined resources.
 */
export async function routeRoomMessage(session: AnySession, room: AnyRoom, stanza: Element): Promise<void> {
  const parsed = parseRoomMessage(stanza);
  // A bounce of what the room sent: nothing to answer (answering an error could loop).
  if (parsed.kind === "error") return;
  if (parsed.kind === "other") {
    // Invitations, voice requests, chat-type messages to the bare room: said, not dropped.
    throw new XmppError("feature-not-implemented", "Only groupchat messages can be sent to this room.");
  }
  if (parsed.kind === "private") throw privateMessageRefusal(room, parsed.nick);
  if (room.joinedNick(String(stanza.attrs.from ?? "")) === undefined) throw mucError("not-occupant");
  if (parsed.subject !== undefined) {
    // A subject change (XEP-0045 §8.1) is the network's to accept; it shows it with setSubject.
    if (!room.overrides("onSetSubject")) throw mucError("forbidden");
    return room.onSetSubject(parsed.subject);
  }
  await dispatchToChat(session, room, stanza);
  const { message } = parsed;
  if (!message.hasContent || (message.body === undefined && !message.retraction && !message.reactions))
    return;
  const id = message.id ?? session.gateway.newStanzaId();
  await room.reflect({
    id,
    stanzaId: message.originId ?? id,
    originId: message.originId !== undefined,
    ...(message.body !== undefined && message.retraction === undefined && { body: message.body }),
    ...(message.replyTo && { replyTo: { id: message.replyTo.id } }),
    ...(message.correction !== undefined && { correctionOf: message.correction }),
    ...(message.retraction !== undefined && { retractionOf: message.retraction }),
    ...(message.reactions && { reactions: message.reactions }),
  });
}

/**
 * Private messages in a legacy group are the network's direct messages, which the gateway carries
 * as 1:1 chats with contacts: the refusal says where to write instead.
 */
function privateMessageRefusal(room: AnyRoom, nick: string): XmppError {
  const contact = room.participants.get(nick)?.contact;
  return new XmppError(
    "feature-not-implemented",
    contact
      ? `Private messages go through the person's own address: write to ${contact.jid}.`
      : "Private messages to participants of this group are not available on this network.",
  );
}

/** XEP-0410: a ping to a room or an occupant, answered by the room itself. Throws the error answer. */
export function answerRoomPing(room: AnyRoom, stanza: Element): void {
  const from = String(stanza.attrs.from ?? "");
  const verdict = classifyMucPing(stanza, room.joinedNick(from), (nick) => room.participants.has(nick));
  const error = mucPingError(verdict, JID.parse(String(stanza.attrs.to)).bare().toString());
  if (error) throw error;
}
