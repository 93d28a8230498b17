import {
  type AnyContact,
  type ChatSession,
  type LegacyParticipant,
  LegacyRoom,
  XmppError,
} from "@gangway/core";
import type { MessengerThread, MessengerUser } from "./client/port.js";

/** What a group thread needs of its session (MessengerSession is one; declared here, not imported). */
export interface ThreadSession extends ChatSession {
  readonly friends: ReadonlyMap<string, MessengerUser>;
  readonly threads: ReadonlyMap<string, MessengerThread>;
  readonly ownNick: string;
  readonly contacts: { byLegacyId(legacyId: string): Promise<AnyContact> };
}

/**
 * A Messenger group thread, shown as the room `<thread id>@<gateway>`. Its members are occupants
 * named after their Messenger names; friends among them show their contact JID.
 */
export class MessengerRoom extends LegacyRoom<ThreadSession> {
  override async updateInfo(): Promise<void> {
    const thread = this.session.threads.get(this.legacyId);
    if (!thread?.isGroup) throw new XmppError("item-not-found", "There is no Messenger group with this id.");
    this.name = thread.name;
    this.type = "group";
    this.userNick = this.session.ownNick;
    for (const memberId of thread.participantIds) {
      const friend = this.session.friends.get(memberId);
      this.addParticipant(this.nickOf(memberId), {
        ...(friend && { contact: await this.session.contacts.byLegacyId(memberId) }),
      });
    }
  }

  /** A member's nick: their name when they are a friend, their id otherwise. */
  nickOf(memberId: string): string {
    return this.session.friends.get(memberId)?.name ?? memberId;
  }

  /** The occupant who speaks for `memberId` (none for someone the thread did not list). */
  participantFor(memberId: string): LegacyParticipant | undefined {
    return this.participants.get(this.nickOf(memberId));
  }
}
