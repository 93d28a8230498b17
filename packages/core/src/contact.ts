import {
  avatarEventMessage,
  avatarHash,
  avatarMetadataItem,
  buildChatMessage,
  buildPresence,
  type ChatMessage,
  type ChatMessageOptions,
  type ChatState,
  type Element,
  type EntityCapabilities,
  imageSize,
  type VCardInfo,
  XmppError,
} from "@gangway/xmpp";
import { Outbox, type Send, SerialQueue } from "./outbox.js";
import type { AnySession } from "./session.js";

/** Presence `show` values (RFC 6121 §4.7.2.1); `undefined` is plain "available". */
export type PresenceShow = "chat" | "away" | "xa" | "dnd";

export interface ContactPresence {
  available: boolean;
  show?: PresenceShow | undefined;
  status?: string | undefined;
  /** When the contact was last active (XEP-0319 idle), if the network says. */
  lastSeen?: Date | undefined;
}

/** A message the user sent to a contact, as the contact's `onMessage` hook receives it. */
export interface OutgoingMessage {
  /** The XMPP stanza id (or origin-id) the user's client gave the message. */
  xmppId: string | undefined;
  /** What the user wrote; an XEP-0461 reply's quoted fallback is already removed. */
  body: string;
  /** The message this one answers (XEP-0461), when the gateway knows its legacy id. */
  replyTo?: { legacyId: string } | undefined;
  /** Everything the stanza carried, parsed. */
  parsed: ChatMessage;
  stanza: Element;
}

/** Options of every legacy → XMPP action that can be something the user did elsewhere. */
export interface CarbonOption {
  /**
   * The user did this from the legacy network's own app: it is shown as sent *by the user*
   * (XEP-0356 privileged message) so all their XMPP clients see it. Without that privilege, see
   * BaseGateway's `sendCarbon` for the fallback.
   */
  carbon?: boolean;
}

export interface SendTextOptions extends CarbonOption {
  /** The legacy network's id for this message: stored, so later edits/reactions can find it. */
  id?: string;
  /** Legacy id of the message this one replies to (from either side). */
  replyTo?: string;
  /** Quoted in the body for clients without XEP-0461 (e.g. the replied message's first line). */
  replyFallback?: string;
  /** When it was sent, for messages the network delivers late or replays (XEP-0203 delay). */
  when?: Date;
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

/** The XMPP → legacy hooks; a contact class advertises in disco only those it overrides. */
export const CONTACT_HOOKS = [
  "onMessage",
  "onCorrect",
  "onRetract",
  "onReact",
  "onDisplayed",
  "onChatState",
] as const;
export type ContactHook = (typeof CONTACT_HOOKS)[number];

function notImplemented(what: string): never {
  throw new XmppError("feature-not-implemented", `This gateway cannot ${what} on this network.`);
}

/**
 * One legacy contact, shown to the user as `<escaped-legacy-id>@<gateway>`. Apps subclass it:
 * override the `on*` hooks (XMPP → legacy) and call the actions (legacy → XMPP).
 */
export class LegacyContact {
  /** The resource puppets send from: clients that track resources see one stable "device". */
  static RESOURCE = "gangway";

  /** Display name (roster name and XEP-0172 nick). */
  name: string | undefined;
  /** Friends go into the user's roster; others can still chat. */
  isFriend = true;
  /** The user has accepted this contact into their roster (so no subscription request is needed). */
  addedToRoster = false;
  private presence: ContactPresence = { available: false };
  /**
   * Legacy ids of messages shown to the user since their last read marker, oldest first: with
   * MARK_ALL_MESSAGES, one XMPP marker (which means "read up to here") marks each of them.
   */
  readonly unreadLegacyIds: string[] = [];
  /** XEP-0115 capabilities of this contact's feature set (set when the roster creates it). */
  capabilities: EntityCapabilities | undefined;
  /** Profile details beyond the name (vcard-temp and vCard4); set in `updateInfo` or `fetchVCard`. */
  vcard: VCardInfo | undefined;
  /** undefined: not known (yet); null: the contact has no picture. Set with `setAvatar`. */
  private picture: ContactAvatar | null | undefined;
  /** Legacy → XMPP actions, in call order; sent once their id maps are committed. */
  private readonly outbox = new Outbox(() => this.session.gateway.store.messageIds.flush());
  /** The user's messages to this contact, handled one at a time in arrival order. */
  private readonly inbox = new SerialQueue();

