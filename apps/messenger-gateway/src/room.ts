import {
  type AnyContact,
  type ChatSession,
  type LegacyParticipant,
  LegacyRoom,
  type ParticipantOptions,
  XmppError,
} from "@gangway/core";
import type {
  MessengerClient,
  MessengerThread,
  MessengerThreadUpdate,
  MessengerUser,
} from "./client/port.js";

/** What a group thread needs of its session (MessengerSession is one; declared here, not imported). */
export interface ThreadSession extends ChatSession {
  readonly friends: ReadonlyMap<string, MessengerUser>;
  readonly threads: ReadonlyMap<string, MessengerThread>;
  readonly ownNick: string;
  /** The account's own id: its membership and role are the user's, not an occupant's. */
  readonly selfId: string;
  readonly client: Pick<MessengerClient, "renameThread" | "downloadImage">;
  readonly contacts: { byLegacyId(legacyId: string): Promise<AnyContact> };
  readonly rooms: { remove(legacyId: string, reason?: string): Promise<unknown> };
}

const ADMIN = { role: "moderator", affiliation: "admin" } as const;
const MEMBER = { role: "participant", affiliation: "member" } as const;

/**
 * A Messenger group thread, shown as the room `<thread id>@<gateway>`. Its name is the room's name
 * and subject (a subject the user sets renames the thread); its members are occupants named after
 * their Messenger names (friends show their contact JID), its admins moderators; its picture the
 * room's avatar. `applyUpdate` follows the thread's changes.
 */
export class MessengerRoom extends LegacyRoom<ThreadSession> {
  /** The picture URL the avatar was last fetched from. */
  private imageUrl: string | undefined;

  override async updateInfo(): Promise<void> {
    const thread = this.session.threads.get(this.legacyId);
    if (!thread?.isGroup) throw new XmppError("item-not-found", "There is no Messenger group with this id.");
    this.name = thread.name;
    this.subject = thread.name;
    this.type = "group";
    this.userNick = this.session.ownNick;
    const admins = new Set(thread.adminIds ?? []);
    if (admins.has(this.session.selfId)) {
      this.userRole = ADMIN.role;
      this.userAffiliation = ADMIN.affiliation;
    }
    for (const memberId of thread.participantIds) {
      if (memberId === this.session.selfId) continue;
      this.addParticipant(this.nickOf(memberId), await this.memberOptions(memberId, admins.has(memberId)));
    }
    await this.refreshImage(thread.imageUrl ?? null);
  }

  /** A member's nick: their name when they are a friend, their id otherwise. */
  nickOf(memberId: string): string {
    if (memberId === this.session.selfId) return this.userNick;
    return this.session.friends.get(memberId)?.name ?? memberId;
  }

  /** The occupant who speaks for `memberId` (none for someone the thread did not list). */
  participantFor(memberId: string): LegacyParticipant | undefined {
    return this.participants.get(this.nickOf(memberId));
  }

  private async memberOptions(memberId: string, admin: boolean): Promise<ParticipantOptions> {
    const friend = this.session.friends.get(memberId);
    return {
      ...(friend && { contact: await this.session.contacts.byLegacyId(memberId) }),
      ...(admin ? ADMIN : MEMBER),
    };
  }

  /** The user set the subject: the thread is renamed; the network's update shows it (`applyUpdate`). */
  override async onSetSubject(subject: string): Promise<void> {
    const name = subject.trim();
    if (!name) throw new XmppError("not-acceptable", "A Messenger group needs a name.");
    await this.session.client.renameThread(this.legacyId, name);
  }

  /**
   * A change to the thread, by anyone (the user too, from XMPP or the official app): the new name
   * as the subject (by the actor's nick), the new picture, members joining and leaving (the user
   * removed: the room goes away), admins as moderators.
   */
  async applyUpdate(update: MessengerThreadUpdate, thread: MessengerThread): Promise<void> {
    const { selfId } = this.session;
    if (update.name !== undefined) {
      this.name = update.name;
      await this.setSubject(update.name, this.nickOf(update.actorId));
    }
    if (update.imageUrl !== undefined) await this.refreshImage(update.imageUrl);
    const admins = new Set(thread.adminIds ?? []);
    for (const memberId of update.added ?? []) {
      if (memberId === selfId) continue;
      await this.join(this.nickOf(memberId), await this.memberOptions(memberId, admins.has(memberId)));
    }
    for (const memberId of update.removed ?? []) {
      if (memberId === selfId) {
        await this.session.rooms.remove(this.legacyId, "You were removed from this Messenger group.");
        return;
      }
      await this.leave(this.nickOf(memberId), { kicked: update.actorId !== memberId });
    }
    if (update.adminIds !== undefined) await this.applyAdmins(new Set(update.adminIds));
  }

  private async applyAdmins(admins: ReadonlySet<string>): Promise<void> {
    const userAdmin = admins.has(this.session.selfId);
    if (userAdmin !== (this.userAffiliation === "admin"))
      await this.setRole(this.userNick, userAdmin ? ADMIN : MEMBER);
    for (const participant of this.participants.values()) {
      const memberId = this.memberIdOf(participant.nick);
      const admin = memberId !== undefined && admins.has(memberId);
      if (admin !== (participant.affiliation === "admin"))
        await this.setRole(participant.nick, admin ? ADMIN : MEMBER);
    }
  }

  /** The member a nick stands for, among the thread's members. */
  private memberIdOf(nick: string): string | undefined {
    return this.session.threads.get(this.legacyId)?.participantIds.find((id) => this.nickOf(id) === nick);
  }

  /** Fetches the group's picture when its URL changed; a failure is logged, the room goes on. */
  private async refreshImage(url: string | null): Promise<void> {
    if (url === (this.imageUrl ?? null) && (url === null || this.avatar)) return;
    try {
      const picture = url === null ? null : await this.session.client.downloadImage(url);
      this.imageUrl = url ?? undefined;
      await this.setAvatar(picture);
    } catch (err) {
      this.session.log.warn({ err, room: this.legacyId }, "could not fetch a group's picture");
    }
  }
}
