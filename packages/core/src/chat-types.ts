import type { ChatMessage, ChatMessageOptions, Element } from "@gangway/xmpp";
import type { TextMention } from "./mentions.js";

/*
 * The shapes around a chat: what the user sends it and what its actions take. Kept apart from
 * LegacyChat (chat.ts, which re-exports them) so the class reads as behaviour.
 */

/** A message the user sent to a chat, as the session's `onMessage` hook receives it. */
export interface OutgoingMessage {
  /** The XMPP stanza id (or origin-id) the user's client gave the message. */
  xmppId: string | undefined;
  /** What the user wrote; an XEP-0461 reply's quoted fallback is already removed. */
  body: string;
  /** The message this one answers (XEP-0461), when the gateway knows its legacy id. */
  replyTo?: { legacyId: string } | undefined;
  /** In rooms: the occupants the text names (XEP-0372 references, or nicks found in the text). */
  mentions: readonly TextMention[];
  /** Everything the stanza carried, parsed. */
  parsed: ChatMessage;
  stanza: Element;
}

/** Options of every legacy → XMPP action that can be something the user did elsewhere. */
export interface CarbonOption {
  /**
   * The user did this from the legacy network's own app: it is shown as sent *by the user*
   * (XEP-0356 privileged message) so all their XMPP clients see it. Without that privilege, see
   * `Carbons` for the fallback.
   */
  carbon?: boolean;
}

export interface SendTextOptions extends CarbonOption {
  /** The legacy network's id for this message: stored, so later edits/reactions can find it. */
  id?: string;
  /** Legacy id of the message this one replies to (from either side). */
  replyTo?: string;
  /** Quoted in the body for clients without XEP-0461 (e.g. the replied message's first line). */
  replyFallback?: string;
  /** When it was sent, for messages the network delivers late or replays (XEP-0203 delay). */
  when?: Date;
  /** In rooms: the occupants (or the user, by `userNick`) the text names, sent as XEP-0372 mentions. */
  mentions?: readonly TextMention[];
  /**
   * The network may be delivering this message again (a replay from a cursor, see
   * BaseSession.cursor): when its `id` is already in the id map, it goes under the XMPP ids it had
   * (clients drop a message whose id they have), never as a new message. Default: true while the
   * session logs in, false after (the lookup costs a query when the id is not in memory).
   */
  replayed?: boolean;
}

/** Options of `sendFile`: as sendText's (`id` maps the file message first, then its caption). */
export type SendFileOptions = Pick<SendTextOptions, "id" | "replyTo" | "carbon" | "when">;

/** Options of `sendFiles`: as sendFile's, and the album's caption, sent once after its files. */
export interface SendFilesOptions extends SendFileOptions {
  caption?: string;
}

/** What an action hands to `LegacyChat.outgoing`: a message without its addresses (mentions: rooms only). */
export type OutgoingOptions = Omit<ChatMessageOptions, "from" | "to"> & {
  mentions?: readonly TextMention[];
};