  constructor(
    readonly session: AnySession,
    readonly legacyId: string,
    readonly jidLocal: string,
  ) {}

  get jid(): string {
    return `${this.jidLocal}@${this.session.gateway.domain}`;
  }

  get fullJid(): string {
    return `${this.jid}/${(this.constructor as typeof LegacyContact).RESOURCE}`;
  }

  /** True when this contact's class overrides the hook. */
  implements(hook: ContactHook): boolean {
    return this[hook] !== LegacyContact.prototype[hook];
  }

  /**
   * Whether the feature behind `hook` works for this contact now: what its disco#info and caps
   * advertise. The default is `implements(hook)`; override it when it depends on the network
   * (an IRC server without message tags has no typing notifications).
   */
  supports(hook: ContactHook): boolean {
    return this.implements(hook);
  }

  // ---- hooks the app overrides (XMPP → legacy) ----

  /** Fill `name`/`isFriend` from the legacy network; called once when the contact is first used. */
  async updateInfo(): Promise<void> {}

  /** The user sent this contact a message. Return the legacy id of the sent message, if any. */
  async onMessage(_message: OutgoingMessage): Promise<string | undefined | void> {
    notImplemented("send messages to this contact");
  }

  /**
   * The user corrected their message `legacyId` (XEP-0308) to `body`. Return the legacy id of
   * the correction when the network gives edits ids of their own.
   */
  async onCorrect(
    _legacyId: string,
    _body: string,
    _message: OutgoingMessage,
  ): Promise<string | undefined | void> {
    notImplemented("correct messages");
  }

  /** The user retracted their message `legacyId` (XEP-0424). */
  async onRetract(_legacyId: string): Promise<void> {
    notImplemented("retract messages");
  }

  /** The user's complete set of reactions to `legacyId` is now `emojis` (empty: none). XEP-0444. */
  async onReact(_legacyId: string, _emojis: readonly string[]): Promise<void> {
    notImplemented("send reactions");
  }

  /** The user has read up to `legacyId` (XEP-0333 displayed). */
  async onDisplayed(_legacyId: string): Promise<void> {
    notImplemented("send read markers");
  }

  /** The user is typing, stopped, left… (XEP-0085). */
  async onChatState(_state: ChatState): Promise<void> {
    notImplemented("send typing notifications");
  }

  /**
   * The contact's profile, fetched when a client asks for it (vcard-temp, vCard4). The default
   * is what `updateInfo` put in `vcard`, with `name` as the full name.
   */
  async fetchVCard(): Promise<VCardInfo> {
    return { fullName: this.name, ...this.vcard };
  }

  /**
   * The reactions the user may send on `legacyId`, or undefined for any. Enforced with a clear
   * error, and advertised in disco (XEP-0444 restrictions) when the same for every message.
   */
  async availableReactions(_legacyId?: string): Promise<ReadonlySet<string> | undefined> {
    return undefined;
  }

  // ---- actions the app calls (legacy → XMPP) ----

  /** Shows a message from this contact to the user (or, with `carbon`, one the user sent it). */
  async sendText(body: string, options: SendTextOptions = {}): Promise<void> {
    return this.act(async () => {
      const { gateway } = this.session;
      const xmppId = gateway.newStanzaId();
      if (options.id !== undefined) {
        this.mapMessage(options.id, xmppId, options.carbon ? "out" : "in");
        if (!options.carbon) this.unreadLegacyIds.push(options.id);
      }
      const replyTo = options.replyTo === undefined ? undefined : await this.referenceTo(options.replyTo);
      return this.outgoing(
        {
          id: xmppId,
          body,
          originId: true,
          markable: !options.carbon,
          ...(replyTo && {
            replyTo: {
              id: replyTo.xmppId,
              to: replyTo.fromUser ? this.session.userJid : this.jid,
              ...(options.replyFallback !== undefined && { fallbackText: options.replyFallback }),
            },
          }),
          ...(options.when && { delay: { stamp: options.when, from: gateway.domain } }),
        },
        options.carbon,
      );
    });
  }

