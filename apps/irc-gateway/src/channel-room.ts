import { type ChatSession, type LegacyParticipant, LegacyRoom, XmppError } from "@gangway/core";
import type { Client } from "irc-framework";
import type { ChannelAddress } from "./channel-address.js";
import { type OccupantStanding, prefixChanges, standingFor } from "./channel-modes.js";
import { ircToXmpp } from "./formatting.js";
import { type CaseMapping, normalizeNick } from "./nicks.js";

/** What a channel room needs of its session (IrcSession is one): its IRC side. */
export interface ChannelSession extends ChatSession {
  /** Our nick on the server now. */
  readonly nick: string;
  readonly caseMapping: CaseMapping;
  /** The session's channel rooms, by channel. */
  readonly channels: ChannelRooms;
  isOwnNick(nick: string): boolean;
  nicksEqual(a: string, b: string): boolean;
  /** The channel of a room's legacy id. */
  channelAddress(legacyId: string): ChannelAddress;
  /** The connected IRC client; throws the XmppError a user understands when there is none. */
  ircClient(): Client;
}

/** Text for one IRC line: line breaks (which would end the command and start another) become spaces. */
function oneLine(text: string): string {
  return text.replace(/[\r\n\0]+/g, " ").trim();
}

/** How long the server may take to answer a JOIN with the channel's names. */
const JOIN_TIMEOUT_MS = 15_000;

/** One line of RPL_NAMREPLY as irc-framework parses it: the nick and its prefix modes' letters. */
export interface ChannelMember {
  nick: string;
  modes: readonly string[];
}

/** Why the server refused a JOIN (irc-framework's `irc error` names), in words for the user. */
const JOIN_REFUSALS: Readonly<Record<string, [XmppError["condition"], string]>> = {
  banned_from_channel: ["forbidden", "You are banned from this IRC channel."],
  invite_only_channel: ["registration-required", "This IRC channel is invite-only."],
  bad_channel_key: ["not-authorized", "This IRC channel needs a key (password)."],
  channel_is_full: ["service-unavailable", "This IRC channel is full."],
  too_many_channels: ["policy-violation", "You are in as many IRC channels as the server allows."],
};

/** Refusals of what the user did in a channel, said in the room (the rest concern joins or nothing). */
const REFUSALS_SAID = new Set(["cannot_send_to_channel", "chanop_privs_needed", "user_not_in_channel"]);

/**
 * An IRC channel as a room (type `channel`: open, semi-anonymous). The first of the user's
 * resources to join makes the session JOIN the channel; the names the server answers with are
 * the occupants (op → moderator, voice → member, see channel-modes.ts); the last resource to
 * leave PARTs it. The session's channel events (channel-events.ts) drive the rest.
 */
export class IrcRoom extends LegacyRoom<ChannelSession> {
  /** The channel as sent to the server (`#chan`), without the `%server` the JID may carry. */
  channel = "";
  #onChannel = false;
  #entering: { promise: Promise<void>; resolve(): void; reject(error: XmppError): void } | undefined;
  /** The prefix modes each participant holds (`o`, `v`…). */
  readonly #modes = new WeakMap<LegacyParticipant, Set<string>>();
  /** The user's own prefix modes here. */
  #ownModes = new Set<string>();

  override async updateInfo(): Promise<void> {
    const address = this.session.channelAddress(this.legacyId);
    this.channel = address.channel;
    this.name = address.channel;
    this.type = "channel";
    this.userNick = this.session.nick;
    this.session.channels.add(this);
  }

  /** Whether the session is on the channel now (JOINed and its names received). */
  get onChannel(): boolean {
    return this.#onChannel;
  }

  /** The user kicks someone (muc#admin role none): a KICK, shown when the server echoes it. */
  override async onKick(participant: LegacyParticipant, reason?: string): Promise<void> {
    const client = this.session.ircClient();
    const why = reason ? oneLine(reason) : "";
    if (why) client.raw("KICK", this.channel, participant.nick, why);
    else client.raw("KICK", this.channel, participant.nick);
  }

  /** The user sets the subject: a TOPIC, shown when the server echoes it (a refusal shows nothing). */
  override async onSetSubject(subject: string): Promise<void> {
    const topic = oneLine(subject);
    // "TOPIC #chan :" clears it; without the colon the server would only say what it is.
    this.session.ircClient().raw(topic ? `TOPIC ${this.channel} :${topic}` : `TOPIC ${this.channel} :`);
  }

  /** The first resource to join waits for the session's JOIN; the others find the channel joined. */
  override async userJoined(fullJid: string, join: Parameters<LegacyRoom["userJoined"]>[1]): Promise<void> {
    await this.enter();
    this.userNick = this.session.nick;
    return super.userJoined(fullJid, join);
  }

