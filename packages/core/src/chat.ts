import type { UserRow } from "@gangway/store";
import {
  buildChatMessage,
  type ChatState,
  type Element,
  type EntityCapabilities,
  XmppError,
} from "@gangway/xmpp";
import type { Logger } from "pino";
import type { ChatHook } from "./chat-hooks.js";
import type {
  CarbonOption,
  OutgoingOptions,
  SendFileOptions,
  SendFilesOptions,
  SendTextOptions,
} from "./chat-types.js";
import { fileMessageParts } from "./file-album.js";
import type { LegacyFile } from "./file-share.js";
import type { GatewayHost } from "./host.js";
import type { TextMention } from "./mentions.js";
import { Outbox, type Send, SerialQueue } from "./outbox.js";
import { splitBodyForStanza } from "./split-text.js";

export type {
  CarbonOption,
  OutgoingMessage,
  OutgoingOptions,
  SendFileOptions,
  SendFilesOptions,
  SendTextOptions,
} from "./chat-types.js";

/** What a chat needs of the session it belongs to (BaseSession is one). */
export interface ChatSession {
  readonly gateway: GatewayHost;
  readonly user: UserRow;
  readonly userJid: string;
  readonly log: Logger;
  /** The first login is done (a contact's presence and avatar are sent from then on). */
  readonly isLoggedIn: boolean;
  supports(hook: ChatHook, chat: LegacyChat): boolean;
  availableReactions(chat: LegacyChat, legacyId?: string): Promise<ReadonlySet<string> | undefined>;
}

/**
 * One conversation between the user and the legacy network: a contact's 1:1 chat (LegacyContact)
 * and, with groups, a room. It owns what every conversation needs: the legacy → XMPP actions
 * (sent in call order, each after the id maps before it are committed), the user's messages
 * handled one at a time, and the id maps between legacy and XMPP message ids.
 */
export abstract class LegacyChat<S extends ChatSession = ChatSession> {
  /**
   * Legacy ids of messages shown to the user since their last read marker, oldest first: with
   * MARK_ALL_MESSAGES, one XMPP marker (which means "read up to here") marks each of them.
   */
  readonly unreadLegacyIds: string[] = [];
  /** XEP-0115 capabilities of this chat's feature set (set when the chat is created). */
  capabilities: EntityCapabilities | undefined;
  /** Legacy → XMPP actions, in call order; sent once their id maps are committed. */
  readonly #outbox = new Outbox(() => this.session.gateway.store.messageIds.flush());
  /** The user's messages to this chat, handled one at a time in arrival order. */
  readonly #inbox = new SerialQueue();

  constructor(
    readonly session: S,
    readonly legacyId: string,
    readonly jidLocal: string,
  ) {}

  /**
   * The key of this chat's id maps in the store: the legacy id, which rooms prefix so that a group
   * and a contact with the same legacy id (networks number both alike) keep separate maps.
   */
  protected get idMapKey(): string {
    return this.legacyId;
  }

  /** The chat's bare JID, which the user writes to. */
  get jid(): string {
    return `${this.jidLocal}@${this.session.gateway.domain}`;
  }

  /**
   * Where the legacy side's messages come from (a puppet's full JID, a room occupant…): read when
   * an action is called, so a room can say which occupant speaks (see LegacyRoom).
   */
  protected abstract get senderJid(): string;

  /** Whether the feature behind `hook` works in this chat now (the session decides). */
  supports(hook: ChatHook): boolean {
    return this.session.supports(hook, this);
  }

  /** The reactions the user may send on `legacyId` here, or undefined for any (the session decides). */
  availableReactions(legacyId?: string): Promise<ReadonlySet<string> | undefined> {
    return this.session.availableReactions(this, legacyId);
  }

  // ---- actions the app calls (legacy → XMPP) ----

