import type { AnyRoom, ConnectionState, LegacyParticipant, Logger, TextMention } from "@gangway/core";
import type { MessengerClient, MessengerMessage, MessengerThread, MessengerUser } from "./client/port.js";
import { type MessengerContact, showPresence } from "./contact.js";
import { legacyFileOf } from "./files.js";
import type { MessengerRoom } from "./room.js";

/** What the events need of their session (MessengerSession is one; declared here, not imported). */
export interface EventSession {
  readonly selfId: string;
  readonly friends: Map<string, MessengerUser>;
  readonly threads: Map<string, MessengerThread>;
  readonly groupThreads: ReadonlySet<string>;
  readonly log: Logger;
  readonly rooms: {
    byLegacyId(legacyId: string): Promise<AnyRoom>;
    known(legacyId: string): AnyRoom | undefined;
  };
  readonly contacts: { byLegacyId(legacyId: string): Promise<MessengerContact> };
  relay(legacyId: string, action: (contact: MessengerContact) => Promise<unknown>): void;
  setConnectionState(state: ConnectionState, text?: string): Promise<void>;
  saveSession(): Promise<void>;
  discoverThread(threadId: string): Promise<MessengerThread | undefined>;
  logged(what: string, action: Promise<unknown>): void;
}

/** Who shows a network event: the contact of a 1:1 thread, a group member's occupant, or the room (the user's own). */
type Speaker = Pick<
  LegacyParticipant,
  "sendText" | "sendFiles" | "correct" | "retract" | "react" | "chatState" | "displayed"
>;

/** A carbon: what the user did from the official app, shown as theirs. */
type Carbon = { carbon?: true };

/** What an event does, on the chat that shows it (and its room, in a group). */
type Act = (chat: Speaker, carbon: Carbon, room?: MessengerRoom) => Promise<unknown>;

/** Turns the client's events into the core's actions for `session`. */
export function listenTo(session: EventSession, client: MessengerClient): void {
  const route = (threadId: string, actorId: string, act: Act) => routeEvent(session, threadId, actorId, act);
  client.on("message", (e) =>
    route(e.threadId, e.senderId, (chat, carbon, room) => showMessage(client, chat, e, carbon, room)),
  );
  client.on("messageEdit", (e) =>
    route(e.threadId, e.senderId, (chat, carbon) => chat.correct(e.messageId, e.newText, carbon)),
  );
  client.on("messageUnsend", (e) =>
    route(e.threadId, e.senderId, (chat, carbon) => chat.retract(e.messageId, carbon)),
  );
  client.on("reaction", (e) =>
    route(e.threadId, e.actorId, (chat, carbon) =>
      chat.react(e.messageId, e.reaction ? [e.reaction] : [], carbon),
    ),
  );
  client.on("typing", (e) => {
    if (e.senderId === session.selfId && session.groupThreads.has(e.threadId)) return;
    route(e.threadId, e.senderId, (chat) => chat.chatState(e.isTyping ? "composing" : "paused"));
  });
  client.on("readReceipt", (e) => {
    // The user's own reading shows in a 1:1 chat (a carbon marker), not in a group.
    if (e.readerId === session.selfId && session.groupThreads.has(e.threadId)) return;
    route(e.threadId, e.readerId, (chat, carbon) =>
      carbon.carbon
        ? (chat as MessengerContact).displayed(e.lastReadMessageId, carbon)
        : chat.displayed(e.lastReadMessageId),
    );
  });
  client.on("presence", (e) => {
    const friend = session.friends.get(e.userId);
    if (!friend) return;
    friend.active = e.active;
    if (e.lastActiveMs === undefined) delete friend.lastActiveMs;
    else friend.lastActiveMs = e.lastActiveMs;
    session.relay(e.userId, (c) => showPresence(c, friend));
  });
  client.on("friendUpdate", (user) =>
    session.logged("could not show a friend's change", friendChanged(session, user)),
  );
  client.on("threadUpdate", (update) => {
    const thread = session.threads.get(update.threadId);
    if (!thread) {
      // A group the login did not list (the user was just added to it): it opens as it is now.
      session.logged("could not look up a thread", session.discoverThread(update.threadId));
      return;
    }
    if (!thread.isGroup) return;
    if (update.name !== undefined) thread.name = update.name;
    if (update.imageUrl !== undefined) {
      if (update.imageUrl === null) delete thread.imageUrl;
      else thread.imageUrl = update.imageUrl;
    }
    const removed = new Set(update.removed ?? []);
    thread.participantIds = [
      ...thread.participantIds.filter((id) => !removed.has(id)),
      ...(update.added ?? []).filter((id) => !thread.participantIds.includes(id)),
    ];
    if (update.adminIds !== undefined) thread.adminIds = [...update.adminIds];
    const room = session.rooms.known(update.threadId) as MessengerRoom | undefined;
    // A room not opened yet reads the thread as it is now when it opens.
    if (room) session.logged("could not show a group's change", room.applyUpdate(update, thread));
  });
  client.on("sessionChanged", () =>
    session.logged("could not save the Messenger session", session.saveSession()),
  );
  client.on("connection", ({ state, reason }) => {
    const change =
      state === "connected"
        ? session.setConnectionState("connected", "Connected")
        : state === "reconnecting"
          ? session.setConnectionState(
              "transient-disconnect",
              `${reason ?? "Lost the connection to Messenger"}; reconnecting`,
            )
          : session.setConnectionState("logged-out", reason ?? "Facebook ended the session");
    session.logged("could not report the connection", change);
  });
}