  /** The message `legacyId` was edited to `body` (XEP-0308: the correction replaces the first XMPP id). */
  async correct(legacyId: string, body: string, options: CarbonOption = {}): Promise<void> {
    return this.act(async () => {
      const target = await this.requireXmppId(legacyId);
      return this.outgoing(
        { id: this.session.gateway.newStanzaId(), body, correctionOf: target },
        options.carbon,
      );
    });
  }

  /** The message `legacyId` was deleted for everyone (XEP-0424). */
  async retract(legacyId: string, options: CarbonOption = {}): Promise<void> {
    return this.act(async () => {
      const target = await this.requireXmppId(legacyId);
      return this.outgoing({ id: this.session.gateway.newStanzaId(), retractionOf: target }, options.carbon);
    });
  }

  /** The contact's (or, with `carbon`, the user's) reactions to `legacyId` are now `emojis`. */
  async react(legacyId: string, emojis: readonly string[], options: CarbonOption = {}): Promise<void> {
    return this.act(async () => {
      const target = await this.requireXmppId(legacyId);
      return this.outgoing(
        { id: this.session.gateway.newStanzaId(), reactions: { id: target, emojis } },
        options.carbon,
      );
    });
  }

  /** The user's message `legacyId` reached the contact (XEP-0184 and XEP-0333 received). */
  async received(legacyId: string): Promise<void> {
    return this.act(async () => {
      const target = await this.xmppId(legacyId);
      return target && this.outgoing({ id: this.session.gateway.newStanzaId(), received: target });
    });
  }

  /** The contact read the user's messages up to `legacyId` (or, with `carbon`, the user read the contact's). */
  async displayed(legacyId: string, options: CarbonOption = {}): Promise<void> {
    return this.act(async () => {
      const target = await this.xmppId(legacyId);
      return (
        target && this.outgoing({ id: this.session.gateway.newStanzaId(), displayed: target }, options.carbon)
      );
    });
  }

  composing(): Promise<void> {
    return this.chatState("composing");
  }

  paused(): Promise<void> {
    return this.chatState("paused");
  }

  active(): Promise<void> {
    return this.chatState("active");
  }

  inactive(): Promise<void> {
    return this.chatState("inactive");
  }

  online(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.setPresence({ available: true, status, lastSeen: options.lastSeen });
  }

  away(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.setPresence({ available: true, show: "away", status, lastSeen: options.lastSeen });
  }

  extendedAway(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.setPresence({ available: true, show: "xa", status, lastSeen: options.lastSeen });
  }

  busy(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.setPresence({ available: true, show: "dnd", status, lastSeen: options.lastSeen });
  }

  offline(status?: string, options: PresenceOptions = {}): Promise<void> {
    return this.setPresence({ available: false, status, lastSeen: options.lastSeen });
  }

  get avatar(): ContactAvatar | null | undefined {
    return this.picture;
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
      if (this.picture?.id === id) return;
      next = { id, data, type: type ?? size?.type ?? "image/png", width: size?.width, height: size?.height };
    } else if (this.picture === null) {
      return;
    }
    this.picture = next;
    if (!this.session.isLoggedIn) return;
    await this.sendAvatarEvent();
    if (this.presence.available) await this.sendPresence();
  }

  /** The XEP-0084 metadata item of the current picture ("no avatar" when there is none). */
  avatarMetadataItem(): Element {
    const p = this.picture;
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
    return this.presence;
  }