  /** Shows a message from the other side to the user (or, with `carbon`, one the user sent). */
  async sendText(body: string, options: SendTextOptions = {}): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("message");
    return this.act(async () => {
      const { gateway } = this.session;
      const known = await this.#replayedXmppIds(options);
      const replyTo = options.replyTo === undefined ? undefined : await this.#referenceTo(options.replyTo);
      const { parts, fallback } = this.#split(body, replyTo && options.replyFallback);
      // A text too long for one stanza goes as several messages, all mapped to the legacy id: the
      // first part is the one legacy edits, reactions and replies refer to (the id map's first).
      const messages = parts.map((part, index) => ({ part, xmppId: known[index] ?? gateway.newStanzaId() }));
      if (options.id !== undefined) {
        for (const { xmppId } of messages.slice(known.length))
          this.mapMessage(options.id, xmppId, options.carbon ? "out" : "in");
        if (!options.carbon && known.length === 0) this.unreadLegacyIds.push(options.id);
      }
      const sends = messages.map(({ part, xmppId }, index) =>
        this.outgoing(
          sender,
          {
            id: xmppId,
            body: part,
            originId: true,
            markable: !options.carbon,
            ...(replyTo &&
              index === 0 && {
                replyTo: {
                  id: replyTo.xmppId,
                  to: replyTo.fromUser ? this.session.userJid : this.jid,
                  ...(fallback !== undefined && { fallbackText: fallback }),
                },
              }),
            ...(options.when && { delay: { stamp: options.when, from: gateway.domain } }),
            ...(index === 0 &&
              options.mentions && { mentions: options.mentions.filter((m) => m.end <= part.length) }),
          },
          options.carbon,
        ),
      );
      return inSequence(sends);
    });
  }

  /**
   * Shows a file from the other side (or, with `carbon`, one the user sent): uploaded through the
   * server's upload service, streamed, then one message whose body is its URL with XEP-0066 and
   * XEP-0447 metadata (clients show images inline), and the caption as a second message. Edits,
   * reactions and retractions of `id` apply to the file message. A file over `--max-file-bytes`
   * (or the service's limit), or a gateway without an upload service, gives a text that says so.
   * Later actions of this chat wait for the upload: they stay in order.
   */
  async sendFile(file: LegacyFile, options: SendFileOptions = {}): Promise<void> {
    return this.sendFiles([file], options);
  }

  /**
   * Shows one legacy message that carries several files (an album) as one XMPP message per file
   * (each with its own caption after it, if it has one), then `options.caption` once. All are
   * mapped to `options.id` in order: a reply or reaction to it goes to the first file, its
   * retraction retracts every part.
   */
  async sendFiles(files: readonly LegacyFile[], options: SendFilesOptions = {}): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("file");
    return this.act(async () => {
      const { gateway, userJid } = this.session;
      const parts = await fileMessageParts(gateway, userJid, files, options.caption);
      const replyTo = options.replyTo === undefined ? undefined : await this.#referenceTo(options.replyTo);
      const messages = parts.map((part) => ({ ...part, xmppId: gateway.newStanzaId() }));
      if (options.id !== undefined) {
        for (const { xmppId } of messages) this.mapMessage(options.id, xmppId, options.carbon ? "out" : "in");
        if (!options.carbon) this.unreadLegacyIds.push(options.id);
      }
      const sends = messages.map(({ body, attachment, xmppId }, index) =>
        this.outgoing(
          sender,
          {
            id: xmppId,
            body,
            originId: true,
            markable: !options.carbon,
            ...(attachment && { attachment }),
            // No quoted fallback: the body must stay the bare URL for clients to show the file.
            ...(index === 0 &&
              replyTo && {
                replyTo: { id: replyTo.xmppId, to: replyTo.fromUser ? this.session.userJid : this.jid },
              }),
            ...(options.when && { delay: { stamp: options.when, from: gateway.domain } }),
          },
          options.carbon,
        ),
      );
      return inSequence(sends);
    });
  }

  /** The message `legacyId` was edited to `body` (XEP-0308: the correction replaces the first XMPP id). */
  async correct(legacyId: string, body: string, options: CarbonOption = {}): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("correction");
    return this.act(async () => {
      const target = await this.#requireXmppId(legacyId);
      // Too long for one stanza: the first part corrects the first message, the rest follow as new
      // messages of the same legacy id (the original's other parts, if any, keep their old text).
      const [first = "", ...rest] = this.#split(body).parts;
      const sends = [
        this.outgoing(sender, { id: this.#newId(), body: first, correctionOf: target }, options.carbon),
      ];
      for (const part of rest) {
        const xmppId = this.#newId();
        this.mapMessage(legacyId, xmppId, options.carbon ? "out" : "in");
        sends.push(this.outgoing(sender, { id: xmppId, body: part, originId: true }, options.carbon));
      }
      return inSequence(sends);
    });
  }

  /**
   * The message `legacyId` was deleted for everyone (XEP-0424): each of its XMPP messages is
   * retracted (a long text's parts, a file's caption, an album's files).
   */
  async retract(legacyId: string, options: CarbonOption = {}): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("retraction");
    return this.act(async () => {
      const first = await this.#requireXmppId(legacyId);
      const { gateway, user } = this.session;
      const all = await gateway.store.messageIds.xmppIds(user.id, this.idMapKey, legacyId);
      const targets = all.includes(first) ? all : [first, ...all];
      return inSequence(
        targets.map((target) =>
          this.outgoing(sender, { id: this.#newId(), retractionOf: target }, options.carbon),
        ),
      );
    });
  }

  /** The other side's (or, with `carbon`, the user's) reactions to `legacyId` are now `emojis`. */
  async react(legacyId: string, emojis: readonly string[], options: CarbonOption = {}): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("reaction");
    return this.act(async () => {
      const target = await this.#requireXmppId(legacyId);
      return this.outgoing(sender, { id: this.#newId(), reactions: { id: target, emojis } }, options.carbon);
    });
  }

  /** The user's message `legacyId` reached the other side (XEP-0184 and XEP-0333 received). */
  async received(legacyId: string): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("receipt");
    return this.act(async () => {
      const target = await this.xmppId(legacyId);
      return target && this.outgoing(sender, { id: this.#newId(), received: target });
    });
  }

  /** The other side read the user's messages up to `legacyId` (or, with `carbon`, the user read theirs). */
  async displayed(legacyId: string, options: CarbonOption = {}): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("displayed");
    return this.act(async () => {
      const target = await this.xmppId(legacyId);
      return target && this.outgoing(sender, { id: this.#newId(), displayed: target }, options.carbon);
    });
  }

  /** The other side's chat state (XEP-0085), for networks that report it as one value. */
  chatState(state: ChatState): Promise<void> {
    const sender = this.senderJid;
    this.session.gateway.metrics.counts.legacyEvents.count("chat-state");
    return this.act(async () => this.outgoing(sender, { id: this.#newId(), chatState: state }));
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

  /**
   * Runs `work` after every action called before it has been prepared (see `Outbox`). Apps may
   * use it to order their own steps with the chat's actions.
   */
  inOrder<T>(work: () => Promise<T>): Promise<T> {
    return this.#outbox.inOrder(work);
  }

  /** Who the user's message names (rooms find occupants' nicks; a 1:1 chat has no one to name). */
  mentionsIn(_body: string, _stanza: Element): TextMention[] {
    return [];
  }

  /** Runs `work` (the hooks for one message from the user) after the user's earlier messages. */
  fromUser<T>(work: () => Promise<T>): Promise<T> {
    return this.#inbox.run(work);
  }

  /** The gateway's own delivery receipt for the user's message `xmppId` (networks without receipts). */
  acknowledge(xmppId: string): Promise<void> {
    const sender = this.senderJid;
    return this.act(async () => this.outgoing(sender, { id: this.#newId(), received: xmppId }));
  }

  /** Queues an action: prepared and sent in call order (see `Outbox`). */
  protected act(prepare: () => Promise<Send | undefined | "">): Promise<void> {
    return this.#outbox.act(prepare);
  }

  // ---- id maps ----

  /**
   * Records that legacy message `legacyId` is XMPP message `xmppId` in this chat. Lookups find it
   * at once; it is committed with the next batch, before anything this chat sends next.
   */
  mapMessage(legacyId: string, xmppId: string, direction: "in" | "out"): void {
    const { gateway, user } = this.session;
    gateway.store.messageIds
      .add(user.id, { chat: this.idMapKey, legacyId, xmppId, direction })
      // Shown anyway: losing an id map costs a later edit of this message, not the message.
      .catch((err: unknown) => this.session.log.error({ err }, "could not store a message's id map"));
  }

  /** The first XMPP id of a legacy message (the one corrections and reactions must reference). */
  async xmppId(legacyId: string): Promise<string | undefined> {
    const { gateway, user } = this.session;
    return (await gateway.store.messageIds.first(user.id, this.idMapKey, legacyId))?.xmppId;
  }

  /** The legacy id behind an XMPP id the user's client refers to (a correction, a reaction, a marker). */
  legacyIdOf(xmppId: string): Promise<string | undefined> {
    return this.session.gateway.store.messageIds.legacyId(this.session.user.id, this.idMapKey, xmppId);
  }

  async #requireXmppId(legacyId: string): Promise<string> {
    const id = await this.xmppId(legacyId);
    // The app refers to a message the gateway never showed (sent before registration, or lost).
    if (!id)
      throw new XmppError("item-not-found", `No XMPP message is known for legacy message ${legacyId}.`);
    return id;
  }

  async #referenceTo(legacyId: string): Promise<{ xmppId: string; fromUser: boolean } | undefined> {
    const { gateway, user } = this.session;
    const pair = await gateway.store.messageIds.first(user.id, this.idMapKey, legacyId);
    return pair && { xmppId: pair.xmppId, fromUser: pair.direction === "out" };
  }

  #split(body: string, replyFallback?: string): { parts: string[]; fallback: string | undefined } {
    return splitBodyForStanza(body, this.session.gateway.config.limits.stanzaBytes, replyFallback);
  }

  /**
   * The XMPP ids a replayed message already has (see SendTextOptions.replayed), or none. Being in
   * the id map does not prove it reached the user: the map is committed *before* the send (so what
   * the user sees can be referred to), and a crash can come between. So such a message goes again,
   * under the same ids (and origin-ids): a client that has it recognises the duplicate, one that
   * never got it shows it.
   */
  async #replayedXmppIds(options: SendTextOptions): Promise<readonly string[]> {
    if (options.id === undefined || !(options.replayed ?? !this.session.isLoggedIn)) return [];
    // The first lookup is served from memory for recent messages; only a known one costs a query.
    if ((await this.xmppId(options.id)) === undefined) return [];
    const { gateway, user } = this.session;
    return gateway.store.messageIds.xmppIds(user.id, this.idMapKey, options.id);
  }

  #newId(): string {
    return this.session.gateway.newStanzaId();
  }

  /**
   * A message from `sender` (the chat's `senderJid` when the action was called) to the user, or
   * with `carbon` a carbon from the user to the chat. Rooms override it (groupchat to each joined
   * resource).
   */
  protected outgoing(sender: string, options: OutgoingOptions, carbon?: boolean): Send {
    // `mentions` (rooms only) is not a chat message option: buildChatMessage reads no such key,
    // and copying the options without it would cost every message an object.
    const { gateway, userJid } = this.session;
    if (carbon) {
      const inner = buildChatMessage({ ...options, from: userJid, to: this.jid });
      return () => gateway.sendCarbon(userJid, inner, sender);
    }
    const stanza = buildChatMessage({ ...options, from: sender, to: userJid });
    return () => gateway.send(stanza);
  }
}

/** One send for several stanzas, written one after the other. */
function inSequence(sends: readonly Send[]): Send {
  const [only] = sends;
  if (sends.length === 1 && only) return only;
  return async () => {
    for (const send of sends) await send();
  };
}
