import {
  buildGroupchatMessage,
  buildOccupantPresence,
  buildSubjectMessage,
  type ChatState,
  type Element,
  type MucAffiliation,
  type MucHistoryRequest,
  type MucRole,
  type MucStatusCode,
  roomDiscoInfo,
} from "@gangway/xmpp";
import {
  type CarbonOption,
  type ChatSession,
  LegacyChat,
  type OutgoingOptions,
  type SendTextOptions,
} from "./chat.js";
import type { AnyContact } from "./contact.js";
import type { Send } from "./outbox.js";
import { type HistoryEntry, RoomArchive } from "./room-archive.js";

/**
 * `group`: a small private group (members-only, non-anonymous: occupants' JIDs are shown).
 * `channel`: a large public one (open, semi-anonymous).
 */
export type RoomType = "group" | "channel";

/**
 * One legacy group chat, shown to the user as the room `<escaped-legacy-id>@<gateway>` (XEP-0045
 * served by the gateway itself). Apps subclass it and fill `name`, `subject`, `type` and the
 * participants in `updateInfo`; a participant's actions (`participant.sendText(…)`) are
 * groupchat messages from `room/nick` to every resource of the user that joined. The chat hooks
 * (`onMessage(room, …)`…) are the session's, as for contacts; the user's accepted messages are
 * reflected to their joined resources (same id and origin-id).
 */
export class LegacyRoom<S extends ChatSession = ChatSession> extends LegacyChat<S> {
  name: string | undefined;
  subject = "";
  /** Who set the subject (a nick), if known. */
  subjectBy: string | undefined;
  type: RoomType = "group";
  /** The user's nick in this room: the legacy network's name for them (joins get it, with 210). */
  userNick = "me";
  readonly #participants = new Map<string, LegacyParticipant>();
  /** The user's full JIDs joined to this room. */
  readonly #joined = new Set<string>();
  /** What the room said, in the store: MAM (room-mam.ts) and `<history/>` on join. */
  readonly archive = new RoomArchive(this);
  /** The participant whose action is being called (see `senderJid`). */
  #speaker: LegacyParticipant | undefined;
  #occupantIds = 0;

  // ---- hooks the app overrides ----

  /** Fill `name`, `subject`, `type`, `userNick` and the participants (`addParticipant`); called once. */
  async updateInfo(): Promise<void> {}

  // ---- the participants ----

  /** The participants, by nick. */
  get participants(): ReadonlyMap<string, LegacyParticipant> {
    return this.#participants;
  }

  /** Adds a participant without telling anyone (while filling the room in `updateInfo`). */
  addParticipant(nick: string, options: ParticipantOptions = {}): LegacyParticipant {
    const known = this.#participants.get(nick);
    if (known) return known;
    const participant = new LegacyParticipant(this, nick, options, `occ-${++this.#occupantIds}`);
    this.#participants.set(nick, participant);
    return participant;
  }

  /** A participant (re)joins: added, and shown to the user's joined resources. */
  join(nick: string, options: ParticipantOptions = {}): Promise<LegacyParticipant> {
    const participant = this.addParticipant(nick, options);
    return this.act(async () => this.#toJoined((to) => this.#occupantPresence(participant, to))).then(
      () => participant,
    );
  }

