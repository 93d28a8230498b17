/**
 * The narrow, typed view of `@xaviabot/fca-unofficial@1.4.0` that the adapter relies on: only the
 * calls it makes and the event fields it reads. The library's own `index.d.ts` is hand-written and
 * wrong in places (noted below, checked against its `src/*.js`); `fca-types.test.ts` assigns the
 * d.ts's types to these, so `tsc` fails if the two drift apart where they agree. Nothing outside
 * this file sees the library's loose shapes.
 */
import type { Readable } from "node:stream";

/** One cookie of an "app state" export: what `getAppState()` returns and `login` takes. */
export interface FcaCookie {
  key: string;
  value: string;
  domain: string;
  path?: string;
  expires?: string;
  hostOnly?: boolean;
  creation?: string;
  lastAccessed?: string;
}

/**
 * What `login` takes. The d.ts says `appState: { appState: Cookie[] }`, but `index.js`
 * (`loginHelper`) and DOCS.md pass the cookie array itself (`appState.map(…)`): we follow the code.
 */
export type FcaCredentials = { email: string; password: string } | { appState: FcaCookie[] };

/** The options we set, all explicitly (see FCA_OPTIONS in fca-login.ts for why each). */
export interface FcaOptions {
  listenEvents: boolean;
  selfListen: boolean;
  listenTyping: boolean;
  updatePresence: boolean;
  autoMarkDelivery: boolean;
  autoMarkRead: boolean;
  autoReconnect: boolean;
  emitReady: boolean;
  online: boolean;
  forceLogin: boolean;
  logLevel: "silly" | "verbose" | "info" | "http" | "warn" | "error" | "silent";
}

/**
 * What the library rejects a login with: a plain object with an `error` string (never an Error),
 * and for a login checkpoint ("login-approval") a `continue(code)` that submits the code and
 * settles like `login` itself (its rejection is "login-approval" again when the code is wrong).
 */
export interface FcaLoginRejection {
  error: string;
  continue?: (code: string) => Promise<FcaApi>;
}

export type FcaLoginFunction = (credentials: FcaCredentials, options: Partial<FcaOptions>) => Promise<FcaApi>;

/** Node-style callbacks; the library passes plain objects (`{ error }`) as often as Errors. */
export type FcaCallback<T = void> = (err?: unknown, result?: T) => void;

export interface FcaSendResult {
  threadID: string;
  messageID: string;
  timestamp: number;
}

export interface FcaMessageObject {
  body: string;
  attachment?: Readable | Readable[];
}

export interface FcaFriend {
  userID: string;
  fullName: string;
  profilePicture: string;
  isFriend: boolean;
}

export interface FcaThreadListParticipant {
  userID: string;
  name: string;
}

export interface FcaThreadListItem {
  threadID: string;
  name: string;
  imageSrc: string;
  participants: FcaThreadListParticipant[];
  adminIDs: string[];
  isGroup: boolean;
}

export interface FcaThreadInfo {
  threadID: string;
  adminIDs: string[];
}

/**
 * An attachment of a `message` / `message_reply` event, as DOCS.md's attachments table and
 * `utils._formatAttachment` describe it (the fields the adapter reads). The library marks one it
 * could not parse as `type: "unknown"`.
 */
export type FcaAttachment =
  | {
      type: "photo";
      ID: string;
      filename: string;
      url: string;
      largePreviewUrl?: string;
      previewUrl?: string;
    }
  | { type: "animated_image"; ID: string; filename: string; url: string; previewUrl?: string }
  | { type: "video"; ID: string; filename: string; url: string; duration?: number }
  | {
      type: "audio";
      ID: string;
      filename: string;
      url: string;
      duration?: number;
      isVoiceMail?: boolean;
      audioType?: string;
    }
  | { type: "file"; ID: string; filename: string; url: string; contentType?: string }
  | { type: "sticker"; ID: string; url: string; caption?: string; description?: string }
  | { type: "share"; ID: string; url: string; title?: string }
  | { type: "location"; ID: string; url: string; address?: string };