/**
 * Where an event of thread `threadId` by `actorId` shows: in a 1:1 thread (whose id is the
 * friend's) as the contact, whoever acted, with what the user did from the official app shown
 * as theirs (carbons); in a group thread as the member's occupant, or, for the user's own, as the
 * room's carbon (from the user's nick).
 */
function routeEvent(session: EventSession, threadId: string, actorId: string, act: Act): void {
  const own = actorId === session.selfId;
  const carbon: Carbon = own ? { carbon: true } : {};
  // A 1:1 thread's id is the other person's: a thread not listed at login, where someone else
  // acts, is a group to ask the network about (never a contact named after the group's id).
  if (!session.threads.has(threadId) && !own && threadId !== actorId) {
    const discovered = session.discoverThread(threadId).then((thread) => {
      if (thread) routeEvent(session, threadId, actorId, act);
      else session.log.warn({ thread: threadId }, "an event of a thread the network does not list: dropped");
    });
    session.logged("could not look up a thread", discovered);
    return;
  }
  if (!session.groupThreads.has(threadId)) {
    session.relay(threadId, (contact) => act(contact, carbon));
    return;
  }
  const shown = session.rooms.byLegacyId(threadId).then((room) => {
    const group = room as MessengerRoom;
    if (own) return act(group, carbon, group);
    const participant = group.participantFor(actorId);
    return participant && act(participant, {}, group);
  });
  session.logged("could not relay a legacy event", shown);
}

/**
 * A message: its text (in a group with its mentions of members, the user's too, as XEP-0372), or
 * its files (an album when several) with the text as their caption.
 */
function showMessage(
  client: MessengerClient,
  chat: Speaker,
  e: MessengerMessage,
  carbon: Carbon,
  room: MessengerRoom | undefined,
): Promise<void> {
  const options = {
    id: e.messageId,
    ...(e.replyTo !== undefined && { replyTo: e.replyTo }),
    ...carbon,
  };
  if (e.attachments.length === 0) {
    const mentions = room ? mentionsIn(room, e) : [];
    return chat.sendText(e.text, { ...options, ...(mentions.length > 0 && { mentions }) });
  }
  return chat.sendFiles(
    e.attachments.map((attachment) => legacyFileOf(client, attachment)),
    { ...options, ...(e.text && { caption: e.text }) },
  );
}

/**
 * A friend's new name or picture (or a new friend): the contact takes both (the picture is
 * announced at once; the roster shows the name from the next login, the core having no roster
 * rename), and the friend's occupant in each open group is renamed.
 */
async function friendChanged(session: EventSession, user: MessengerUser): Promise<void> {
  const previous = session.friends.get(user.id);
  session.friends.set(user.id, user);
  await (await session.contacts.byLegacyId(user.id)).refresh(user);
  const oldNick = previous?.name;
  if (oldNick !== undefined && oldNick !== user.name) {
    for (const threadId of session.groupThreads) {
      const room = session.rooms.known(threadId) as MessengerRoom | undefined;
      if (room?.participants.has(oldNick)) await room.rename(oldNick, user.name);
    }
  }
}

/** The message's mentions of the room's members (and of the user), as the core's nicks and indices. */
function mentionsIn(room: MessengerRoom, e: MessengerMessage): TextMention[] {
  return e.mentions
    .filter((m) => m.offset >= 0 && m.length > 0 && m.offset + m.length <= e.text.length)
    .map((m) => ({ nick: room.nickOf(m.id), begin: m.offset, end: m.offset + m.length }))
    .filter((m) => m.nick === room.userNick || room.participants.has(m.nick));
}
