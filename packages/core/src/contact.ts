import {
  avatarEventMessage,
  avatarHash,
  avatarMetadataItem,
  buildPresence,
  type Element,
  imageSize,
  type PresenceShow,
  type VCardInfo,
} from "@gangway/xmpp";
import { type ChatSession, LegacyChat } from "./chat.js";

export interface ContactPresence {
  available: boolean;
  show?: PresenceShow | undefined;
  status?: string | undefined;
  /** When the contact was last active (XEP-0319 idle), if the network says. */
  lastSeen?: Date | undefined;
}

export interface PresenceOptions {
  /** When the contact was last active on the network (XEP-0319). */
  lastSeen?: Date;
}

/** A contact's picture, as served by the puppet's XEP-0084 PEP nodes and hashed for XEP-0153. */
export interface ContactAvatar {
  /** SHA-1 hex of the bytes: the XEP-0084 item id and the XEP-0153 photo hash. */
  readonly id: string;
  readonly data: Uint8Array;
  readonly type: string;
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

/**
 * One legacy contact, shown to the user as `<escaped-legacy-id>@<gateway>`: a 1:1 chat (the
 * actions and id maps of LegacyChat) that is also a person with a name, presence, picture and
 * profile. Apps subclass it to fill those in `updateInfo`; the chat hooks live on the session.
 */
export class LegacyContact<S extends ChatSession = ChatSession> extends LegacyChat<S> {
  /** The resource puppets send from: clients that track resources see one stable "device". */
  static RESOURCE = "gangway";

  /** Display name (roster name and XEP-0172 nick). */
  name: string | undefined;
  /** Friends go into the user's roster; others can still chat. */
  isFriend = true;
  /** The user has accepted this contact into their roster (so no subscription request is needed). */
  addedToRoster = false;
  #presence: ContactPresence = { available: false };
  /** Profile details beyond the name (vcard-temp and vCard4); set in `updateInfo` or `fetchVCard`. */
  vcard: VCardInfo | undefined;
  /** undefined: not known (yet); null: the contact has no picture. Set with `setAvatar`. */
  #picture: ContactAvatar | null | undefined;

  get fullJid(): string {
    return `${this.jid}/${(this.constructor as typeof LegacyContact).RESOURCE}`;
  }

  protected get senderJid(): string {
    return this.fullJid;
  }

  // ---- hooks the app overrides ----

  /** Fill `name`/`isFriend`/`vcard`/the avatar from the legacy network; called once, on first use. */
  async updateInfo(): Promise<void> {}

  /**
   * The contact's profile, fetched when a client asks for it (vcard-temp, vCard4). The default
   * is what `updateInfo` put in `vcard`, with `name` as the full name.
   */
  async fetchVCard(): Promise<VCardInfo> {
    return { fullName: this.name, ...this.vcard };
  }

  // ---- actions the app calls (legacy → XMPP) ----

  online(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.#setPresence({ available: true, status, lastSeen: options.lastSeen });
  }

  away(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.#setPresence({ available: true, show: "away", status, lastSeen: options.lastSeen });
  }

  extendedAway(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.#setPresence({ available: true, show: "xa", status, lastSeen: options.lastSeen });
  }

  busy(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.#setPresence({ available: true, show: "dnd", status, lastSeen: options.lastSeen });
  }

  offline(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.#setPresence({ available: false, status, lastSeen: options.lastSeen });
  }

  get avatar(): ContactAvatar | null | undefined {
    return this.#picture;
  }

  /**
   * Sets the contact's picture (image bytes, or null for none). Once logged in, the change is
   * announced: an XEP-0084 metadata event and a presence with the XEP-0153 hash.
   */
  async setAvatar(data: Uint8Array | null, type?: string): Promise<void> {
    let next: ContactAvatar | null = null;
    if (data) {
      const size = imageSize(data);
      const id = avatarHash(data);
      if (this.#picture?.id === id) return;
      next = { id, data, type: type ?? size?.type ?? "image/png", width: size?.width, height: size?.height };
    } else if (this.#picture === null) {
      return;
    }
    this.#picture = next;
    this.session.gateway.metrics.counts.legacyEvents.count("avatar");
    if (!this.session.isLoggedIn) return;
    await this.sendAvatarEvent();
    if (this.#presence.available) await this.sendPresence();
  }

  /** The XEP-0084 metadata item of the current picture ("no avatar" when there is none). */
  avatarMetadataItem(): Element {
    const p = this.#picture;
    return p
      ? avatarMetadataItem({
          id: p.id,
          bytes: p.data.byteLength,
          type: p.type,
          width: p.width,
          height: p.height,
        })
      : avatarMetadataItem(null, "current");
  }

  /** Tells the user's clients (PEP `+notify`) that the picture changed. */
  async sendAvatarEvent(): Promise<void> {
    const { gateway, userJid } = this.session;
    await gateway.send(
      avatarEventMessage({
        from: this.jid,
        to: userJid,
        id: gateway.newStanzaId(),
        metadataItem: this.avatarMetadataItem(),
      }),
    );
  }

  get currentPresence(): Readonly<ContactPresence> {
    return this.#presence;
  }

  /**
   * Caches the presence (replayed on probes) and sends it when it changed. Before the session
   * is logged in it is only cached: the roster sync sends it after the contact is in the roster.
   */
  async #setPresence(presence: ContactPresence): Promise<void> {
    this.session.gateway.metrics.counts.legacyEvents.count("presence");
    return this.act(async () => {
      const previous = this.#presence;
      this.#presence = presence;
      const changed =
        previous.available !== presence.available ||
        previous.show !== presence.show ||
        previous.status !== presence.status ||
        previous.lastSeen?.getTime() !== presence.lastSeen?.getTime();
      if (!changed || !this.session.isLoggedIn) return undefined;
      return () => this.sendPresence();
    });
  }

  /** Sends the cached presence to the user (also the answer to a probe). */
  async sendPresence(): Promise<void> {
    await this.session.gateway.send(this.presenceStanza());
  }

  presenceStanza(): Element {
    const { available, show, status, lastSeen } = this.#presence;
    const caps = available ? this.capabilities : undefined;
    return buildPresence({
      from: this.fullJid,
      to: this.session.userJid,
      ...(available ? {} : { type: "unavailable" }),
      ...(show && { show }),
      ...(status !== undefined && { status }),
      ...(caps && { caps: { node: caps.node, ver: caps.ver, hash: "sha-1" } }),
      // XEP-0153: clients compare the hash with their cache and fetch the picture when it differs.
      ...(this.#picture !== undefined && { avatarHash: this.#picture?.id ?? null }),
      ...(lastSeen && { idleSince: lastSeen }),
    });
  }
}

export type AnyContact = LegacyContact<ChatSession>;
