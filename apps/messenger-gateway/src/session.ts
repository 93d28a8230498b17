import {
  BaseSession,
  type ChatState,
  type FormValues,
  type GatewayHost,
  type IncomingFile,
  type OutgoingMessage,
  type SearchResult,
  XmppError,
} from "@gangway/core";
import {
  type MessengerClient,
  MessengerLoginError,
  type MessengerThread,
  type MessengerUser,
} from "./client/port.js";
import { MessengerContact } from "./contact.js";
import { outgoingFileOf } from "./files.js";
import { asRefusal, credentialsOf } from "./registration.js";
import { MessengerRoom } from "./room.js";
import { listenTo } from "./session-events.js";

/** What a session needs of its gateway (MessengerGateway is one; declared here, not imported). */
export interface MessengerHost extends GatewayHost {
  /** A client of the backend `--backend` names. */
  newClient(): MessengerClient;
  /** The reactions the backend can send, or undefined for any. */
  readonly reactions: ReadonlySet<string> | undefined;
}

/** A 1:1 chat or a group thread: the session's hooks act on either by its thread id. */
type MessengerChat = MessengerContact | MessengerRoom;

/** The legacy data key of the saved session (sealed in the store with the rest of the legacy data). */
const SESSION_KEY = "session";

export class MessengerSession extends BaseSession<MessengerHost, MessengerContact> {
  static override Contact = MessengerContact;
  static override Room = MessengerRoom;
  client!: MessengerClient; // set by login(): the core calls no hook before the session is connected
  /** The account's friends by id, as the network listed them at login and its events update. */
  readonly friends = new Map<string, MessengerUser>();
  /** The account's threads by id (1:1 and groups), as listed at login and updated by `threadUpdate`. */
  readonly threads = new Map<string, MessengerThread>();
  readonly groupThreads = new Set<string>();
  /** The account's own id on Messenger, as the network reported it at login. */
  selfId = "";
  /** The user's nick in group threads: their email's local part. */
  ownNick = "";
  /** Threads asked of the network since the login (see `discoverThread`). */
  private readonly discovering = new Map<string, Promise<MessengerThread | undefined>>();
  /** Saves of the session, one after the other (the newest wins). */
  private saving: Promise<unknown> = Promise.resolve();

  /**
   * Resumes the saved session when there is one (no new login, no new checkpoint); logs in with
   * the registration's credentials when there is none or it expired, and saves the new session.
   * A cookie export is no credential once its session was saved and has ended: the user is told
   * to register again.
   */
  override async login(): Promise<string> {
    // A re-login: the client of the last login goes (its session may still be the one to resume).
    await this.client
      ?.logout()
      .catch((err: unknown) => this.log.warn({ err }, "could not close the last client"));
    const client = this.gateway.newClient();
    const registration = credentialsOf(this.registration);
    const saved = this.user.legacyData?.[SESSION_KEY];
    let selfId: string | undefined;
    if (typeof saved === "string") {
      try {
        selfId = await client.resume(saved);
      } catch (err) {
        if (!(err instanceof MessengerLoginError && err.reason === "session-expired")) throw asRefusal(err);
        this.log.info("the saved Messenger session has ended; logging in again");
        if ("appState" in registration) throw asRefusal(err);
      }
    }
    try {
      selfId ??= await client.login(registration);
    } catch (err) {
      throw asRefusal(err);
    }
    this.client = client;
    this.selfId = selfId;
    await this.saveSession();
    this.friends.clear();
    this.threads.clear();
    this.groupThreads.clear();
    this.discovering.clear();
    for (const friend of await client.getFriends()) this.friends.set(friend.id, friend);
    for (const thread of await client.getThreads()) {
      this.threads.set(thread.id, thread);
      if (thread.isGroup) this.groupThreads.add(thread.id);
    }
    const email = "email" in registration ? registration.email : undefined;
    this.ownNick = email?.split("@")[0] || "Me";
    listenTo(this, client);
    return `Logged in as ${email ?? selfId}`;
  }

