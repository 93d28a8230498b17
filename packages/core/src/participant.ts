import type { ChatState, MucAffiliation, MucRole } from "@gangway/xmpp";
import type { CarbonOption, SendTextOptions } from "./chat.js";
import type { AnyContact } from "./contact.js";
import type { AnyRoom } from "./room.js";

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