  /** The last of the user's resources to leave PARTs the channel. */
  override async userLeft(fullJid: string, options: { id?: string; quiet?: boolean } = {}): Promise<void> {
    await super.userLeft(fullJid, options);
    if (this.joinedResources.size === 0 && (this.#onChannel || this.#entering)) this.#part();
  }

  /** JOINs the channel (once, however many resources ask) and resolves with its names in. */
  enter(): Promise<void> {
    if (this.#onChannel) return Promise.resolve();
    if (this.#entering) return this.#entering.promise;
    const client = this.session.ircClient();
    let resolve!: () => void;
    let reject!: (error: XmppError) => void;
    const promise = new Promise<void>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    const timer = setTimeout(
      () => this.joinRefused(undefined, "The IRC server did not answer the join in time."),
      JOIN_TIMEOUT_MS,
    );
    timer.unref();
    const entering = {
      promise: promise.finally(() => clearTimeout(timer)),
      resolve,
      reject,
    };
    this.#entering = entering;
    client.join(this.channel);
    return entering.promise;
  }

  /**
   * The server refused something in this channel (`error`: irc-framework's name for it): our JOIN
   * while one is under way (the join's error), else what the user did — a message to a moderated
   * channel, a KICK or TOPIC without op — said by the room in the server's words.
   */
  serverRefused(error: string, reason: string | undefined): void {
    if (this.#entering) {
      this.joinRefused(error);
      return;
    }
    if (!REFUSALS_SAID.has(error)) return;
    const said = `The IRC server refused this${reason ? `: ${oneLine(reason)}` : "."}`;
    void this.sendText(said).catch(this.#failed);
  }

  /** The server refused our JOIN (`error`: irc-framework's name for it) or did not answer. */
  joinRefused(error: string | undefined, text?: string): void {
    const entering = this.#entering;
    if (!entering) return;
    this.#entering = undefined;
    const [condition, words] = (error && JOIN_REFUSALS[error]) || [
      "service-unavailable",
      text ?? "The IRC server refused the join.",
    ];
    entering.reject(new XmppError(condition, words));
  }

  /**
   * The channel's names (RPL_ENDOFNAMES): after our JOIN, the occupants; later (a NAMES, a
   * rejoin after a reconnection) they are reconciled: who is gone leaves, who is new joins, whose
   * modes changed is shown with the new role.
   */
  namesReceived(members: readonly ChannelMember[]): void {
    // Names of a channel we are not on (asked for, or answering a JOIN we have PARTed since).
    if (!this.#entering && !this.#onChannel) return;
    const seen = new Set<LegacyParticipant>();
    for (const member of members) {
      if (this.session.isOwnNick(member.nick)) {
        this.#setOwnModes(new Set(member.modes));
        continue;
      }
      const participant = this.participantFor(member.nick) ?? this.#add(member.nick, member.modes);
      seen.add(participant);
      this.#setModes(participant, new Set(member.modes));
    }
    for (const participant of [...this.participants.values()]) {
      if (!seen.has(participant)) void this.leave(participant.nick).catch(this.#failed);
    }
    const entering = this.#entering;
    this.#entering = undefined;
    this.#onChannel = true;
    entering?.resolve();
  }

  /** A participant, by nick as the server spells it now (nicks compare case-insensitively). */
  participantFor(nick: string): LegacyParticipant | undefined {
    const exact = this.participants.get(nick);
    if (exact) return exact;
    for (const participant of this.participants.values()) {
      if (this.session.nicksEqual(participant.nick, nick)) return participant;
    }
    return undefined;
  }

  /** Someone JOINed. */
  memberJoined(nick: string): void {
    if (this.participantFor(nick)) return;
    this.#add(nick, []);
  }

  /**
   * Someone PARTed or QUIT (`message`: their parting words, shown as the presence's status) or was
   * kicked (`kicked`: status 307, with the reason).
   */
  memberLeft(nick: string, options: { kicked?: boolean; reason?: string; message?: string } = {}): void {
    const participant = this.participantFor(nick);
    if (!participant) return;
    const { kicked, reason, message } = options;
    const leaving = kicked
      ? { kicked, ...(reason && { reason: ircToXmpp(reason) }) }
      : message
        ? { status: ircToXmpp(message) }
        : {};
    void this.leave(participant.nick, leaving).catch(this.#failed);
  }

  /** Someone changed nick. */
  memberRenamed(nick: string, newNick: string): void {
    const participant = this.participantFor(nick);
    if (participant) void this.rename(participant.nick, newNick).catch(this.#failed);
  }

  /** A MODE on the channel: prefix modes (op, voice…) change roles; the rest is not shown. */
  modesChanged(modes: readonly { mode: string; param: string | null | undefined }[]): void {
    for (const change of prefixChanges(modes)) {
      if (this.session.isOwnNick(change.nick)) {
        const held = new Set(this.#ownModes);
        if (change.added) held.add(change.mode);
        else held.delete(change.mode);
        this.#setOwnModes(held);
        continue;
      }
      const participant = this.participantFor(change.nick);
      if (!participant) continue;
      const held = new Set(this.#modes.get(participant));
      if (change.added) held.add(change.mode);
      else held.delete(change.mode);
      this.#setModes(participant, held);
    }
  }

  /** We were kicked: every joined resource gets its own 307 (who, and why when it was said). */
  async kickedOut(by: string, reason: string): Promise<void> {
    this.#onChannel = false;
    await this.userKicked({ by, ...(reason && reason !== by && { reason: ircToXmpp(reason) }) });
    this.#forgetParticipants();
  }

  /** Our own PART went through (the user left, or another client of ours parted). */
  selfParted(): void {
    if (this.#entering) return; // the user joined again: a JOIN after it is under way
    this.#onChannel = false;
    this.#forgetParticipants();
  }

  /** The connection to IRC is gone: a rejoin (after the reconnection) starts afresh. */
  disconnected(): void {
    this.#onChannel = false;
    this.joinRefused(undefined, "The connection to IRC was lost.");
  }

  /** Back on IRC after a reconnection: JOIN again if the user is still in the room. */
  rejoin(): void {
    if (this.joinedResources.size === 0) return;
    this.enter().catch((err: unknown) => {
      this.session.log.warn({ err, channel: this.channel }, "could not rejoin an IRC channel");
    });
  }

  #part(): void {
    this.#onChannel = false;
    this.joinRefused(undefined, "You left the room.");
    this.#forgetParticipants();
    try {
      this.session.ircClient().part(this.channel);
    } catch {
      // Not connected: there is nothing to part.
    }
  }

  /** Nobody is joined: the participants go without a word (a later join fills them from NAMES). */
  #forgetParticipants(): void {
    for (const nick of [...this.participants.keys()]) void this.leave(nick).catch(this.#failed);
  }

  #add(nick: string, modes: readonly string[]): LegacyParticipant {
    const standing = standingFor(modes);
    const participant = this.addParticipant(nick, standing);
    this.#modes.set(participant, new Set(modes));
    // Shown to the resources already joined (none while our own JOIN is under way).
    void this.join(nick).catch(this.#failed);
    return participant;
  }

  #setModes(participant: LegacyParticipant, modes: Set<string>): void {
    this.#modes.set(participant, modes);
    const standing: OccupantStanding = standingFor(modes);
    if (participant.role === standing.role && participant.affiliation === standing.affiliation) return;
    void this.setRole(participant.nick, standing).catch(this.#failed);
  }

  /** The user's own standing: an op is a moderator here, and may kick and set the topic. */
  #setOwnModes(modes: Set<string>): void {
    this.#ownModes = modes;
    const standing = standingFor(modes);
    // A channel is open: the user is at least a participant, like anyone without a prefix.
    if (this.userRole === standing.role && this.userAffiliation === standing.affiliation) return;
    if (this.joinedResources.size === 0) {
      this.userRole = standing.role;
      this.userAffiliation = standing.affiliation;
    } else void this.setRole(this.userNick, standing).catch(this.#failed);
  }

  readonly #failed = (err: unknown) =>
    this.session.log.error({ err, channel: this.channel }, "could not show a channel event");
}

/**
 * The user's IRC channels that are rooms, by channel name folded with the server's case mapping.
 * A channel can be two rooms (`#chan` and `#chan%server`, if the user joined both): each gets
 * the channel's events.
 */
export class ChannelRooms {
  readonly #byChannel = new Map<string, Set<IrcRoom>>();

  constructor(private readonly session: { readonly caseMapping: CaseMapping }) {}

  add(room: IrcRoom): void {
    const key = this.#key(room.channel);
    const rooms = this.#byChannel.get(key) ?? new Set();
    this.#byChannel.set(key, rooms.add(room));
  }

  /** The rooms of `channel` (as the server spells it), possibly none. */
  of(channel: string): Iterable<IrcRoom> {
    return this.#byChannel.get(this.#key(channel)) ?? [];
  }

  *[Symbol.iterator](): IterableIterator<IrcRoom> {
    for (const rooms of this.#byChannel.values()) yield* rooms;
  }

  #key(channel: string): string {
    return normalizeNick(channel, this.session.caseMapping);
  }
}