  /** A participant leaves (`kicked`: status 307). */
  leave(nick: string, options: { kicked?: boolean; reason?: string } = {}): Promise<void> {
    const participant = this.#participants.get(nick);
    if (!participant) return Promise.resolve();
    this.#participants.delete(nick);
    return this.act(async () =>
      this.#toJoined((to) =>
        this.#occupantPresence(participant, to, {
          type: "unavailable",
          ...(options.kicked && { statusCodes: [307] }),
          ...(options.reason !== undefined && { reason: options.reason }),
        }),
      ),
    );
  }

  /** A participant changed nick (XEP-0045 §7.6: unavailable with 303, then available as the new one). */
  rename(nick: string, newNick: string): Promise<void> {
    const participant = this.#participants.get(nick);
    if (!participant || nick === newNick || this.#participants.has(newNick)) return Promise.resolve();
    const gone = this.#occupantPresenceFactory(participant, {
      type: "unavailable",
      newNick,
      statusCodes: [303],
    });
    this.#participants.delete(nick);
    participant.nick = newNick;
    this.#participants.set(newNick, participant);
    return this.act(async () => this.#toJoined((to) => [gone(to), this.#occupantPresence(participant, to)]));
  }

  /** The subject changed (by `nick`, if the network says who). */
  setSubject(subject: string, nick?: string): Promise<void> {
    this.subject = subject;
    this.subjectBy = nick;
    return this.act(async () => this.#toJoined((to) => this.#subjectMessage(to)));
  }

  /** Runs `action` as `participant` (its `senderJid`): how a participant's actions reach the chat's. */
  speaking<T>(participant: LegacyParticipant, action: () => T): T {
    this.#speaker = participant;
    try {
      return action();
    } finally {
      this.#speaker = undefined;
    }
  }

  protected get senderJid(): string {
    return this.#speaker ? `${this.jid}/${this.#speaker.nick}` : this.jid;
  }

  // ---- the user's side (the core calls these) ----

  /** The nick `fullJid` is joined with, if it is joined. */
  joinedNick(fullJid: string): string | undefined {
    return this.#joined.has(fullJid) ? this.userNick : undefined;
  }

  get joinedResources(): ReadonlySet<string> {
    return this.#joined;
  }

  /**
   * A resource of the user joins as `nick`: every occupant's presence, then its own (110, 100 in
   * non-anonymous rooms, 210 when the network's nick replaced the one asked for), then the history
   * `<history/>` asks for, then the subject (XEP-0045 §7.2).
   */
  userJoined(
    fullJid: string,
    join: { nick: string; id?: string; history?: MucHistoryRequest },
  ): Promise<void> {
    return this.act(async () => {
      this.#joined.add(fullJid);
      const stanzas: Element[] = [];
      for (const participant of this.#participants.values()) {
        stanzas.push(this.#occupantPresence(participant, fullJid));
      }
      const codes: MucStatusCode[] = [110];
      if (this.type === "group") codes.push(100);
      if (join.nick !== this.userNick) codes.push(210);
      stanzas.push(
        buildOccupantPresence({
          room: this.jid,
          nick: this.userNick,
          to: fullJid,
          ...(join.id !== undefined && { id: join.id }),
          affiliation: "member",
          role: "participant",
          jid: fullJid,
          statusCodes: codes,
          occupantId: "occ-self",
        }),
      );
      for (const entry of await this.archive.select(join.history, new Date())) {
        stanzas.push(this.#groupchat(entry, fullJid, entry.at));
      }
      stanzas.push(this.#subjectMessage(fullJid));
      return this.#sendAll(stanzas);
    });
  }

  /** A resource of the user leaves: its own unavailable presence (110). `quiet`: it bounced, say nothing. */
  userLeft(fullJid: string, options: { id?: string; quiet?: boolean } = {}): Promise<void> {
    return this.act(async () => {
      const wasJoined = this.#joined.delete(fullJid);
      if (options.quiet) return undefined;
      // A leave from a resource that is not joined is still confirmed: its client waits for it.
      const stanza = buildOccupantPresence({
        room: this.jid,
        nick: this.userNick,
        to: fullJid,
        ...(options.id !== undefined && { id: options.id }),
        type: "unavailable",
        affiliation: "member",
        role: "none",
        statusCodes: [110],
        ...(wasJoined && { occupantId: "occ-self" }),
      });
      return () => this.session.gateway.send(stanza);
    });
  }

  /**
   * The user's message, accepted by the session's hook, reflected to every joined resource with
   * its id and origin-id (XEP-0045 §7.4, muc#stable_id): clients recognise their own message by it.
   */
  reflect(options: OutgoingOptions & { stanzaId: string }): Promise<void> {
    const sender = `${this.jid}/${this.userNick}`;
    return this.act(async () => this.outgoing(sender, options));
  }

  /** Groupchat has no delivery receipts from the room: the reflection says the message went through. */
  override acknowledge(): Promise<void> {
    return Promise.resolve();
  }

  /** The room's disco#info (XEP-0045 §6.4). */
  discoInfo(node?: string): Element {
    const group = this.type === "group";
    return roomDiscoInfo({
      ...(this.name !== undefined && { name: this.name }),
      ...(this.subject && { subject: this.subject }),
      occupants: this.#participants.size + 1,
      membersOnly: group,
      nonAnonymous: group,
      archive: this.archive.enabled,
      ...(node !== undefined && { node }),
    });
  }

  // ---- internals ----

  /** Groupchat messages from `sender` (a nick, or the room) to every joined resource; kept as history. */
  protected override outgoing(
    sender: string,
    options: OutgoingOptions & { stanzaId?: string },
    carbon?: boolean,
  ): Send {
    const nick = carbon
      ? this.userNick
      : sender.length > this.jid.length
        ? sender.slice(this.jid.length + 1)
        : undefined;
    const occupantId =
      nick === undefined
        ? undefined
        : nick === this.userNick
          ? "occ-self"
          : this.#participants.get(nick)?.occupantId;
    const entry: HistoryEntry = { options, nick, occupantId, at: options.delay?.stamp ?? new Date() };
    // Chat states and markers are of the moment: only content is replayed to later joins.
    if (options.body !== undefined || options.retractionOf !== undefined || options.reactions) {
      this.archive.add(entry);
    }
    return this.#sendAll([...this.#joined].map((to) => this.#groupchat(entry, to, options.delay?.stamp)));
  }

  /** An archived message as a MAM result carries it: built like the live one (room-mam.ts). */
  archivedStanza(entry: HistoryEntry, to: string): Element {
    return this.#groupchat(entry, to, undefined);
  }

  #groupchat(entry: HistoryEntry, to: string, delay: Date | undefined): Element {
    const {
      delay: _ignored,
      stanzaId,
      ...options
    } = entry.options as OutgoingOptions & { stanzaId?: string };
    const stanza = buildGroupchatMessage({
      ...options,
      room: this.jid,
      nick: entry.nick ?? "-",
      to,
      // Ids and stanza-ids are the same, so a client's reaction or retraction finds the message either way.
      stanzaId: stanzaId ?? options.id,
      ...(entry.occupantId !== undefined && { occupantId: entry.occupantId }),
      ...(delay && { delay }),
    });
    // The room's own notices come from its bare JID.
    if (entry.nick === undefined) stanza.attrs.from = this.jid;
    return stanza;
  }

  #subjectMessage(to: string): Element {
    return buildSubjectMessage({
      room: this.jid,
      to,
      subject: this.subject,
      ...(this.subjectBy !== undefined && { nick: this.subjectBy }),
    });
  }

  #occupantPresenceFactory(
    participant: LegacyParticipant,
    extra: { type?: "unavailable"; statusCodes?: MucStatusCode[]; newNick?: string; reason?: string } = {},
  ): (to: string) => Element {
    const { nick, affiliation, role, occupantId, contact } = participant;
    const jid = this.type === "group" && contact ? contact.jid : undefined;
    return (to) =>
      buildOccupantPresence({
        room: this.jid,
        nick,
        to,
        affiliation,
        role: extra.type === "unavailable" ? "none" : role,
        occupantId,
        ...(jid !== undefined && { jid }),
        ...extra,
      });
  }

  #occupantPresence(
    participant: LegacyParticipant,
    to: string,
    extra: { type?: "unavailable"; statusCodes?: MucStatusCode[]; reason?: string } = {},
  ): Element {
    return this.#occupantPresenceFactory(participant, extra)(to);
  }

  /** One send of what `build` makes for each joined resource. */
  #toJoined(build: (to: string) => Element | Element[]): Send {
    return this.#sendAll([...this.#joined].flatMap((to) => build(to)));
  }

  #sendAll(stanzas: readonly Element[]): Send {
    const { gateway } = this.session;
    return async () => {
      for (const stanza of stanzas) await gateway.send(stanza);
    };
  }
}

