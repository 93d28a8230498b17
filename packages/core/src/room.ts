import {
  avatarHash,
  type Element,
  imageSize,
  type MucAffiliation,
  type MucHistoryRequest,
  type MucRole,
  type MucStatusCode,
  roomAvatarPresence,
  roomDiscoInfo,
  XmppError,
} from "@gangway/xmpp";
import { type ChatSession, LegacyChat, type OutgoingOptions } from "./chat.js";
import { mentionsFromXmpp, type TextMention } from "./mentions.js";
import type { Send } from "./outbox.js";
import { LegacyParticipant, type ParticipantOptions } from "./participant.js";
import { type HistoryEntry, RoomArchive } from "./room-archive.js";
import {
  occupantPresence,
  type RoomOutgoingOptions,
  roomMessage,
  SELF_OCCUPANT_ID,
  selfGonePresence,
  selfPresence,
  subjectMessage,
} from "./room-stanzas.js";

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
  /** The user's role here, from the network: its admins are moderators (and may moderate, kick). */
  userRole: MucRole = "participant";
  userAffiliation: MucAffiliation = "member";
  readonly #participants = new Map<string, LegacyParticipant>();
  /** The user's full JIDs joined to this room. */
  readonly #joined = new Set<string>();
  /** What the room said, in the store: MAM (room-mam.ts) and `<history/>` on join. */
  readonly archive = new RoomArchive(this);
  #avatar: RoomAvatar | null = null;
  /** The participant whose action is being called (see `senderJid`). */
  #speaker: LegacyParticipant | undefined;
  #occupantIds = 0;

  // ---- hooks the app overrides ----

  /** Fill `name`, `subject`, `type`, `userNick` and the participants (`addParticipant`); called once. */
  async updateInfo(): Promise<void> {}

  // The room's administration, asked by the user (XMPP → legacy). Like slidge's, these hooks are
  // the room's (only rooms have them); the chat hooks (onMessage…) stay the session's. When the
  // network confirms, the app shows the outcome with the legacy → XMPP action named in each.

  /** The user, a moderator, deletes `legacyId` for everyone (XEP-0425); show it with `moderate`. */
  async onModerate(_legacyId: string, _reason?: string): Promise<void> {
    throw roomCannot("moderate messages");
  }

  /** The user, a moderator, removes `participant` (XEP-0045 §8.2); show it with `leave(nick, { kicked })`. */
  async onKick(_participant: LegacyParticipant, _reason?: string): Promise<void> {
    throw roomCannot("remove participants");
  }

  /** The user changes the subject (XEP-0045 §8.1); show it with `setSubject`. */
  async onSetSubject(_subject: string): Promise<void> {
    throw roomCannot("change the subject");
  }

  /** Whether this room's class overrides an administration hook (what disco and the router offer). */
  overrides(hook: RoomHook): boolean {
    return this[hook] !== LegacyRoom.prototype[hook];
  }

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
    return this.act(async () => this.#toJoined(occupantPresence(this, participant))).then(() => participant);
  }

  /** A participant leaves (`kicked`: status 307 with `reason`; `status`: their parting words). */
  leave(nick: string, options: { kicked?: boolean; reason?: string; status?: string } = {}): Promise<void> {
    const participant = this.#participants.get(nick);
    if (!participant) return Promise.resolve();
    this.#participants.delete(nick);
    return this.act(async () =>
      this.#toJoined(
        occupantPresence(this, participant, {
          type: "unavailable",
          ...(options.kicked && { statusCodes: [307] }),
          ...(options.reason !== undefined && { reason: options.reason }),
          ...(options.status !== undefined && { status: options.status }),
        }),
      ),
    );
  }

  /**
   * The network changed the user's own nick here: every joined resource sees itself leave with 303
   * and come back as `newNick` (XEP-0045 §7.6, 110 on both), as it would for a rename of its own.
   */
  renameUser(newNick: string): Promise<void> {
    if (newNick === this.userNick || this.#participants.has(newNick)) return Promise.resolve();
    // Built before the nick changes, sent in call order after it.
    const gone = [...this.#joined].map((to) => selfGonePresence(this, to, { newNick, statusCodes: [303] }));
    this.userNick = newNick;
    return this.act(async () =>
      this.#sendAll([...gone, ...[...this.#joined].map((to) => selfPresence(this, to, [110]))]),
    );
  }

  /**
   * The network removed the user from the room for now (kicked, with `reason`; `by`: the
   * moderator's nick): every joined resource gets its own unavailable presence with 110 and 307
   * and is no longer joined. The room stays: the user may join again.
   */
  userKicked(options: { reason?: string; by?: string } = {}): Promise<void> {
    return this.act(async () => {
      const joined = [...this.#joined];
      this.#joined.clear();
      return this.#sendAll(
        joined.map((to) =>
          selfGonePresence(this, to, {
            statusCodes: [307],
            ...(options.reason !== undefined && { reason: options.reason }),
            ...(options.by !== undefined && { actorNick: options.by }),
          }),
        ),
      );
    });
  }

  /** A participant changed nick (XEP-0045 §7.6: unavailable with 303, then available as the new one). */
  rename(nick: string, newNick: string): Promise<void> {
    const participant = this.#participants.get(nick);
    if (!participant || nick === newNick || this.#participants.has(newNick)) return Promise.resolve();
    const gone = occupantPresence(this, participant, {
      type: "unavailable",
      newNick,
      statusCodes: [303],
    });
    this.#participants.delete(nick);
    participant.nick = newNick;
    this.#participants.set(newNick, participant);
    const back = occupantPresence(this, participant);
    return this.act(async () => this.#toJoined((to) => [gone(to), back(to)]));
  }

  /**
   * A participant's role or affiliation changed on the network (made admin, muted…), or, for
   * `userNick`, the user's own: shown as the occupant's presence (110 for the user's).
   */
  setRole(nick: string, change: { role?: MucRole; affiliation?: MucAffiliation }): Promise<void> {
    if (nick === this.userNick) {
      this.userRole = change.role ?? this.userRole;
      this.userAffiliation = change.affiliation ?? this.userAffiliation;
      return this.act(async () => this.#toJoined((to) => selfPresence(this, to, [110])));
    }
    const participant = this.#participants.get(nick);
    if (!participant) return Promise.resolve();
    participant.role = change.role ?? participant.role;
    participant.affiliation = change.affiliation ?? participant.affiliation;
    return this.act(async () => this.#toJoined(occupantPresence(this, participant)));
  }

  /**
   * A moderator (`by`: a nick, when the network says who) deleted `legacyId` for everyone:
   * XEP-0425 moderated retraction to every joined resource. Unknown messages are skipped.
   */
  moderate(legacyId: string, options: { by?: string; reason?: string } = {}): Promise<void> {
    return this.act(async () => {
      const target = await this.xmppId(legacyId);
      if (target === undefined) return undefined;
      const { by, reason } = options;
      const sender = by === undefined ? this.jid : `${this.jid}/${by}`;
      const moderation = { ...(by !== undefined && { by }), ...(reason !== undefined && { reason }) };
      return this.outgoing(sender, {
        id: this.session.gateway.newStanzaId(),
        retractionOf: target,
        moderation,
      });
    });
  }

  /** The subject changed (by `nick`, if the network says who). */
  setSubject(subject: string, nick?: string): Promise<void> {
    this.subject = subject;
    this.subjectBy = nick;
    return this.act(async () => this.#toJoined((to) => subjectMessage(this, to)));
  }

  /** The group's picture: the room's vCard photo, its hash in disco (XEP-0486). */
  get avatar(): RoomAvatar | null {
    return this.#avatar;
  }

  /** Sets the group's picture (image bytes, null for none); joined resources are told to fetch it. */
  setAvatar(data: Uint8Array | null, type?: string): Promise<void> {
    const id = data ? avatarHash(data) : null;
    if ((this.#avatar?.id ?? null) === id) return Promise.resolve();
    this.#avatar = data && id ? { id, data, type: type ?? imageSize(data)?.type ?? "image/png" } : null;
    return this.act(async () => this.#toJoined((to) => roomAvatarPresence({ room: this.jid, to, hash: id })));
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
        stanzas.push(occupantPresence(this, participant)(fullJid));
      }
      const codes: MucStatusCode[] = [110];
      if (this.type === "group") codes.push(100);
      if (join.nick !== this.userNick) codes.push(210);
      stanzas.push(selfPresence(this, fullJid, codes, join.id));
      for (const entry of await this.archive.select(join.history, new Date())) {
        stanzas.push(roomMessage(this, entry, fullJid, entry.at));
      }
      stanzas.push(subjectMessage(this, fullJid));
      return this.#sendAll(stanzas);
    });
  }

  /** A resource of the user leaves: its own unavailable presence (110). `quiet`: it bounced, say nothing. */
  userLeft(fullJid: string, options: { id?: string; quiet?: boolean } = {}): Promise<void> {
    return this.act(async () => {
      const wasJoined = this.#joined.delete(fullJid);
      if (options.quiet) return undefined;
      // A leave from a resource that is not joined is still confirmed: its client waits for it.
      const stanza = selfGonePresence(this, fullJid, {
        joined: wasJoined,
        ...(options.id !== undefined && { id: options.id }),
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

  protected override get idMapKey(): string {
    return `room:${this.legacyId}`;
  }

  /** Groupchat has no delivery receipts from the room: the reflection says the message went through. */
  override acknowledge(): Promise<void> {
    return Promise.resolve();
  }

  /** Who the user's message names: the XEP-0372 references to occupants, else nicks in the text. */
  override mentionsIn(body: string, stanza: Element): TextMention[] {
    return mentionsFromXmpp(
      this.jid,
      body,
      stanza,
      (nick) => nick === this.userNick || this.#participants.has(nick),
    );
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
      moderation: this.userRole === "moderator" && this.overrides("onModerate"),
      ...(this.#avatar && { avatarHash: this.#avatar.id }),
      ...(node !== undefined && { node }),
    });
  }

  // ---- internals ----

  /** Groupchat messages from `sender` (a nick, or the room) to every joined resource; kept as history. */
  protected override outgoing(sender: string, options: RoomOutgoingOptions, carbon?: boolean): Send {
    const nick = carbon
      ? this.userNick
      : sender.length > this.jid.length
        ? sender.slice(this.jid.length + 1)
        : undefined;
    const occupantId =
      nick === undefined
        ? undefined
        : nick === this.userNick
          ? SELF_OCCUPANT_ID
          : this.#participants.get(nick)?.occupantId;
    const entry: HistoryEntry = { options, nick, occupantId, at: options.delay?.stamp ?? new Date() };
    // Chat states and markers are of the moment: only content is replayed to later joins.
    if (options.body !== undefined || options.retractionOf !== undefined || options.reactions) {
      this.archive.add(entry);
    }
    return this.#toJoined((to) => roomMessage(this, entry, to, options.delay?.stamp));
  }

  /** An archived message as a MAM result carries it: built like the live one (room-mam.ts). */
  archivedStanza(entry: HistoryEntry, to: string): Element {
    return roomMessage(this, entry, to);
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

export interface RoomAvatar {
  /** Hex SHA-1 of `data` (XEP-0153/XEP-0486). */
  readonly id: string;
  readonly data: Uint8Array;
  readonly type: string;
}

/** The room administration hooks an app may override. */
export type RoomHook = "onModerate" | "onKick" | "onSetSubject";

function roomCannot(what: string): XmppError {
  return new XmppError("feature-not-implemented", `This gateway cannot ${what} in this group.`);
}
