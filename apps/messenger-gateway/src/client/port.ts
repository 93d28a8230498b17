import type { EventEmitter } from "node:events";

/**
 * The port between the gateway classes and a Messenger client library. The gateway speaks only
 * this; each backend (the in-memory `fake`, later the `fca` adapter) fills it, so the protocol
 * library can be replaced without touching the gateway. Shaped after the libraries' own event
 * model (typed events in, actions out). Ids are strings end to end: Facebook's exceed 2^53.
 */

export interface MessengerCredentials {
  email: string;
  password: string;
  /** The code of a login checkpoint ("confirm it's you"), when the network asked for one. */
  checkpointCode?: string;
}

/** Why a login failed, as the gateway must tell the user. */
export type MessengerLoginFailure = "bad-credentials" | "checkpoint-required" | "wrong-checkpoint-code";

export class MessengerLoginError extends Error {
  override readonly name = "MessengerLoginError";

  constructor(
    readonly reason: MessengerLoginFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface MessengerUser {
  id: string;
  name: string;
  /** Messenger's "active now"; inactive friends show as offline. */
  active: boolean;
  /** When an inactive friend was last active (ms since the epoch), when the network says. */
  lastActiveMs?: number;
}

export interface MessengerThread {
  id: string;
  name: string;
  isGroup: boolean;
  participantIds: string[];
}

/** A mention in a message's text: `length` UTF-16 units from `offset` name the user `id`. */
export interface MessengerMention {
  id: string;
  offset: number;
  length: number;
}

export interface MessengerMessage {
  threadId: string;
  messageId: string;
  senderId: string;
  text: string;
  timestampMs: number;
  /** The message this one answers. */
  replyTo?: string;
  mentions: MessengerMention[];
  /** Sent by the user themselves, from another device (the official app). */
  fromMe: boolean;
}

/** Events in (network → gateway); each arrives on a later turn of the event loop, as from a server. */
export interface MessengerEvents {
  message: [MessengerMessage];
  messageEdit: [{ threadId: string; messageId: string; senderId: string; newText: string }];
  messageUnsend: [{ threadId: string; messageId: string; senderId: string }];
  /** Messenger keeps one reaction per person and message; `null` removes it. */
  reaction: [{ threadId: string; messageId: string; actorId: string; reaction: string | null }];
  typing: [{ threadId: string; senderId: string; isTyping: boolean }];
  /** `readerId` has read the thread up to the message `lastReadMessageId`. */
  readReceipt: [{ threadId: string; readerId: string; lastReadMessageId: string; timestampMs: number }];
  presence: [{ userId: string; active: boolean; lastActiveMs?: number }];
}

/** One logged-in Messenger account. */
export interface MessengerClient extends EventEmitter<MessengerEvents> {
  /** Logs in; rejects with a MessengerLoginError the user can act on. Resolves to the account's id. */
  login(credentials: MessengerCredentials): Promise<string>;
  logout(): Promise<void>;

  // ---- actions out (gateway → network) ----
  /** Sends a text; resolves to its message id once the network has it. */
  sendMessage(threadId: string, message: { text: string; replyToId?: string }): Promise<string>;
  editMessage(messageId: string, newText: string): Promise<void>;
  unsendMessage(messageId: string): Promise<void>;
  sendReaction(threadId: string, messageId: string, reaction: string | null): Promise<void>;
  sendTypingIndicator(threadId: string, isTyping: boolean): Promise<void>;
  markAsRead(threadId: string, upToMessageId: string): Promise<void>;

  // ---- queries ----
  getFriends(): Promise<MessengerUser[]>;
  /** Friends whose name contains `query` (case-insensitive). */
  searchFriends(query: string): Promise<MessengerUser[]>;
  getThreads(): Promise<MessengerThread[]>;
}