export type AnyRoom = LegacyRoom<ChatSession>;

export interface ParticipantOptions {
  /** The participant's contact, when the network knows who it is: its JID shows in non-anonymous rooms. */
  contact?: AnyContact;
  /** Default `member`. */
  affiliation?: MucAffiliation;
  /** Default `participant` (`moderator` for the network's admins). */
  role?: MucRole;
}

/**
 * Someone in a legacy group, shown as the occupant `room/nick`. Its actions are the room's chat
 * actions (LegacyChat) spoken as this occupant: groupchat messages to the user's joined resources,
 * in the room's call order, with the room's id maps.
 */
export class LegacyParticipant {
  readonly contact: AnyContact | undefined;
  affiliation: MucAffiliation;
  role: MucRole;

  constructor(
    readonly room: AnyRoom,
    public nick: string,
    options: ParticipantOptions,
    /** XEP-0421: stable for this participant across nick changes. */
    readonly occupantId: string,
  ) {
    this.contact = options.contact;
    this.affiliation = options.affiliation ?? "member";
    this.role = options.role ?? "participant";
  }

  sendText(body: string, options: SendTextOptions = {}): Promise<void> {
    return this.room.speaking(this, () => this.room.sendText(body, options));
  }

  correct(legacyId: string, body: string, options: CarbonOption = {}): Promise<void> {
    return this.room.speaking(this, () => this.room.correct(legacyId, body, options));
  }

  retract(legacyId: string, options: CarbonOption = {}): Promise<void> {
    return this.room.speaking(this, () => this.room.retract(legacyId, options));
  }

  react(legacyId: string, emojis: readonly string[], options: CarbonOption = {}): Promise<void> {
    return this.room.speaking(this, () => this.room.react(legacyId, emojis, options));
  }

  chatState(state: ChatState): Promise<void> {
    return this.room.speaking(this, () => this.room.chatState(state));
  }
}
