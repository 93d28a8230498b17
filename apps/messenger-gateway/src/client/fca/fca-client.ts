import { EventEmitter } from "node:events";
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import type {
  MessengerAttachment,
  MessengerClient,
  MessengerCredentials,
  MessengerEvents,
  MessengerOutgoingFile,
  MessengerThread,
  MessengerUser,
} from "../port.js";
import { FcaEchoFilter } from "./fca-echoes.js";
import { FcaEventMapper, type PortEvent, threadOf } from "./fca-events.js";
import { type FetchFunction, fetchBounded, readAll, spoolForUpload } from "./fca-files.js";
import {
  cookieLogin,
  type FcaCheckpoints,
  parseAppState,
  passwordLogin,
  sessionFingerprint,
  sharedFcaCheckpoints,
} from "./fca-login.js";
import type {
  FcaApi,
  FcaCallback,
  FcaListener,
  FcaLoginFunction,
  FcaSendResult,
  FcaThreadListItem,
} from "./fca-types.js";

export interface FcaClientOptions {
  /** The library's `login`; defaults to `require("@xaviabot/fca-unofficial")`, loaded at first login. */
  login?: FcaLoginFunction;
  /** Logins waiting for a checkpoint code; defaults to the one shared by the whole process. */
  checkpoints?: FcaCheckpoints;
  /** Downloads of attachments and pictures; defaults to Node's fetch. */
  fetch?: FetchFunction;
  /** The largest attachment downloaded (default 100 MiB) and picture (default 10 MiB). */
  maxAttachmentBytes?: number;
  maxImageBytes?: number;
  /** How many of the most recent threads `getThreads` lists (default 100). */
  threadListLimit?: number;
  /** How often the library's cookies are compared with the last saved ones (default 10 minutes). */
  sessionCheckIntervalMs?: number;
  /** What the library reported and the adapter dropped (an event it could not parse): for the log. */
  onLibraryError?: (summary: string, err: unknown) => void;
}

/** The reactions this library's `setMessageReaction` accepts (DOCS.md, "Supported Emojis"). */
export const FCA_REACTIONS = ["😍", "😆", "😮", "😢", "😠", "👍", "👎", "❤", "💗"] as const;

const FRIENDS_CACHE_MS = 5 * 60_000;

/** The real library, loaded only when a client logs in without an injected `login`. */
export function libraryLogin(): FcaLoginFunction {
  const require = createRequire(import.meta.url);
  return require("@xaviabot/fca-unofficial") as FcaLoginFunction;
}

/**
 * The `fca` backend: one Messenger account through `@xaviabot/fca-unofficial`, the legacy
 * (non-end-to-end-encrypted) web protocol. See the README's "The fca backend" for what it carries.
 */
export class FcaMessengerClient extends EventEmitter<MessengerEvents> implements MessengerClient {
  private readonly checkpoints: FcaCheckpoints;
  private readonly fetchImpl: FetchFunction;
  private api: FcaApi | undefined;
  private listener: FcaListener | undefined;
  private mapper = new FcaEventMapper("");
  private echoes = new FcaEchoFilter("", () => {});
  private selfId = "";
  private generation = 0;
  private sessionTimer: NodeJS.Timeout | undefined;
  private savedFingerprint = "";
  /** Whether each known thread is a group: the library guesses from the id's length otherwise. */
  private readonly isGroup = new Map<string, boolean>();
  /** The `end()` of each thread's running typing indicator. */
  private readonly typingEnds = new Map<string, (callback?: FcaCallback) => unknown>();
  private readonly presence = new Map<string, { active: boolean; lastActiveMs?: number }>();
  private friendsCache: { at: number; friends: MessengerUser[] } | undefined;

  constructor(private readonly options: FcaClientOptions = {}) {
    super();
    this.checkpoints = options.checkpoints ?? sharedFcaCheckpoints;
    this.fetchImpl = options.fetch ?? ((input, init) => fetch(input, init));
  }

  private loginFunction(): FcaLoginFunction {
    return this.options.login ?? libraryLogin();
  }

