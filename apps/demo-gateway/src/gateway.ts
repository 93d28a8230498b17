import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BaseGateway,
  BaseSession,
  type ChatState,
  type FormValues,
  type IncomingFile,
  LegacyContact,
  type LegacyParticipant,
  LegacyRoom,
  type OutgoingMessage,
  type RegistrationType,
  type SearchResult,
  type UserAvatar,
  type UserPresence,
  XmppError,
} from "@gangway/core";
import { fileCommand, receiveFile } from "./files.js";
import { DemoLobby, LOBBY_ID, LOBBY_NAME, LOBBY_TOPIC } from "./lobby.js";
import { leaveLobbyCommand } from "./lobby-removal.js";
import {
  DEMO_STATE_FILE,
  DemoAuthError,
  type DemoClient,
  type DemoMessageEvent,
  DemoNetwork,
} from "./network.js";
import { DEMO_OPTIONS, REGISTRATION_TYPES } from "./options.js";

export class DemoContact extends LegacyContact<DemoSession> {
  override async updateInfo(): Promise<void> {
    const info = this.session.client.contacts().find((c) => c.id === this.legacyId);
    if (!info) throw new XmppError("item-not-found", `There is no demo contact called ${this.legacyId}.`);
    this.name = info.name;
    if (info.profile) this.vcard = { fullName: info.name, nickname: info.id, ...info.profile };
    await this.setAvatar(info.avatar ?? null);
    await this[info.presence](info.status); // online(), away() or offline()
  }
}

/** The demo network's group, shown as the room `lobby@<gateway>`. */
export class DemoRoom extends LegacyRoom<DemoSession> {
  override async updateInfo(): Promise<void> {
    const { lobby } = this.session;
    this.name = LOBBY_NAME;
    this.subject = LOBBY_TOPIC;
    this.type = "group";
    this.userNick = this.session.username;
    // The user runs the lobby: they may delete messages, remove members, set the topic.
    this.userRole = "moderator";
    this.userAffiliation = "admin";
    for (const member of lobby.members) {
      this.addParticipant(member, { contact: await this.session.contacts.byLegacyId(member) });
    }
  }

  /** Wires the lobby's events to the room's participants (called once the room exists). */
  follow(): void {
    const { lobby } = this.session;
    const as = (nick: string) => this.participants.get(nick);
    const failed = (err: unknown) => this.session.log.error({ err, room: this.legacyId }, "lobby event lost");
    lobby.on(
      "message",
      (e) =>
        void as(e.from)
          ?.sendText(e.text, { id: e.id, replyTo: e.replyTo, ...(e.mentions && { mentions: e.mentions }) })
          .catch(failed),
    );
    lobby.on("read", (e) => void as(e.from)?.displayed(e.id).catch(failed));
    lobby.on("moderated", (e) => void this.moderate(e.id, e).catch(failed));
    lobby.on("topic", (e) => void this.setSubject(e.text, e.by).catch(failed));
    lobby.on("correction", (e) => void as(e.from)?.correct(e.id, e.text).catch(failed));
    lobby.on("retraction", (e) => void as(e.from)?.retract(e.id).catch(failed));
    lobby.on("reaction", (e) => void as(e.from)?.react(e.id, e.emojis).catch(failed));
    lobby.on(
      "joined",
      (e) =>
        void this.session.contacts
          .byLegacyId(e.member)
          .then((contact) => this.join(e.member, { contact }))
          .catch(failed),
    );
    lobby.on("left", (e) => void this.leave(e.member, e).catch(failed));
  }

  override async onModerate(legacyId: string, reason?: string): Promise<void> {
    this.session.lobby.moderate(legacyId, this.userNick, reason);
  }

  override async onKick(participant: LegacyParticipant, reason?: string): Promise<void> {
    this.session.lobby.kick(participant.nick, reason);
  }

  override async onSetSubject(subject: string): Promise<void> {
    this.session.lobby.setTopic(subject, this.userNick);
  }
}

