import { join } from "node:path";
import {
  BaseGateway,
  BaseSession,
  type ChatState,
  type FormField,
  type FormValues,
  LegacyContact,
  type LegacyData,
  type LegacyParticipant,
  type OutgoingMessage,
  RegistrationType,
  type SearchResult,
  TwoFactorNotRequired,
  XmppError,
} from "@gangway/core";
import { FakeMessengerClient } from "./client/fake-client.js";
import { FAKE_CLOUD_FILE, FakeCloud } from "./client/fake-cloud.js";
import {
  type MessengerClient,
  type MessengerCredentials,
  MessengerLoginError,
  type MessengerThread,
  type MessengerUser,
} from "./client/port.js";
import { MESSENGER_OPTIONS } from "./options.js";
import { MessengerRoom } from "./room.js";

/** A 1:1 chat or a group thread: the session's hooks act on either by its thread id. */
type MessengerChat = MessengerContact | MessengerRoom;

/** Who shows a network event: the contact of a 1:1 thread, or a group member's occupant. */
type Speaker = Pick<
  LegacyParticipant,
  "sendText" | "correct" | "retract" | "react" | "chatState" | "displayed"
>;

/** A Messenger friend, as a puppet `<friend id>@<gateway>`. */
export class MessengerContact extends LegacyContact<MessengerSession> {
  override async updateInfo(): Promise<void> {
    const friend = this.session.friends.get(this.legacyId);
    if (!friend) throw new XmppError("item-not-found", "There is no Messenger friend with this id.");
    this.name = friend.name;
    await showPresence(this, friend);
  }
}

/** Messenger's "active now" is online; anyone else is offline, with when they were last active. */
function showPresence(contact: MessengerContact, user: Pick<MessengerUser, "active" | "lastActiveMs">) {
  if (user.active) return contact.online();
  return contact.offline(
    user.lastActiveMs === undefined ? undefined : `Last active ${new Date(user.lastActiveMs).toISOString()}`,
  );
}

export class MessengerSession extends BaseSession<MessengerGateway, MessengerContact> {
  static override Contact = MessengerContact;
  static override Room = MessengerRoom;
  client!: MessengerClient; // set by login(): the core calls no hook before the session is connected
  /** The account's friends by id, as the network listed them at login and presence events update. */
  readonly friends = new Map<string, MessengerUser>();
  /** The account's threads by id (1:1 and groups), as listed at login. */
  readonly threads = new Map<string, MessengerThread>();
  private readonly groupThreads = new Set<string>();
  /** The account's own id on Messenger, as the network reported it at login. */
  private selfId = "";
  /** The user's nick in group threads: their email's local part. */
  ownNick = "";

  override async login(): Promise<string> {
    const { email, password } = this.registration as { email: string; password: string };
    const client = this.gateway.newClient();
    this.selfId = await this.gateway.logIn(client, { email, password });
    this.client = client;
    for (const friend of await client.getFriends()) this.friends.set(friend.id, friend);
    for (const thread of await client.getThreads()) {
      this.threads.set(thread.id, thread);
      if (thread.isGroup) this.groupThreads.add(thread.id);
    }
    this.ownNick = email.split("@")[0] || email;
    client.on("message", (e) =>
      this.route(e.threadId, e.senderId, (chat, carbon) =>
        chat.sendText(e.text, {
          id: e.messageId,
          ...(e.replyTo !== undefined && { replyTo: e.replyTo }),
          ...(e.fromMe && carbon),
        }),
      ),
    );
    client.on("messageEdit", (e) =>
      this.route(e.threadId, e.senderId, (chat, carbon) => chat.correct(e.messageId, e.newText, carbon)),
    );
    client.on("messageUnsend", (e) =>
      this.route(e.threadId, e.senderId, (chat, carbon) => chat.retract(e.messageId, carbon)),
    );
    client.on("reaction", (e) =>
      this.route(e.threadId, e.actorId, (chat, carbon) =>
        chat.react(e.messageId, e.reaction ? [e.reaction] : [], carbon),
      ),
    );
    client.on("typing", (e) =>
      this.route(e.threadId, e.senderId, (chat) => chat.chatState(e.isTyping ? "composing" : "paused")),
    );
    client.on("readReceipt", (e) =>
      this.route(e.threadId, e.readerId, (chat, carbon) =>
        // Only a contact's chat takes the carbon (the user's own reading is not routed to rooms).
        carbon.carbon
          ? (chat as MessengerContact).displayed(e.lastReadMessageId, carbon)
          : chat.displayed(e.lastReadMessageId),
      ),
    );
    client.on("presence", (e) => {
      const friend = this.friends.get(e.userId);
      if (!friend) return;
      friend.active = e.active;
      if (e.lastActiveMs === undefined) delete friend.lastActiveMs;
      else friend.lastActiveMs = e.lastActiveMs;
      this.relay(e.userId, (c) => showPresence(c, friend));
    });
    return `Logged in as ${email}`;
  }