  async login(credentials: MessengerCredentials): Promise<string> {
    if ("appState" in credentials)
      return this.start(await cookieLogin(this.loginFunction(), parseAppState(credentials.appState)));
    return this.start(await passwordLogin(this.loginFunction(), this.checkpoints, credentials));
  }

  async resume(session: string): Promise<string> {
    return this.start(await cookieLogin(this.loginFunction(), parseAppState(session, "session-expired")));
  }

  async exportSession(): Promise<string> {
    const api = this.requireApi();
    const state = api.getAppState();
    this.savedFingerprint = sessionFingerprint(state);
    return JSON.stringify(state);
  }

  /** Stops listening; never the library's `logout`, which would end the session on Facebook too. */
  async logout(): Promise<void> {
    clearInterval(this.sessionTimer);
    this.sessionTimer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    this.api = undefined;
    this.typingEnds.clear();
    // Not awaited: the library calls back only when its socket exists (never, if it did not connect).
    listener?.stopListening();
  }

  /** A logged-in `api`: listen, and watch the cookies so refreshed ones get saved. */
  private start(api: FcaApi): string {
    if (this.listener) this.listener.stopListening();
    clearInterval(this.sessionTimer);
    this.api = api;
    this.selfId = String(api.getCurrentUserID());
    this.mapper = new FcaEventMapper(this.selfId);
    this.echoes = new FcaEchoFilter(this.selfId, (event) => this.emitOne(event));
    // Reports of an earlier login's listener (or after logout) are not this session's.
    const generation = ++this.generation;
    this.listener = api.listenMqtt((err, event) => {
      if (this.generation === generation && this.api === api) this.onListen(err, event);
    });
    this.savedFingerprint = sessionFingerprint(api.getAppState());
    // A new login is a new session to save; later the cookies are compared now and then, as the
    // library refreshes them with every answer from Facebook but says nothing.
    setImmediate(() => this.api === api && this.emit("sessionChanged"));
    this.sessionTimer = setInterval(
      () => this.checkSession(),
      this.options.sessionCheckIntervalMs ?? 600_000,
    );
    this.sessionTimer.unref();
    return this.selfId;
  }

  private checkSession(): void {
    if (!this.api) return;
    const current = sessionFingerprint(this.api.getAppState());
    if (current === this.savedFingerprint) return;
    this.savedFingerprint = current;
    this.emit("sessionChanged");
  }

  /** One report of `listenMqtt`: an event, or in `err` a connection change or a dropped event. */
  private onListen(err: unknown, event: unknown): void {
    if (err) {
      this.onListenError(err);
      return;
    }
    // Messages say whether their thread is a group: sends to a thread getThreads did not list
    // then need not rely on the library's guess from the id's length.
    const { threadID, isGroup } = (event ?? {}) as { threadID?: unknown; isGroup?: unknown };
    if (typeof isGroup === "boolean" && threadID !== undefined) this.isGroup.set(String(threadID), isGroup);
    if (this.mapper.needsAdmins(event)) {
      // The port wants the whole admin list; fetch it once for a thread getThreads did not list.
      const threadId = String((event as { threadID: unknown }).threadID);
      void this.call<{ adminIDs: string[] }>("read the thread", (cb) =>
        this.requireApi().getThreadInfo(threadId, cb),
      )
        .then((info) => this.mapper.setAdmins(threadId, info.adminIDs.map(String)))
        .catch((e: unknown) => this.options.onLibraryError?.("could not read a thread's admins", e))
        .finally(() => this.emitAll(this.mapper.map(event)));
      return;
    }
    this.emitAll(this.mapper.map(event));
  }

  private onListenError(err: unknown): void {
    const type = typeof err === "object" && err !== null && "type" in err ? err.type : undefined;
    const text = typeof err === "object" && err !== null && "error" in err ? err.error : undefined;
    if (type === "ready") this.emit("connection", { state: "connected" });
    else if (type === "parse_error")
      this.options.onLibraryError?.("dropped an event it could not parse", err);
    else if (text === "Not logged in")
      this.emit("connection", { state: "logged-out", reason: "Facebook ended the session" });
    // The library has stopped listening (it reconnects by itself only after a socket error).
    else this.emit("connection", { state: "logged-out", reason: "the connection to Messenger was lost" });
  }

