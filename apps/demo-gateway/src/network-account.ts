/** What the demo network keeps per account (the state file and the send log both hold it). */

/** The user's own message as the demo network keeps it, and echo's answer to it. */
export interface SentMessage {
  to: string;
  replyId?: string;
}

export interface OwnPresence {
  show: string;
  status?: string | undefined;
}

/** The user's profile picture on the demo network (type and size are all it keeps). */
export interface OwnAvatar {
  type: string;
  bytes: number;
}

/** A message the network delivered toward the user, kept so a gateway can ask for it again. */
export interface LoggedMessage {
  /** The account's event sequence number: what a replay cursor names. */
  seq: number;
  from: string;
  id: string;
  text: string;
  replyTo?: string;
  /** When the network delivered it (ms since the epoch). */
  at: number;
}

/**
 * What the demo "cloud" remembers of one account, across logins and gateway restarts: like a
 * real network, a message sent before the gateway restarted can still be reacted to or edited.
 */
export interface DemoAccount {
  nextId: number;
  /** user message id → what echo did about it; lets corrections/retractions follow echo's reply */
  readonly sent: Map<string, SentMessage>;
  /** echo's reply id → the user message it answered (the inverse of `sent`'s reply ids) */
  readonly echoReplies: Map<string, string>;
  presence: OwnPresence;
  avatar: OwnAvatar | null;
  /** The next event's sequence number (see `log`). */
  nextSeq: number;
  /** The latest messages delivered toward the user, oldest first, bounded (see DemoClient). */
  readonly log: LoggedMessage[];
}

export function newAccount(): DemoAccount {
  return {
    nextId: 1,
    sent: new Map(),
    echoReplies: new Map(),
    presence: { show: "online" },
    avatar: null,
    nextSeq: 1,
    log: [],
  };
}
