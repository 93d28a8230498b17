import type { UserRow } from "@gangway/store";
import {
  type ChatState,
  escapeLocalpart,
  type FormValues,
  type PresenceShow,
  unescapeLocalpart,
  XmppError,
} from "@gangway/xmpp";
import type { Logger } from "pino";
import type { LegacyChat, OutgoingMessage } from "./chat.js";
import type { ChatHook } from "./chat-hooks.js";
import { type ConnectionState, needsRelogin } from "./connection.js";
import type { AnyContact } from "./contact.js";
import { GatewayPresence } from "./gateway-presence.js";
import type { GatewayHost } from "./host.js";
import type { IncomingFile } from "./inbound-file.js";
import { ReplayCursor } from "./replay-cursor.js";
import type { AnyRoom } from "./room.js";
import { LegacyRooms, type RoomClass } from "./room-registry.js";
import { type ContactClass, LegacyRoster } from "./roster.js";
import { syncRoster } from "./roster-sync.js";
import { SessionConnection } from "./session-connection.js";
import {
  SEARCH_NOT_IMPLEMENTED_TEXT,
  type SearchResult,
  type UserAvatar,
  type UserPresence,
} from "./session-types.js";
import { UserRecord } from "./user-record.js";

function notImplemented(what: string): never {
  throw new XmppError("feature-not-implemented", `This gateway cannot ${what} on this network.`);
}

/**
 * One registered user's login to the legacy network. Apps subclass it: `login()` connects (and
 * turns the legacy client's events into actions on contacts), `listContacts()` yields the user's
 * contacts, `logout()` disconnects, and the chat hooks (`onMessage(chat, …)` and the rest) carry
 * what the user does in XMPP to the network, for every chat alike.
 */
export class BaseSession<G extends GatewayHost = GatewayHost, C extends AnyContact = AnyContact> {
  /**
   * The contact class this session's roster creates; apps set their own. (`never`: a subclass's
   * contact takes that subclass's session, which a base-typed constructor could not promise.)
   */
  static Contact: new (
    session: never,
    legacyId: string,
    jidLocal: string,
  ) => AnyContact;
  /**
   * The core reconnects (calling `reconnect()` with a jittered backoff) after the app reports a
   * `transient-disconnect`. Apps whose client library reconnects by itself leave it false.
   */
  static RECONNECT = false;
  /** The room class of this session's groups (with GROUPS on the gateway). */
  static Room: (new (session: never, legacyId: string, jidLocal: string) => AnyRoom) | undefined;

  readonly contacts: LegacyRoster<C>;
  /** The user's groups, shown as rooms (GROUPS): filled from `listRooms()` at login. */
  readonly rooms: LegacyRooms;
  readonly log: Logger;
  /** SHA-1 of the user's last vCard photo the gateway saw (XEP-0153); `onAvatar` runs on change. */
  userAvatarHash: string | undefined;
  readonly #connection = new SessionConnection(this);
  readonly #record: UserRecord;
  readonly #gatewayPresence: GatewayPresence;
  readonly #cursor: ReplayCursor;

  constructor(
    readonly gateway: G,
    public user: UserRow,
  ) {
    const statics = this.#statics;
    if (!statics.Contact)
      throw new Error(`${statics.name} must set static Contact to its LegacyContact subclass`);
    this.contacts = new LegacyRoster<C>(this, statics.Contact as unknown as ContactClass<C>);
    this.rooms = new LegacyRooms(this, statics.Room as unknown as RoomClass<AnyRoom> | undefined);
    this.log = gateway.log.child({ user: user.jid });
    this.#gatewayPresence = new GatewayPresence(gateway, user.jid);
    this.#record = new UserRecord(gateway.store, user.jid, user.rosterHash, this.log);
    this.#cursor = new ReplayCursor(gateway.store, () => this.user.id, this.log);
  }