  /**
   * Where an event of thread `threadId` by `actorId` shows: in a 1:1 thread (whose id is the
   * friend's) as the contact, whoever acted, with what the user did from the official app shown
   * as theirs (carbons); in a group thread as the member's occupant. The user's own actions in a
   * group from another device are not shown yet.
   */
  private route(
    threadId: string,
    actorId: string,
    act: (chat: Speaker, carbon: { carbon?: true }) => Promise<unknown>,
  ): void {
    const carbon = actorId === this.selfId ? { carbon: true as const } : {};
    if (!this.groupThreads.has(threadId)) {
      this.relay(threadId, (contact) => act(contact, carbon));
      return;
    }
    if (actorId === this.selfId) return;
    void this.rooms
      .byLegacyId(threadId)
      .then((room) => {
        const participant = (room as MessengerRoom).participantFor(actorId);
        return participant && act(participant, {});
      })
      .catch((err: unknown) => this.log.error({ err, room: threadId }, "could not relay a legacy event"));
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

const REGISTRATION_FIELDS: readonly FormField[] = [
  { var: "email", type: "text-single", label: "Email or phone", required: true },
  { var: "password", type: "text-private", label: "Password", required: true },
];

/** Login failures as the user's client understands them; nothing the user typed is echoed. */
function loginRefusal(err: MessengerLoginError): XmppError {
  switch (err.reason) {
    case "bad-credentials":
      return new XmppError("not-authorized", "Wrong email or password.");
    case "wrong-checkpoint-code":
      return new XmppError("not-authorized", "Wrong login code.");
    case "checkpoint-required":
      return new XmppError(
        "not-authorized",
        "Facebook asks to confirm this login with a code: register again to enter it.",
      );
  }
}

export class MessengerGateway extends BaseGateway<MessengerSession, typeof MESSENGER_OPTIONS> {
  static override COMPONENT_NAME = "Facebook Messenger (Gangway)";
  static override COMPONENT_TYPE = "facebook";
  static override ROSTER_GROUP = "Facebook";
  static override OPTIONS = MESSENGER_OPTIONS;
  static override REGISTRATION_TYPE = RegistrationType.TwoFactorCode;
  static override REGISTRATION_FIELDS = REGISTRATION_FIELDS;
  static override REGISTRATION_INSTRUCTIONS =
    "Enter the email (or phone number) and password of your Facebook account. " +
    "Chats with end-to-end encryption are not visible through this gateway.";
  static override REGISTRATION_2FA_TITLE = "Facebook login code";
  static override REGISTRATION_2FA_INSTRUCTIONS =
    "Facebook asks to confirm this login: enter the code it sent you.";
  static override SEARCH_TITLE = "Search in your Facebook friends";
  static override SEARCH_INSTRUCTIONS = "Enter a name, for example a first name such as Alice.";
  static override GROUPS = true; // group threads, as rooms
  static override WELCOME_MESSAGE = "Welcome! Your Facebook friends will appear in your roster shortly.";
  readonly Session = MessengerSession;

  /** The `fake` backend's cloud lives in the home dir, as a real network's outlives the gateway. */
  readonly cloud = this.closeOnStop(
    new FakeCloud({
      stateFile: join(this.config.homeDir, FAKE_CLOUD_FILE),
      onSaveError: (err) => this.log.error({ err }, "could not save the fake Messenger cloud"),
    }),
  );

  /** A client of the backend `--backend` names. */
  newClient(): MessengerClient {
    return new FakeMessengerClient(this.cloud);
  }

  /** Logs `client` in; refusals become `not-authorized` with a message that says what to do. */
  async logIn(client: MessengerClient, credentials: MessengerCredentials): Promise<string> {
    try {
      return await client.login(credentials);
    } catch (err) {
      throw err instanceof MessengerLoginError ? loginRefusal(err) : err;
    }
  }

  /**
   * Email and password; the code step follows only when Facebook raises a login checkpoint. The
   * code step logs in again with them, so they are kept as the pending registration's legacy data
   * (sealed in the store like credentials, so a gateway restart midway resumes) and dropped after.
   */
  override async validate(_userJid: string, form: FormValues): Promise<LegacyData | undefined> {
    const credentials = { email: String(form.email), password: String(form.password) };
    const client = this.newClient();
    try {
      await client.login(credentials);
    } catch (err) {
      if (err instanceof MessengerLoginError && err.reason === "checkpoint-required")
        return { checkpoint: credentials };
      throw err instanceof MessengerLoginError ? loginRefusal(err) : err;
    }
    await client.logout();
    throw new TwoFactorNotRequired();
  }

  /** Blanks the credentials kept for this step (legacy data is merged, so they are overwritten). */
  override async validateTwoFactorCode(
    _userJid: string,
    code: string,
    legacyData: LegacyData | undefined,
  ): Promise<LegacyData> {
    const credentials = legacyData?.checkpoint as MessengerCredentials | undefined;
    if (!credentials)
      throw new XmppError("not-authorized", "The login expired: start the registration again.");
    const client = this.newClient();
    await this.logIn(client, { ...credentials, checkpointCode: code });
    await client.logout();
    return { checkpoint: null };
  }
}