  /** Keeps the client's current session sealed in the user's legacy data, for the next start. */
  saveSession(): Promise<void> {
    const save = this.saving.then(async () => {
      const session = await this.client.exportSession();
      const legacyData = { ...this.user.legacyData, [SESSION_KEY]: session };
      await this.gateway.store.users.update(this.userJid, { legacyData });
      this.user.legacyData = legacyData;
    });
    this.saving = save.catch(() => undefined);
    return save;
  }

  /**
   * A thread the login did not list (a group the user was added to since, an older thread): asked
   * of the network once; a group found becomes a room the user is told of (bookmark or invitation).
   */
  discoverThread(threadId: string): Promise<MessengerThread | undefined> {
    let found = this.discovering.get(threadId);
    if (!found) {
      found = this.client.getThreads().then(async (threads) => {
        const thread = threads.find((t) => t.id === threadId);
        if (!thread) return undefined;
        this.threads.set(thread.id, thread);
        if (thread.isGroup) {
          this.groupThreads.add(thread.id);
          await this.rooms.add(thread.id);
        }
        return thread;
      });
      this.discovering.set(threadId, found);
    }
    return found;
  }

  /** Makes the session's legacy event a failure that is logged, never thrown into the client's event loop. */
  logged(what: string, action: Promise<unknown>): void {
    action.catch((err: unknown) => this.log.error({ err }, what));
  }

  override async *listContacts(): AsyncIterable<MessengerContact> {
    for (const id of this.friends.keys()) yield this.contacts.byLegacyId(id);
  }

  override async *listRooms(): AsyncIterable<MessengerRoom> {
    for (const id of this.groupThreads) yield (await this.rooms.byLegacyId(id)) as MessengerRoom;
  }

  override async onMessage(chat: MessengerChat, message: OutgoingMessage): Promise<string> {
    return this.client.sendMessage(chat.legacyId, {
      text: message.body,
      ...(message.replyTo && { replyToId: message.replyTo.legacyId }),
    });
  }

  /** The user's upload, streamed to Messenger (a voice message when it is Ogg/Opus audio). */
  override async onFile(chat: MessengerChat, file: IncomingFile, message: OutgoingMessage): Promise<string> {
    const outgoing = await outgoingFileOf(file);
    try {
      return await this.client.sendAttachments(chat.legacyId, [outgoing], {
        ...(message.replyTo && { replyToId: message.replyTo.legacyId }),
      });
    } catch (err) {
      if (err instanceof XmppError) throw err;
      throw new XmppError(
        "not-acceptable",
        `Messenger did not take the file: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  override async onCorrect(_chat: MessengerChat, legacyId: string, body: string): Promise<void> {
    await this.client.editMessage(legacyId, body);
  }

  override async onRetract(_chat: MessengerChat, legacyId: string): Promise<void> {
    await this.client.unsendMessage(legacyId);
  }

  /** Messenger keeps one reaction per person: the last of the set, or none. */
  override async onReact(chat: MessengerChat, legacyId: string, emojis: readonly string[]): Promise<void> {
    await this.client.sendReaction(chat.legacyId, legacyId, emojis.at(-1) ?? null);
  }

  /** What the backend can send (the fca library takes nine emojis), advertised and enforced by the core. */
  override async availableReactions(): Promise<ReadonlySet<string> | undefined> {
    return this.gateway.reactions;
  }

  override async onDisplayed(chat: MessengerChat, legacyId: string): Promise<void> {
    await this.client.markAsRead(chat.legacyId, legacyId);
  }

  override async onChatState(chat: MessengerChat, state: ChatState): Promise<void> {
    if (state === "composing" || state === "paused")
      await this.client.sendTypingIndicator(chat.legacyId, state === "composing");
  }

  /** Friends by a fragment of their name (XEP-0055, XEP-0100 prompt, `find` command). */
  override async onSearch(values: FormValues): Promise<SearchResult> {
    const found = await this.client.searchFriends(String(values.query ?? ""));
    const contacts = await Promise.all(found.map((friend) => this.contacts.byLegacyId(friend.id)));
    return { items: contacts.map((c) => ({ jid: c.jid, name: c.name ?? c.legacyId })) };
  }

  override async logout(): Promise<void> {
    await this.client?.logout();
  }
}
