import { type ChatSession, LegacyContact, XmppError } from "@gangway/core";
import type { MessengerClient, MessengerUser } from "./client/port.js";

/** What a friend's contact needs of its session (MessengerSession is one; declared here, not imported). */
export interface FriendSession extends ChatSession {
  readonly friends: ReadonlyMap<string, MessengerUser>;
  readonly client: Pick<MessengerClient, "downloadImage">;
}

/** A Messenger friend, as a puppet `<friend id>@<gateway>`. */
export class MessengerContact extends LegacyContact<FriendSession> {
  /** The picture URL the avatar was last fetched from: the same URL is not fetched again. */
  private avatarUrl: string | undefined;

  override async updateInfo(): Promise<void> {
    const friend = this.session.friends.get(this.legacyId);
    if (!friend) throw new XmppError("item-not-found", "There is no Messenger friend with this id.");
    await this.refresh(friend);
  }

  /** Name, picture and presence from the network's view of the friend (at login, and on `friendUpdate`). */
  async refresh(friend: MessengerUser): Promise<void> {
    this.name = friend.name;
    await this.refreshAvatar(friend.avatarUrl);
    await showPresence(this, friend);
  }

  /** A picture the network cannot give is logged, not thrown: the contact still works without it. */
  private async refreshAvatar(url: string | undefined): Promise<void> {
    if (url === this.avatarUrl && this.avatar !== undefined) return;
    try {
      const picture = url === undefined ? null : await this.session.client.downloadImage(url);
      this.avatarUrl = url;
      await this.setAvatar(picture);
    } catch (err) {
      this.session.log.warn({ err, contact: this.legacyId }, "could not fetch a friend's picture");
    }
  }
}

/** Messenger's "active now" is online; anyone else is offline, with when they were last active. */
export function showPresence(
  contact: MessengerContact,
  user: Pick<MessengerUser, "active" | "lastActiveMs">,
): Promise<void> {
  if (user.active) return contact.online();
  return contact.offline(
    user.lastActiveMs === undefined ? undefined : `Last active ${new Date(user.lastActiveMs).toISOString()}`,
  );
}
