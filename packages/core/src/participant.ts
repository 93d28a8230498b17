import type { ChatState, MucAffiliation, MucRole } from "@gangway/xmpp";
import type { CarbonOption, SendFileOptions, SendFilesOptions, SendTextOptions } from "./chat.js";
import type { AnyContact } from "./contact.js";
import type { LegacyFile } from "./file-share.js";

/**
 * What a participant needs of its room (LegacyRoom is one): the chat actions, and `speaking`,
 * which makes the room say them as `room/nick`. Declared here so the room imports its
 * participants and not the other way round.
 */
export interface ParticipantRoom {
  speaking<T>(participant: LegacyParticipant, action: () => T): T;
  sendText(body: string, options?: SendTextOptions): Promise<void>;
  sendFile(file: LegacyFile, options?: SendFileOptions): Promise<void>;
  sendFiles(files: readonly LegacyFile[], options?: SendFilesOptions): Promise<void>;
  correct(legacyId: string, body: string, options?: CarbonOption): Promise<void>;
  retract(legacyId: string, options?: CarbonOption): Promise<void>;
  react(legacyId: string, emojis: readonly string[], options?: CarbonOption): Promise<void>;
  chatState(state: ChatState): Promise<void>;
  displayed(legacyId: string): Promise<void>;
  setRole(nick: string, change: { role?: MucRole; affiliation?: MucAffiliation }): Promise<void>;
}

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
    readonly room: ParticipantRoom,
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

  /** A file from this participant (see `LegacyChat.sendFile`). */
  sendFile(file: LegacyFile, options: SendFileOptions = {}): Promise<void> {
    return this.room.speaking(this, () => this.room.sendFile(file, options));
  }

  /** Several files in one message, an album (see `LegacyChat.sendFiles`). */
  sendFiles(files: readonly LegacyFile[], options: SendFilesOptions = {}): Promise<void> {
    return this.room.speaking(this, () => this.room.sendFiles(files, options));
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

  /** This participant read the room up to `legacyId` (XEP-0333 displayed, from `room/nick`). */
  displayed(legacyId: string): Promise<void> {
    return this.room.speaking(this, () => this.room.displayed(legacyId));
  }

  /** This participant's role or affiliation changed (see `LegacyRoom.setRole`). */
  setRole(change: { role?: MucRole; affiliation?: MucAffiliation }): Promise<void> {
    return this.room.setRole(this.nick, change);
  }
}