/** A `message` event; `timestamp` (ms, often a string) is in the code but not in the d.ts. */
export interface FcaMessageEvent {
  type: "message";
  threadID: string;
  messageID: string;
  senderID: string;
  body: string;
  attachments: FcaAttachment[];
  mentions: { [id: string]: string };
  isGroup: boolean;
  timestamp?: string | number;
}

export interface FcaMessageReplyEvent extends Omit<FcaMessageEvent, "type"> {
  type: "message_reply";
  /** Missing when the library could not fetch the replied-to message. */
  messageReply?: { messageID: string };
}

/** `log:*` events, the kinds a thread update is made of (others are ignored). */
export type FcaThreadEvent = {
  type: "event";
  threadID: string;
  author: string;
} & (
  | { logMessageType: "log:thread-name"; logMessageData: { name: string } }
  | { logMessageType: "log:thread-image"; logMessageData: { image: { url: string } } }
  | { logMessageType: "log:subscribe"; logMessageData: { addedParticipants: { userFbId: string }[] } }
  | { logMessageType: "log:unsubscribe"; logMessageData: { leftParticipantFbId: string } }
  | {
      logMessageType: "log:thread-admins";
      logMessageData: { TARGET_ID: string; ADMIN_EVENT: "add_admin" | "remove_admin" };
    }
);

/** Everything `listenMqtt` reports that the adapter maps (DOCS.md's "Message" table). */
export type FcaEvent =
  | FcaMessageEvent
  | FcaMessageReplyEvent
  | FcaThreadEvent
  | { type: "message_reaction"; threadID: string; messageID: string; reaction?: string; userID: string }
  | { type: "message_unsend"; threadID: string; messageID: string; senderID: string }
  | { type: "typ"; threadID: string; from: string; isTyping: boolean }
  | { type: "read_receipt"; threadID: string; reader: string; time: number | string }
  | { type: "read"; threadID: string; time: number | string }
  | { type: "presence"; userID: string; statuses: number; timestamp: number };

/** What `listenMqtt` returns. */
export interface FcaListener {
  stopListening: (callback?: () => void) => void;
}

/** Everything the library reports through `listenMqtt`'s callback: the events of fca-events.ts. */
export type FcaListenCallback = (err: unknown, event: unknown) => void;

/**
 * The library's `api` object, as far as the adapter uses it. Where the d.ts promises a Promise but
 * the code returns something else, the return type here is `unknown` and the adapter checks:
 * `sendTypingIndicator` returns an `end()` function, `editMessage` returns nothing (it publishes a
 * task whose answer the library never reads), `markAsRead` resolves to an error object instead
 * of rejecting.
 */
export interface FcaApi {
  getAppState: () => unknown;
  getCurrentUserID: () => string;
  listenMqtt: (callback?: FcaListenCallback) => FcaListener;
  sendMessage: (
    message: FcaMessageObject,
    threadID: string,
    callback?: FcaCallback<FcaSendResult>,
    replyMessageID?: string,
    isGroup?: boolean,
  ) => unknown;
  editMessage: (text: string, messageID: string, callback?: FcaCallback) => unknown;
  unsendMessage: (messageID: string, callback?: FcaCallback) => unknown;
  setMessageReaction: (reaction: string, messageID: string, callback?: FcaCallback) => unknown;
  sendTypingIndicator: (threadID: string, callback?: FcaCallback, isGroup?: boolean) => unknown;
  markAsRead: (threadID: string, read?: boolean, callback?: FcaCallback) => Promise<unknown>;
  setTitle: (newTitle: string, threadID: string, callback?: FcaCallback) => unknown;
  getFriendsList: (callback?: FcaCallback<FcaFriend[]>) => unknown;
  getThreadList: (
    limit: number,
    timestamp: number | null,
    tags: string[],
    callback?: FcaCallback<FcaThreadListItem[]>,
  ) => unknown;
  getThreadInfo: (threadID: string, callback?: FcaCallback<FcaThreadInfo>) => unknown;
}