export class DemoSession extends BaseSession<DemoGateway, DemoContact> {
  static override Contact = DemoContact;
  static override Room = DemoRoom;
  client!: DemoClient; // set by login(): the core calls no hook before the session is connected
  /** The account's view of the group `lobby` (set by login()). */
  lobby!: DemoLobby;
  /** The account's name on the demo network: the user's nick in its group. */
  username = "";

  override async login(): Promise<string> {
    const { username, password } = this.registration as { username: string; password: string };
    await sleep(this.gateway.options["login-delay"] * 1000);
    const client = this.gateway.logIn(username, password);
    this.client = client;
    this.username = username;
    this.lobby = new DemoLobby();
    client.on("message", (e) => this.showMessage(e));
    client.on("correction", (e) => this.relay(e.from, (c) => c.correct(e.id, e.text)));
    client.on("retraction", (e) => this.relay(e.from, (c) => c.retract(e.id)));
    client.on("reaction", (e) => this.relay(e.from, (c) => c.react(e.id, e.emojis)));
    client.on("received", (e) => this.relay(e.from, (c) => c.received(e.id)));
    client.on("displayed", (e) => this.relay(e.from, (c) => c.displayed(e.id)));
    client.on("chatState", (e) => this.relay(e.from, (c) => c.chatState(e.state)));
    // What the network delivered after the last message written to the XMPP server (a crash, the
    // server down): asked for once the session carries messages, shown once each.
    const cursor = this.cursor;
    void this.untilConnected().then(
      () => client.replay(cursor),
      () => {},
    );
    return `Logged in as ${username}`;
  }

  /** A contact's message; its sequence number is saved as the cursor once it was sent. */
  private showMessage(e: DemoMessageEvent): void {
    const shown = this.contacts.byLegacyId(e.from).then((c) =>
      c.sendText(e.text, {
        id: e.id,
        replyTo: e.replyTo,
        ...(e.replayed && { replayed: true, when: new Date(e.at) }),
      }),
    );
    shown.catch((err: unknown) => this.log.error({ err, contact: e.from }, "could not relay a legacy event"));
    // Stored: the network may forget it (the demo's state file then no longer holds the text).
    void this.saveCursorAfter(shown, String(e.seq)).then((stored) => {
      if (stored) this.client.acknowledge(String(e.seq));
    });
  }

  override async *listContacts(): AsyncIterable<DemoContact> {
    for (const info of this.client.contacts()) yield this.contacts.byLegacyId(info.id);
  }

  override async *listRooms(): AsyncIterable<DemoRoom> {
    const room = (await this.rooms.byLegacyId(LOBBY_ID)) as DemoRoom;
    room.follow();
    yield room;
  }

  override async onMessage(chat: DemoContact | DemoRoom, message: OutgoingMessage): Promise<string> {
    if (chat instanceof DemoRoom)
      return this.lobby.send(message.body, {
        replyTo: message.replyTo?.legacyId,
        nick: chat.userNick,
        mentions: message.mentions,
      });
    // Returns once the network has it on disk: a crash before then leaves it to the inbound journal.
    const id = this.client.sendMessage(chat.legacyId, message.body, { replyTo: message.replyTo?.legacyId });
    fileCommand(this.client, message.body, () => this.contacts.byLegacyId("alice"), this.log);
    return id;
  }

  /** A file from the user: echo sends it back (files.ts); the lobby takes it as its link. */
  override async onFile(
    chat: DemoContact | DemoRoom,
    file: IncomingFile,
    message: OutgoingMessage,
  ): Promise<string> {
    if (chat instanceof DemoRoom) return this.onMessage(chat, message);
    return receiveFile(this.client, chat, file);
  }

  override async onCorrect(chat: DemoContact | DemoRoom, legacyId: string, body: string): Promise<void> {
    if (chat instanceof DemoRoom) return this.lobby.correct(legacyId, body);
    this.client.correctMessage(chat.legacyId, legacyId, body);
  }

  override async onRetract(chat: DemoContact | DemoRoom, legacyId: string): Promise<void> {
    if (chat instanceof DemoRoom) return this.lobby.retract(legacyId);
    this.client.retractMessage(chat.legacyId, legacyId);
  }

