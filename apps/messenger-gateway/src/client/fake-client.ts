import { EventEmitter } from "node:events";
import { ALICE, FAKE_FRIENDS, FAKE_THREADS, type FakeAccount, type FakeCloud } from "./fake-cloud.js";
import type { Readable } from "node:stream";
import type {
  MessengerAttachment,
  MessengerClient,
  MessengerOutgoingFile,
  MessengerCredentials,
  MessengerEvents,
  MessengerThread,
  MessengerUser,
} from "./port.js";

/**
 * The `fake` backend's client: one account on the FakeCloud. alice.fb reads every message in her
 * threads (alice.fb and family) and answers X with "seen: X" as a reply to it; she follows the
 * user's edits and unsends of that message, reacts as the user reacted to her answer, and types
 * back. Every event comes on a later turn of the event loop, as from a server.
 */
export class FakeMessengerClient extends EventEmitter<MessengerEvents> implements MessengerClient {
  private account: FakeAccount | undefined;

  constructor(private readonly cloud: FakeCloud) {
    super();
  }

  async login(credentials: MessengerCredentials): Promise<string> {
    this.account = this.cloud.authenticate(credentials);
    return credentials.email.trim().toLowerCase();
  }

  async logout(): Promise<void> {
    this.account = undefined;
    this.removeAllListeners();
  }

  private requireAccount(): FakeAccount {
    if (!this.account) throw new Error("not logged in to the fake Messenger cloud");
    return this.account;
  }

  private thread(threadId: string): MessengerThread {
    const thread = FAKE_THREADS.find((t) => t.id === threadId);
    if (!thread) throw new Error("no such Messenger thread");
    return thread;
  }

  /** Emits on a later turn, and only while still logged in (a logout drops what was on its way). */
  private later<K extends keyof MessengerEvents>(event: K, ...args: MessengerEvents[K]): void {
    setImmediate(() => {
      if (this.account) (this.emit as (e: K, ...a: MessengerEvents[K]) => boolean)(event, ...args);
    });
  }

  async sendMessage(threadId: string, message: { text: string; replyToId?: string }): Promise<string> {
    const account = this.requireAccount();
    const thread = this.thread(threadId);
    const messageId = this.cloud.newId(account);
    if (!thread.participantIds.includes(ALICE)) {
      this.cloud.remember(account, messageId, { threadId });
      return messageId;
    }
    const answerId = this.cloud.newId(account);
    this.cloud.remember(account, messageId, { threadId, answerId });
    const now = Date.now();
    this.later("readReceipt", { threadId, readerId: ALICE, lastReadMessageId: messageId, timestampMs: now });
    this.later("message", {
      threadId,
      messageId: answerId,
      senderId: ALICE,
      text: `seen: ${message.text}`,
      timestampMs: now,
      replyTo: messageId,
      mentions: [],
      fromMe: false,
    });
    return messageId;
  }

  async editMessage(messageId: string, newText: string): Promise<void> {
    const record = this.requireAccount().sent.get(messageId);
    if (record?.answerId === undefined) return;
    this.later("messageEdit", {
      threadId: record.threadId,
      messageId: record.answerId,
      senderId: ALICE,
      newText: `seen: ${newText}`,
    });
  }

  async unsendMessage(messageId: string): Promise<void> {
    const account = this.requireAccount();
    const record = account.sent.get(messageId);
    if (!record) return;
    this.cloud.forget(account, messageId);
    if (record.answerId !== undefined)
      this.later("messageUnsend", { threadId: record.threadId, messageId: record.answerId, senderId: ALICE });
  }

  /** A reaction to one of alice.fb's answers: she reacts the same on the message it answered. */
  async sendReaction(threadId: string, messageId: string, reaction: string | null): Promise<void> {
    const answered = this.requireAccount().answered.get(messageId);
    if (answered === undefined) return;
    this.later("reaction", { threadId, messageId: answered, actorId: ALICE, reaction });
  }

  async sendTypingIndicator(threadId: string, isTyping: boolean): Promise<void> {
    this.requireAccount();
    if (this.thread(threadId).participantIds.includes(ALICE))
      this.later("typing", { threadId, senderId: ALICE, isTyping });
  }

  /** The fake cloud keeps no read state: accepting it is all there is to do. */
  async markAsRead(threadId: string, _upToMessageId: string): Promise<void> {
    this.requireAccount();
    this.thread(threadId);
  }

  async getFriends(): Promise<MessengerUser[]> {
    this.requireAccount();
    return FAKE_FRIENDS.map((friend) => ({ ...friend }));
  }

  async searchFriends(query: string): Promise<MessengerUser[]> {
    const needle = query.trim().toLowerCase();
    const friends = await this.getFriends();
    if (!needle) return [];
    return friends.filter((f) => f.name.toLowerCase().includes(needle) || f.id.includes(needle));
  }

  async getThreads(): Promise<MessengerThread[]> {
    this.requireAccount();
    return FAKE_THREADS.map((thread) => ({ ...thread, participantIds: [...thread.participantIds] }));
  }

  // ---- to be written (issue 14): the port's newer actions, stubbed until the fake cloud has them ----
  async resume(_session: string): Promise<string> {
    throw new Error("not implemented yet");
  }

  async exportSession(): Promise<string> {
    throw new Error("not implemented yet");
  }

  async sendAttachments(
    _threadId: string,
    _files: MessengerOutgoingFile[],
    _options: { text?: string; replyToId?: string },
  ): Promise<string> {
    throw new Error("not implemented yet");
  }

  async renameThread(_threadId: string, _name: string): Promise<void> {
    throw new Error("not implemented yet");
  }

  async downloadAttachment(_attachment: MessengerAttachment): Promise<Readable> {
    throw new Error("not implemented yet");
  }

  async downloadImage(_url: string): Promise<Uint8Array | null> {
    throw new Error("not implemented yet");
  }
}