  /**
   * Caches the presence (replayed on probes) and sends it when it changed. Before the session
   * is logged in it is only cached: the roster sync sends it after the contact is in the roster.
   */
  private async setPresence(presence: ContactPresence): Promise<void> {
    return this.act(async () => {
      const previous = this.presence;
      this.presence = presence;
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
    const { available, show, status, lastSeen } = this.presence;
    const caps = available ? this.capabilities : undefined;
    return buildPresence({
      from: this.fullJid,
      to: this.session.userJid,
      ...(available ? {} : { type: "unavailable" }),
      ...(show && { show }),
      ...(status !== undefined && { status }),
      ...(caps && { caps: { node: caps.node, ver: caps.ver, hash: "sha-1" } }),
      // XEP-0153: clients compare the hash with their cache and fetch the picture when it differs.
      ...(this.picture !== undefined && { avatarHash: this.picture?.id ?? null }),
      ...(lastSeen && { idleSince: lastSeen }),
    });
  }

  /**
   * Runs `work` after every action called before it has been prepared (see `Outbox`). Apps may
   * use it to order their own steps with the contact's actions.
   */
  inOrder<T>(work: () => Promise<T>): Promise<T> {
    return this.outbox.inOrder(work);
  }

  /** Runs `work` (the hooks for one message from the user) after the user's earlier messages. */
  fromUser<T>(work: () => Promise<T>): Promise<T> {
    return this.inbox.run(work);
  }

  /** The gateway's own delivery receipt for the user's message `xmppId` (networks without receipts). */
  acknowledge(xmppId: string): Promise<void> {
    return this.act(async () => this.outgoing({ id: this.session.gateway.newStanzaId(), received: xmppId }));
  }

  private act(prepare: () => Promise<Send | undefined | "">): Promise<void> {
    return this.outbox.act(prepare);
  }

  // ---- id maps ----

  /**
   * Records that legacy message `legacyId` is XMPP message `xmppId` in this chat. Lookups find it
   * at once; it is committed with the next batch, before anything this contact sends next.
   */
  mapMessage(legacyId: string, xmppId: string, direction: "in" | "out"): void {
    const { gateway, user } = this.session;
    gateway.store.messageIds
      .add(user.id, { chat: this.legacyId, legacyId, xmppId, direction })
      // Shown anyway: losing an id map costs a later edit of this message, not the message.
      .catch((err: unknown) => this.session.log.error({ err }, "could not store a message's id map"));
  }

  /** The first XMPP id of a legacy message (the one corrections and reactions must reference). */
  async xmppId(legacyId: string): Promise<string | undefined> {
    const { gateway, user } = this.session;
    return (await gateway.store.messageIds.first(user.id, this.legacyId, legacyId))?.xmppId;
  }

  /** The legacy id behind an XMPP id the user's client refers to (a correction, a reaction, a marker). */
  legacyIdOf(xmppId: string): Promise<string | undefined> {
    return this.session.gateway.store.messageIds.legacyId(this.session.user.id, this.legacyId, xmppId);
  }

  private async requireXmppId(legacyId: string): Promise<string> {
    const id = await this.xmppId(legacyId);
    // The app refers to a message the gateway never showed (sent before registration, or lost).
    if (!id)
      throw new XmppError("item-not-found", `No XMPP message is known for legacy message ${legacyId}.`);
    return id;
  }

  private async referenceTo(legacyId: string): Promise<{ xmppId: string; fromUser: boolean } | undefined> {
    const { gateway, user } = this.session;
    const pair = await gateway.store.messageIds.first(user.id, this.legacyId, legacyId);
    return pair && { xmppId: pair.xmppId, fromUser: pair.direction === "out" };
  }

  private chatState(state: ChatState): Promise<void> {
    return this.act(async () => this.outgoing({ id: this.session.gateway.newStanzaId(), chatState: state }));
  }

  /** A message from the contact to the user, or with `carbon` a carbon from the user to the contact. */
  private outgoing(options: Omit<ChatMessageOptions, "from" | "to">, carbon?: boolean): Send {
    const { gateway, userJid } = this.session;
    if (carbon) {
      const inner = buildChatMessage({ ...options, from: userJid, to: this.jid });
      return () => gateway.sendCarbon(userJid, inner, this.fullJid);
    }
    const stanza = buildChatMessage({ ...options, from: this.fullJid, to: userJid });
    return () => gateway.send(stanza);
  }
}