  private emitAll(events: PortEvent[]): void {
    for (const event of events) {
      if (event.name === "presence") {
        const [{ userId, active, lastActiveMs }] = event.args;
        this.presence.set(userId, { active, ...(lastActiveMs !== undefined && { lastActiveMs }) });
      }
      this.echoes.pass(event);
    }
  }

  private emitOne(event: PortEvent): void {
    (this.emit as (name: string, ...args: unknown[]) => boolean)(event.name, ...event.args);
  }

  private requireApi(): FcaApi {
    if (!this.api) throw new Error("Not logged in to Messenger");
    return this.api;
  }

  /**
   * A library call in its callback form (its promise form does not settle when a callback is
   * given, and some calls have no promise form). Rejections name the action, never the content;
   * the library's own error is the `cause`.
   */
  private call<T>(action: string, invoke: (callback: FcaCallback<T>) => unknown): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fail = (cause: unknown) => reject(new Error(`Messenger could not ${action}`, { cause }));
      try {
        invoke((err, result) => (err ? fail(err) : resolve(result as T)));
      } catch (err) {
        fail(err);
      }
    });
  }

  // ---- actions out ----

  async sendMessage(threadId: string, message: { text: string; replyToId?: string }): Promise<string> {
    const api = this.requireApi();
    return this.echoes.sending(threadId, async () => {
      const sent = await this.call<FcaSendResult>("send the message", (cb) =>
        api.sendMessage({ body: message.text }, threadId, cb, message.replyToId, this.isGroup.get(threadId)),
      );
      return this.noteSent(threadId, sent);
    });
  }

  async sendAttachments(
    threadId: string,
    files: MessengerOutgoingFile[],
    options: { text?: string; replyToId?: string },
  ): Promise<string> {
    if (files.length === 0) throw new Error("No file to send");
    const api = this.requireApi();
    const { streams, cleanup } = await spoolForUpload(files);
    try {
      return await this.echoes.sending(threadId, async () => {
        const sent = await this.call<FcaSendResult>("send the files", (cb) =>
          api.sendMessage(
            { body: options.text ?? "", attachment: streams },
            threadId,
            cb,
            options.replyToId,
            this.isGroup.get(threadId),
          ),
        );
        return this.noteSent(threadId, sent);
      });
    } finally {
      for (const stream of streams) stream.destroy();
      await cleanup();
    }
  }

  private noteSent(threadId: string, sent: FcaSendResult | undefined): string {
    if (!sent?.messageID) throw new Error("Messenger did not say which message it sent");
    const messageId = String(sent.messageID);
    this.mapper.noteMessage(threadId, messageId, Number(sent.timestamp) || Date.now());
    return messageId;
  }

  /**
   * This library sends an edit as a Lightspeed task and never reads the answer (its callback is
   * never called): the edit is sent, unconfirmed. It throws when the socket is not up.
   */
  async editMessage(messageId: string, newText: string): Promise<void> {
    const api = this.requireApi();
    try {
      api.editMessage(newText, messageId);
    } catch (cause) {
      throw new Error("Messenger could not edit the message (not connected)", { cause });
    }
  }

  async unsendMessage(messageId: string): Promise<void> {
    const api = this.requireApi();
    this.echoes.expect("unsend", messageId, "");
    await this.call("unsend the message", (cb) => api.unsendMessage(messageId, cb));
  }

  async sendReaction(_threadId: string, messageId: string, reaction: string | null): Promise<void> {
    const api = this.requireApi();
    // The XMPP side's "❤️" carries a variation selector the library's list does not.
    const emoji = reaction === null ? "" : reaction.replaceAll("\uFE0F", "");
    if (emoji !== "" && !(FCA_REACTIONS as readonly string[]).includes(emoji))
      throw new Error(
        `Messenger (through the fca library) takes only these reactions: ${FCA_REACTIONS.join(" ")}`,
      );
    this.echoes.expect("reaction", messageId, emoji);
    await this.call("react", (cb) => api.setMessageReaction(emoji, messageId, cb));
  }

  /** The library's indicator is on until its `end()` is called (or 30 s pass). */
  async sendTypingIndicator(threadId: string, isTyping: boolean): Promise<void> {
    const api = this.requireApi();
    const running = this.typingEnds.get(threadId);
    this.typingEnds.delete(threadId);
    if (!isTyping) {
      if (running) await this.call("stop the typing indicator", (cb) => running(cb));
      return;
    }
    await this.call("send the typing indicator", (cb) => {
      const end = api.sendTypingIndicator(threadId, cb, this.isGroup.get(threadId));
      if (typeof end === "function")
        this.typingEnds.set(threadId, end as (callback?: FcaCallback) => unknown);
    });
  }

  /** The library marks a whole thread read (there is no "up to"): the newest message is read. */
  async markAsRead(threadId: string, _upToMessageId: string): Promise<void> {
    const api = this.requireApi();
    // It resolves to its error rather than rejecting (and never calls back on success).
    const failure = await api.markAsRead(threadId, true);
    if (failure) throw new Error("Messenger could not mark the thread read", { cause: failure });
  }

  async renameThread(threadId: string, name: string): Promise<void> {
    const api = this.requireApi();
    this.echoes.expect("rename", threadId, name);
    await this.call("rename the thread", (cb) => api.setTitle(name, threadId, cb));
  }

  // ---- queries ----

  async getFriends(): Promise<MessengerUser[]> {
    const api = this.requireApi();
    const list = await this.call<{ userID: string; fullName: string; profilePicture: string }[]>(
      "list the friends",
      (cb) => api.getFriendsList(cb),
    );
    const friends = (list ?? []).map((friend): MessengerUser => {
      const id = String(friend.userID);
      const seen = this.presence.get(id);
      return {
        id,
        name: friend.fullName || id,
        ...(friend.profilePicture && { avatarUrl: friend.profilePicture }),
        active: seen?.active ?? false,
        ...(seen?.lastActiveMs !== undefined && { lastActiveMs: seen.lastActiveMs }),
      };
    });
    this.friendsCache = { at: Date.now(), friends };
    return friends.map((friend) => ({ ...friend }));
  }

  async searchFriends(query: string): Promise<MessengerUser[]> {
    const needle = query.trim().toLowerCase();
    if (!needle) return [];
    const cached = this.friendsCache;
    const friends =
      cached && Date.now() - cached.at < FRIENDS_CACHE_MS ? cached.friends : await this.getFriends();
    return friends.filter((f) => f.name.toLowerCase().includes(needle)).map((f) => ({ ...f }));
  }

  async getThreads(): Promise<MessengerThread[]> {
    const api = this.requireApi();
    const limit = this.options.threadListLimit ?? 100;
    const list = await this.call<FcaThreadListItem[]>("list the threads", (cb) =>
      api.getThreadList(limit, null, ["INBOX"], cb),
    );
    return (list ?? []).map((item) => {
      const thread = threadOf(item);
      this.isGroup.set(thread.id, thread.isGroup);
      if (thread.isGroup) this.mapper.setAdmins(thread.id, thread.adminIds ?? []);
      return thread;
    });
  }

  async downloadAttachment(attachment: MessengerAttachment): Promise<Readable> {
    const stream = await fetchBounded(
      this.fetchImpl,
      attachment.url,
      this.options.maxAttachmentBytes ?? 100 * 2 ** 20,
    );
    if (!stream) throw new Error("Messenger no longer has this attachment");
    return stream;
  }

  async downloadImage(url: string): Promise<Uint8Array | null> {
    const stream = await fetchBounded(this.fetchImpl, url, this.options.maxImageBytes ?? 10 * 2 ** 20);
    return stream ? readAll(stream) : null;
  }
}
