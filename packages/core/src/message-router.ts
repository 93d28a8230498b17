import type { ChatCommands } from "@gangway/registration";
import { type Element, JID, type Privileges, parsePrivilegeAdvertisement } from "@gangway/xmpp";
import { dispatchToChat } from "./inbound-chat.js";
import type { InboundJournal } from "./inbound-journal.js";
import { roomFor, routeRoomMessage } from "./room-router.js";
import type { AnySession } from "./session.js";
import type { Sessions } from "./sessions.js";
import { messageNotSent } from "./store-outage.js";
import type { UserInput } from "./user-input.js";

export interface MessageRouting {
  sessions: Sessions<AnySession>;
  chatCommands: ChatCommands;
  userInput: UserInput;
  onPrivileges: (privileges: Privileges) => void;
  /** Records the user's messages to chats while they are handled (see InboundJournal). */
  journal?: InboundJournal | undefined;
}

/**
 * Where a message goes: from the server, the XEP-0356 advertisement; to the gateway's own JID, an
 * answer to `input()` or the chat bot; to a puppet, the session's chat hooks — once the session
 * can carry it (a login under way holds it: see BaseSession.untilConnected).
 */
export async function routeMessage(routing: MessageRouting, stanza: Element): Promise<void> {
  if (stanza.attrs.type === "error") return;
  const from = JID.parse(String(stanza.attrs.from ?? ""));
  const to = JID.parse(String(stanza.attrs.to ?? ""));

  if (!from.local) {
    const advertised = parsePrivilegeAdvertisement(stanza);
    if (advertised) routing.onPrivileges(advertised);
    return;
  }
  const userJid = from.bare().toString();
  if (!to.local) {
    const text = stanza.getChildText("body");
    if (!text) return;
    // Both are decided on arrival, before any await, so a user's lines keep their order: an answer
    // to `input()` goes to the question at once; a chat-bot line is queued behind that user's earlier
    // ones (ChatCommands.handle). Not queued too: a command waiting on `input()` (a re-login asking
    // for a code) would wait for its own answer.
    if (routing.userInput.answer(userJid, text)) return;
    await routing.chatCommands.handle(userJid, text);
    return;
  }
  const session = routing.sessions.require(userJid);
  // Closed when the hooks are done or have thrown: the component then sends the error reply at
  // once, well within the journal's flush interval, so the record never outlives both.
  const close = routing.journal?.open(stanza, userJid);
  try {
    // The usual case costs no promise: only a session that is not connected makes the message wait.
    if (!session.isConnected) await session.untilConnected();
    const room = roomFor(session.gateway, session, to.local);
    if (room) return await routeRoomMessage(session, room, stanza);
    const chat = await session.contacts.byJidLocal(to.local).catch((error: unknown) => {
      throw messageNotSent(error);
    });
    await dispatchToChat(session, chat, stanza);
  } finally {
    close?.();
  }
}