  override async onReact(
    chat: DemoContact | DemoRoom,
    legacyId: string,
    emojis: readonly string[],
  ): Promise<void> {
    if (chat instanceof DemoRoom) return this.lobby.react(legacyId, [...emojis]);
    this.client.react(chat.legacyId, legacyId, [...emojis]);
  }

  /** The demo network keeps no read state: accepting the marker is all there is to do. */
  override async onDisplayed(): Promise<void> {}

  override async onChatState(chat: DemoContact | DemoRoom, state: ChatState): Promise<void> {
    if (chat instanceof DemoRoom) return; // the lobby shows no typing
    if (state === "composing" || state === "paused") this.client.setChatState(chat.legacyId, state);
  }

  /** Search by a fragment of a name or id (XEP-0055, XEP-0100 prompt, `find` command). */
  override async onSearch(values: FormValues): Promise<SearchResult> {
    const found = this.client.search(String(values.query ?? ""));
    const contacts = await Promise.all(found.map((info) => this.contacts.byLegacyId(info.id)));
    const items = contacts.map((contact) => ({ jid: contact.jid, name: contact.name ?? contact.legacyId }));
    return { items };
  }

  /** The user's picture and status: the demo network keeps them, as a real one would. */
  override async onAvatar(avatar: UserAvatar | null): Promise<void> {
    this.client.setOwnAvatar(avatar ? { type: avatar.type, bytes: avatar.data.byteLength } : null);
  }

  override async onPresence(presence: UserPresence): Promise<void> {
    this.client.setOwnPresence(presence.available ? (presence.show ?? "online") : "offline", presence.status);
  }

  override async logout(): Promise<void> {
    this.client.logout();
  }
}

export class DemoGateway extends BaseGateway<DemoSession, typeof DEMO_OPTIONS> {
  static override COMPONENT_NAME = "Demo (Gangway)";
  static override COMPONENT_TYPE = "demo";
  static override ROSTER_GROUP = "Demo";
  static override OPTIONS = DEMO_OPTIONS;
  static override PROPER_RECEIPTS = true; // echo sends receipts itself
  static override GROUPS = true; // the group `lobby`
  static override REGISTRATION_INSTRUCTIONS = "Any username works. Any password logs in, except 'wrong'.";
  static override WELCOME_MESSAGE = "Welcome to the Gangway demo! Say hi to echo, it repeats everything.";
  readonly Session = DemoSession;
  /** The demo network's "cloud" lives in the home dir, as a real network's outlives the gateway. */
  readonly network = this.closeOnStop(
    new DemoNetwork({
      stateFile: join(this.config.homeDir, DEMO_STATE_FILE),
      onSaveError: (err) => this.log.error({ err }, "could not save the demo network's state"),
    }),
  );

  /** `leave-lobby`: the user leaves the group, to see a room destroyed for them (lobby-removal.ts). */
  protected override extraCommands() {
    return [leaveLobbyCommand(this)];
  }

  /** `--registration 2fa` asks for the code 123456 after the password; `qr` shows a QR code the network scans. */
  protected override registrationType(): RegistrationType {
    return REGISTRATION_TYPES[this.options.registration];
  }

  /** Logs in to the demo network; a wrong password is `not-authorized`, as users' clients understand it. */
  logIn(username: string, password: string): DemoClient {
    try {
      return this.network.login(username, password);
    } catch (err) {
      throw err instanceof DemoAuthError ? new XmppError("not-authorized", err.message) : err;
    }
  }

  override async validate(_userJid: string, form: FormValues): Promise<undefined> {
    this.logIn(String(form.username), String(form.password)).logout();
  }

  override async validateTwoFactorCode(_userJid: string, code: string): Promise<undefined> {
    if (code !== this.network.twoFactorCode) throw new XmppError("not-authorized", "Wrong code");
  }

  override async getQrText(userJid: string, registration: FormValues): Promise<string> {
    return this.network.startPairing(String(registration.username), () => this.confirmQr(userJid));
  }
}
