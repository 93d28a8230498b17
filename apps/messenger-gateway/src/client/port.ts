import type { EventEmitter } from "node:events";
import type { Readable } from "node:stream";

/**
 * The port between the gateway classes and a Messenger client library. The gateway speaks only
 * this; each backend (the in-memory `fake`, later the `fca` adapter) fills it, so the protocol
 * library can be replaced without touching the gateway. Shaped after the libraries' own event
 * model (typed events in, actions out). Ids are strings end to end: Facebook's exceed 2^53.
 */

/** A login: email and password (with a checkpoint's code when asked), or a browser's cookie export. */
export type MessengerCredentials =
  | {
      email: string;
      password: string;
      /** The code of a login checkpoint ("confirm it's you"), when the network asked for one. */
      checkpointCode?: string;
    }
  | {
      /** A logged-in browser's cookies as "app state" JSON (an array of `{ key, value, domain, … }`). */
      appState: string;
    };

/**
 * Why a login failed, as the gateway must tell the user. `checkpoint-browser` is a checkpoint no
 * code can pass (the network wants the user in a browser); `session-expired` a saved session the
 * network no longer accepts; `bad-app-state` a cookie export that is not one.
 */
export type MessengerLoginFailure =
  | "bad-credentials"
  | "checkpoint-required"
  | "wrong-checkpoint-code"
  | "checkpoint-browser"
  | "session-expired"
  | "bad-app-state";

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
  /** Where the profile picture is, for `downloadImage`. */
  avatarUrl?: string;
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
  /** Participants who administer the group thread. */
  adminIds?: string[];
  /** Where the group's picture is, for `downloadImage`. */
  imageUrl?: string;
}

/** Messenger's attachment kinds; anything else it sends (links, locations) arrives as text. */
export type MessengerAttachmentKind = "image" | "gif" | "video" | "audio" | "voice" | "sticker" | "file";

/** A file on a message, as the network describes it; its bytes come from `downloadAttachment`. */
export interface MessengerAttachment {
  id: string;
  kind: MessengerAttachmentKind;
  /** Where the network serves it. */
  url: string;
  fileName?: string;
  mimeType?: string;
  size?: number;
  /** A sticker's meaning (its emoji or label), a voice message's length. */
  description?: string;
  durationMs?: number;
}

/** A file the user sends: streamed, never whole in memory. */
export interface MessengerOutgoingFile {
  stream: Readable;
  fileName: string;
  mimeType: string;
  size?: number;
  kind: MessengerAttachmentKind;
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
  /** Files sent with the text (an album has several); the text is then their caption, or empty. */
  attachments: MessengerAttachment[];
}

/** A change to a group thread: any of the fields that changed. */
export interface MessengerThreadUpdate {
  threadId: string;
  /** Who changed it (may be the user, from the official app). */
  actorId: string;
  name?: string;
  /** The picture changed: fetch it again through `downloadImage(imageUrl)`; `null` removed it. */
  imageUrl?: string | null;
  added?: string[];
  removed?: string[];
  adminIds?: string[];
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
  threadUpdate: [MessengerThreadUpdate];
  /** A new friend, or a friend's new name or picture. */
  friendUpdate: [MessengerUser];
  /** The network refreshed the session (new cookies): save `exportSession()` again. */
  sessionChanged: [];
  /**
   * The connection to the network: `reconnecting` after a drop (the client retries by itself),
   * `connected` again after, `logged-out` when the network ended the session (log in again).
   */
  connection: [{ state: "connected" | "reconnecting" | "logged-out"; reason?: string }];
}

/** One logged-in Messenger account. */
export interface MessengerClient extends EventEmitter<MessengerEvents> {
  /** Logs in; rejects with a MessengerLoginError the user can act on. Resolves to the account's id. */
  login(credentials: MessengerCredentials): Promise<string>;
  /**
   * Resumes a session saved from `exportSession`, without logging in again (no new checkpoint);
   * rejects with a MessengerLoginError (`session-expired`) when the network no longer takes it.
   */
  resume(session: string): Promise<string>;
  /** The logged-in session (cookies and whatever else resuming needs), to keep sealed in the store. */
  exportSession(): Promise<string>;
  /** Ends this client's connection; the session stays valid for `resume`. */
  logout(): Promise<void>;

  // ---- actions out (gateway → network) ----
  /** Sends a text; resolves to its message id once the network has it. */
  sendMessage(threadId: string, message: { text: string; replyToId?: string }): Promise<string>;
  editMessage(messageId: string, newText: string): Promise<void>;
  unsendMessage(messageId: string): Promise<void>;
  sendReaction(threadId: string, messageId: string, reaction: string | null): Promise<void>;
  sendTypingIndicator(threadId: string, isTyping: boolean): Promise<void>;
  markAsRead(threadId: string, upToMessageId: string): Promise<void>;
  /** Sends files (an album when several) with an optional caption; resolves to the message id. */
  sendAttachments(
    threadId: string,
    files: MessengerOutgoingFile[],
    options: { text?: string; replyToId?: string },
  ): Promise<string>;
  renameThread(threadId: string, name: string): Promise<void>;

  // ---- queries ----
  getFriends(): Promise<MessengerUser[]>;
  /** Friends whose name contains `query` (case-insensitive). */
  searchFriends(query: string): Promise<MessengerUser[]>;
  getThreads(): Promise<MessengerThread[]>;
  /** An attachment's bytes, streamed from the network. */
  downloadAttachment(attachment: MessengerAttachment): Promise<Readable>;
  /** A profile or group picture (`avatarUrl`, `imageUrl`); `null` when the network has none there. */
  downloadImage(url: string): Promise<Uint8Array | null>;
}