  get #statics(): typeof BaseSession {
    return this.constructor as typeof BaseSession;
  }

  get userJid(): string {
    return this.user.jid;
  }

  /** The session class's RECONNECT, for its connection. */
  get reconnects(): boolean {
    return this.#statics.RECONNECT;
  }

  /** The first login is done and the session is not stopped (it may be reconnecting). */
  get isLoggedIn(): boolean {
    return this.#connection.ready;
  }

  /** Why the user must log in again, while they must. */
  get lastLoginError(): string | undefined {
    return needsRelogin(this.connectionState) ? this.connectionText : undefined;
  }

  /** Registration data as the user entered it (the registration form's values). */
  get registration(): Readonly<Record<string, unknown>> {
    return this.user.registration;
  }

  // ---- hooks the app overrides: the login ----

  /** Connects to the legacy network. Return a status text for the gateway's presence, if any. */
  async login(): Promise<string | undefined | void> {}

  async logout(): Promise<void> {}

  /** Connects again after a `transient-disconnect` (with RECONNECT). The default is `login()`. */
  async reconnect(): Promise<string | undefined | void> {
    return this.login();
  }

  /** Yields the user's contacts after login (friends first), e.g. `yield this.contacts.byLegacyId(id)`. */
  async *listContacts(): AsyncIterable<C> {}

  /** Yields the user's groups after login (GROUPS), e.g. `yield this.rooms.byLegacyId(id)`. */
  async *listRooms(): AsyncIterable<AnyRoom> {}

  /**
   * A MUC join to `jidLocal@gateway`, which is no room the session has (yet): return the room to
   * open it on demand (e.g. `this.rooms.byLegacyId(…)` for an IRC channel joined by name), or
   * undefined for room-not-found; throw an XmppError to refuse the join with it.
   */
  async roomForJoin(_jidLocal: string): Promise<AnyRoom | undefined> {
    return undefined;
  }

  /** Legacy id → JID localpart (XEP-0106 escaping). Override for networks whose ids need another mapping. */
  legacyIdToJidLocal(legacyId: string): string {
    return escapeLocalpart(legacyId);
  }

  /** JID localpart → legacy id; throw XmppError('item-not-found') for localparts that are no contact. */
  jidLocalToLegacyId(jidLocal: string): string {
    return unescapeLocalpart(jidLocal);
  }

  // ---- hooks the app overrides: the chats (XMPP → legacy) ----

  /** The user sent a message to `chat`. Return the legacy id of the sent message, if any. */
  async onMessage(_chat: C, _message: OutgoingMessage): Promise<string | undefined | void> {
    notImplemented("send messages to this contact");
  }

  /**
   * The user sent a file to `chat` (a message whose body is the URL of its XEP-0066 or XEP-0447
   * data): `file.stream()` downloads it, bounded. Return the legacy id of the sent message, if any.
   * Sessions that do not override it get such messages in `onMessage`, the URL as text.
   */
  async onFile(chat: C, _file: IncomingFile, message: OutgoingMessage): Promise<string | undefined | void> {
    return this.onMessage(chat, message);
  }

  /** The user corrected their message `legacyId` (XEP-0308). Return the correction's own legacy id, if it has one. */
  async onCorrect(
    _chat: C,
    _legacyId: string,
    _body: string,
    _message: OutgoingMessage,
  ): Promise<string | undefined | void> {
    notImplemented("correct messages");
  }

  /** The user retracted their message `legacyId` (XEP-0424). */
  async onRetract(_chat: C, _legacyId: string): Promise<void> {
    notImplemented("retract messages");
  }

  /** The user's complete set of reactions to `legacyId` is now `emojis` (empty: none). XEP-0444. */
  async onReact(_chat: C, _legacyId: string, _emojis: readonly string[]): Promise<void> {
    notImplemented("send reactions");
  }

  /** The user has read `chat` up to `legacyId` (XEP-0333 displayed). */
  async onDisplayed(_chat: C, _legacyId: string): Promise<void> {
    notImplemented("send read markers");
  }

  /** The user is typing, stopped, left… (XEP-0085). */
  async onChatState(_chat: C, _state: ChatState): Promise<void> {
    notImplemented("send typing notifications");
  }

  /**
   * The reactions the user may send on `legacyId` in `chat`, or undefined for any. Enforced with a
   * clear error, and advertised in disco (XEP-0444 restrictions) when the same for every message.
   */
  async availableReactions(_chat: LegacyChat, _legacyId?: string): Promise<ReadonlySet<string> | undefined> {
    return undefined;
  }

  /** True when this session's class overrides the hook. */
  implements(hook: ChatHook): boolean {
    return this[hook] !== BaseSession.prototype[hook];
  }

  /**
   * Whether the feature behind `hook` works in `chat` now: what its disco#info and caps advertise.
   * The default is `implements(hook)`; override it when it depends on the network (an IRC server
   * without message tags has no typing notifications).
   */
  supports(hook: ChatHook, _chat: LegacyChat): boolean {
    return this.implements(hook);
  }

  // ---- hooks the app overrides: the user's own side ----

  /**
   * The user's XMPP presence changed, for networks that show the user's status. Only called while
   * the user's `sync_presence` is on. The default does nothing: not every network has presence.
   */
  async onPresence(_presence: UserPresence): Promise<void> {}

  /** The user's XMPP avatar changed (null: removed). Only called while `sync_avatar` is on. */
  async onAvatar(_avatar: UserAvatar | null): Promise<void> {}

  /**
   * Searches the legacy network for contacts (XEP-0055 and the `find` command). `values` are the
   * answers to the gateway's SEARCH_FIELDS, already validated. Nothing found is not an error.
   */
  async onSearch(_values: FormValues): Promise<SearchResult | undefined> {
    throw new XmppError("feature-not-implemented", SEARCH_NOT_IMPLEMENTED_TEXT);
  }

  // ---- the connection state ----

  /**
   * Reports where the login stands; the user sees it as the gateway's presence. With RECONNECT, a
   * `transient-disconnect` makes the core call `reconnect()` until it works; `bad-credentials`,
   * `logged-out` and `unknown-error` tell the user to log in again.
   */
  setConnectionState(state: ConnectionState, text?: string): Promise<void> {
    return this.#connection.set(state, text);
  }

  get connectionState(): ConnectionState {
    return this.#connection.state;
  }

  /** Why the session is in its state, in words. */
  get connectionText(): string | undefined {
    return this.#connection.text;
  }

  /**
   * Resolves once the session can carry the user's messages: at once when connected, after the
   * login or reconnection when one is under way (bounded: see HeldMessages), never when the user
   * must log in again (the error says so).
   */
  untilConnected(): Promise<void> {
    return this.#connection.untilConnected();
  }

  /** The session carries messages right now (connected, after its first login). */
  get isConnected(): boolean {
    return this.#connection.open;
  }

  // ---- helpers ----

  /**
   * Turns one legacy event into actions on the contact it is about (created on first use), e.g.
   * `client.on("message", (e) => this.relay(e.from, (c) => c.sendText(e.text, { id: e.id })))`.
   * A failure is logged, never thrown: the legacy client's event loop must go on.
   */
  relay(legacyId: string, action: (contact: C) => Promise<unknown>): void {
    this.contacts
      .byLegacyId(legacyId)
      .then(action)
      .catch((err: unknown) => {
        this.gateway.metrics.counts.errors.count("legacy-event");
        this.log.error({ err, contact: legacyId }, "could not relay a legacy event");
      });
  }

  /** Sets the gateway's presence towards the user (status text, `show`); replayed on probes. */
  sendGatewayStatus(
    status: string,
    options: { show?: PresenceShow; available?: boolean } = {},
  ): Promise<void> {
    return this.#gatewayPresence.set(status, options);
  }

  sendGatewayPresence(): Promise<void> {
    return this.#gatewayPresence.send();
  }

  sendGatewayMessage(text: string): Promise<void> {
    return this.gateway.sendChat(this.userJid, text);
  }

  /** Sends a QR code to the user from the gateway (e.g. re-pairing a device inside `login()`). */
  sendQr(text: string): Promise<{ url?: string }> {
    return this.gateway.sendQr(this.userJid, text);
  }

  /** Asks the user something by chat and resolves with their answer (see BaseGateway.input). */
  input(question: string, options?: { timeoutMs?: number }): Promise<string> {
    return this.gateway.input(this.userJid, question, options);
  }

  // ---- the replay cursor (networks that can replay what happened while the gateway was away) ----

  /**
   * Where the legacy history stood when the gateway last wrote it to the XMPP server: read before
   * `login()`, which asks the network for the events after it. Undefined before any was saved.
   */
  get cursor(): string | undefined {
    return this.#cursor.value;
  }

  /**
   * Saves the position after events already *sent*: call it after awaiting their actions
   * (`await chat.sendText(…)`). Batched: a burst is one write. Resolves true once stored. See
   * ReplayCursor.
   */
  saveCursor(cursor: string): Promise<boolean> {
    return this.#cursor.save(cursor);
  }

  /**
   * Saves `cursor` once `sent` (an action's promise) and the events of earlier calls are sent,
   * in call order, so a cursor never gets ahead of an event still on its way to the server.
   * Resolves true once stored; false when an earlier event failed (then it stays before it).
   */
  saveCursorAfter(sent: Promise<unknown>, cursor: string): Promise<boolean> {
    return this.#cursor.after(sent, cursor);
  }

  // ---- the lifecycle ----

  /**
   * The login: "Logging in…" → `login()` → contacts synced into the roster → the status `login()`
   * returned (or "Logged in"), and held messages go through. A failure is shown, never thrown.
   */
  async start(): Promise<void> {
    this.#connection.restart();
    await this.setConnectionState("connecting", "Logging in…");
    try {
      // Side by side: the cursor costs a login no extra round trip.
      await Promise.all([this.contacts.loadStored(), this.#cursor.load()]);
      const status = await this.login();
      const contacts: C[] = [];
      for await (const contact of this.listContacts()) contacts.push(contact);
      this.contacts.forgetStored();
      await syncRoster(this, contacts);
      // Listing creates the rooms (see LegacyRooms): joins and disco find them from then on; the
      // ones new to the user are bookmarked for them (or they are invited).
      if (this.gateway.meta.GROUPS) await this.rooms.fill(this.listRooms());
      // Clients that follow XEP-0084 (+notify) learn the pictures from these events.
      for (const contact of contacts) if (contact.avatar) await contact.sendAvatarEvent();
      // Only now: presences set while filling were cached, and syncRoster has just sent them.
      this.#connection.ready = true;
      await this.setConnectionState("connected", status || "Logged in");
      // Bookkeeping of a login that succeeded: the database being down must not undo it (a lost
      // write costs the next login a full roster sync).
      await this.#record
        .loggedIn()
        .catch((err: unknown) => this.log.warn({ err }, "could not record the login"));
      this.log.info({ contacts: contacts.length }, "logged in");
    } catch (err) {
      this.contacts.forgetStored();
      this.#record.loginFailed();
      this.log.warn({ err }, "login failed");
      this.gateway.metrics.counts.errors.count("login");
      await this.#connection.loginFailed(err);
    }
  }

  /**
   * The server's privileges became known after this session logged in: the roster is synced again
   * in full (the login's sync was not a privileged one), and rooms only invited to get their
   * bookmarks now that they can be published.
   */
  async resyncAfterPrivileges(): Promise<void> {
    await syncRoster(this, [...this.contacts], { full: true });
    if (this.gateway.meta.GROUPS) await this.rooms.bookmarks.tell([...this.rooms]);
  }

  /** Logs out and shows everything as offline (shutdown or unregistration). */
  async stop(): Promise<void> {
    if (this.#connection.stopped) return;
    const wasLoggedIn = this.#connection.ready;
    // Goodbyes to the user's clients. A server that is gone, or a shutdown that stopped waiting
    // for it, drops them: that must not skip the logout on the legacy side.
    try {
      for (const contact of this.contacts) {
        if (contact.currentPresence.available) await contact.offline();
      }
    } catch (err) {
      this.log.debug({ err }, "offline presences not sent");
    }
    this.#connection.stop();
    await this.sendGatewayStatus("", { available: false }).catch(() => {});
    if (wasLoggedIn) {
      try {
        await this.logout();
      } catch (err) {
        this.log.warn({ err }, "logout failed");
      }
    }
    // Bounded: a database that is down must not hold the shutdown (a lost cursor costs a replay).
    await Promise.race([this.#cursor.flush(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  // ---- the roster hash (see UserRecord) ----

  get rosterHash(): string | null {
    return this.#record.rosterHash;
  }

  recordRosterHash(hash: string | null): void {
    this.#record.recordRosterHash(hash, !this.#connection.ready);
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the core handles sessions of any contact type
export type AnySession = BaseSession<GatewayHost, any>;
