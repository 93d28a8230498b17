import type { RoomBookmarkVia } from "@gangway/store";
import {
  bookmarkPublishIq,
  bookmarkRetractIq,
  bookmarksQueryIq,
  directInvitation,
  type Element,
  NS_PUBSUB,
  parseBookmarks,
  sendPrivilegedIq,
  XmppError,
} from "@gangway/xmpp";
import type { ChatSession } from "./chat.js";
import type { GatewayHost } from "./host.js";
import { SerialQueue } from "./outbox.js";
import { canSendIqAs } from "./privileges.js";
import type { AnyRoom } from "./room.js";

/** Gateways whose operator was told that rooms are offered by invitation (once per gateway). */
const fallbackReported = new WeakSet<GatewayHost>();
/** Gateways whose operator was told that a granted pubsub privilege did not work (once per gateway). */
const publishFailureReported = new WeakSet<GatewayHost>();

/**
 * Tells the user about their rooms, once per room: as an XEP-0402 bookmark (autojoin, the room's
 * name, the user's nick) published to their PEP through the XEP-0356 IQ privilege for
 * `http://jabber.org/protocol/pubsub`, or, where the server does not grant it, as an XEP-0249
 * direct invitation from the gateway.
 *
 * Which rooms the user was already told about is kept in the store (`roomBookmarks`, read once
 * per login): a login where nothing is new sends no IQ at all, an invitation is never repeated,
 * and a bookmark the user deleted stays deleted. A room not told yet is read from the user's
 * bookmarks first (one query per login, when the server grants `get`); a bookmark already there
 * is left as the user has it (autojoin off, another nick), never overwritten. A room only invited
 * to gets its bookmark once the privilege is granted. All of it runs one step after the other
 * (login, later rooms, removals), so a removal cannot be overtaken by the publish of the same room.
 */
export class RoomBookmarks {
  /** Legacy id → how the user was told, as stored; undefined until `load` read it. */
  #told: Map<string, RoomBookmarkVia> | undefined;
  readonly #steps = new SerialQueue();

  constructor(private readonly session: ChatSession) {}

  private get gateway(): GatewayHost {
    return this.session.gateway;
  }

  /**
   * Reads which rooms the user was told about (one query). A failure is logged and nothing is told
   * until a later step reads it: telling every room again would repeat invitations.
   */
  async load(): Promise<void> {
    try {
      this.#told = await this.gateway.store.roomBookmarks.listForUser(this.session.user.id);
    } catch (err) {
      this.session.log.warn({ err }, "could not read which rooms were bookmarked; not bookmarking now");
      this.#told = undefined;
    }
  }

  /** Tells the user about every room in `rooms` not told yet. Never throws: failures are logged. */
  tell(rooms: readonly AnyRoom[]): Promise<void> {
    return this.#steps
      .run(() => this.#tell(rooms))
      .catch((err: unknown) => {
        this.session.log.warn({ err }, "could not bookmark the user's rooms");
      });
  }

  /** The room is gone for the user: its bookmark is retracted (where allowed) and its row forgotten. */
  forget(room: AnyRoom): Promise<void> {
    return this.#steps
      .run(async () => {
        if (this.#canPublish()) await this.#retract(room);
        this.#told?.delete(room.legacyId);
        await this.gateway.store.roomBookmarks.forget(this.session.user.id, room.legacyId);
      })
      .catch((err: unknown) => {
        this.session.log.warn({ err, room: room.legacyId }, "could not forget a removed room's bookmark");
      });
  }

  async #tell(rooms: readonly AnyRoom[]): Promise<void> {
    if (!this.#told) await this.load();
    const told = this.#told;
    if (!told) return;
    const privileged = this.#canPublish();
    // What is left to do: rooms never told, and (once the privilege is there) rooms only invited to.
    const pending = rooms.filter((room) => {
      const via = told.get(room.legacyId);
      return via === undefined || (privileged && via === "invitation");
    });
    if (pending.length === 0) return;
    let existing: Set<string> | undefined;
    if (privileged) {
      existing = await this.#existingBookmarks();
      if (existing === undefined) this.#reportPublishFailure("reading the user's bookmarks failed");
    } else {
      this.#reportFallback();
    }
    for (const room of pending) {
      let via: RoomBookmarkVia | undefined;
      if (existing !== undefined) {
        via = existing.has(room.jid.toLowerCase()) || (await this.#publish(room)) ? "pep" : undefined;
      }
      if (via === undefined && told.get(room.legacyId) === undefined) {
        await this.#invite(room);
        via = "invitation";
      }
      if (via === undefined || told.get(room.legacyId) === via) continue;
      told.set(room.legacyId, via);
      await this.gateway.store.roomBookmarks
        .record(this.session.user.id, room.legacyId, via)
        .catch((err: unknown) =>
          this.session.log.warn({ err, room: room.legacyId }, "could not record a room's bookmark"),
        );
    }
  }

  #canPublish(): boolean {
    return canSendIqAs(this.gateway.privileges, NS_PUBSUB, "set");
  }

  /** Sends `iq` as the user (XEP-0356) and resolves with the result. */
  #asUser(iq: Element): Promise<Element> {
    return sendPrivilegedIq((outer) => this.gateway.request(outer), {
      component: this.gateway.domain,
      user: this.session.userJid,
      iq,
    });
  }

  /**
   * The room JIDs (lowercased) the user has bookmarks for: empty when the node does not exist yet,
   * or when the server lets us write but not read (then the store alone prevents repeats);
   * undefined when reading failed.
   */
  async #existingBookmarks(): Promise<Set<string> | undefined> {
    if (!canSendIqAs(this.gateway.privileges, NS_PUBSUB, "get")) return new Set();
    try {
      const result = await this.#asUser(bookmarksQueryIq());
      return new Set(parseBookmarks(result).map((bookmark) => bookmark.room.toLowerCase()));
    } catch (err) {
      // No bookmark was ever published: the node does not exist yet.
      if (err instanceof XmppError && err.condition === "item-not-found") return new Set();
      this.session.log.warn({ err }, "could not read the user's bookmarks");
      return undefined;
    }
  }

  async #publish(room: AnyRoom): Promise<boolean> {
    try {
      await this.#asUser(
        bookmarkPublishIq({
          room: room.jid,
          ...(room.name && { name: room.name }),
          autojoin: true,
          ...(room.userNick && { nick: room.userNick }),
        }),
      );
      return true;
    } catch (err) {
      this.#reportPublishFailure("publishing a bookmark failed", err, room);
      return false;
    }
  }

  async #retract(room: AnyRoom): Promise<void> {
    try {
      await this.#asUser(bookmarkRetractIq(room.jid));
    } catch (err) {
      // Nothing to retract (the user deleted it, or it was only an invitation): done.
      if (err instanceof XmppError && err.condition === "item-not-found") return;
      this.session.log.warn({ err, room: room.legacyId }, "could not retract a removed room's bookmark");
    }
  }

  #invite(room: AnyRoom): Promise<void> {
    const label = room.name ? `${room.name} (${room.jid})` : room.jid;
    return this.gateway.send(
      directInvitation({
        from: this.gateway.domain,
        to: this.session.userJid,
        room: room.jid,
        id: this.gateway.newStanzaId(),
        reason: `Your group on ${this.gateway.meta.COMPONENT_NAME}`,
        body: `You are in the group ${label}: join it at xmpp:${room.jid}?join`,
      }),
    );
  }

  #reportFallback(): void {
    if (fallbackReported.has(this.gateway)) return;
    fallbackReported.add(this.gateway);
    this.gateway.log.warn(
      "no XEP-0356 IQ privilege for \"http://jabber.org/protocol/pubsub\" (set and get): users' groups are sent as XEP-0249 invitations instead of bookmarks; grant it to the component (Prosody: mod_privilege's privileged_entities iq, see the README)",
    );
  }

  #reportPublishFailure(what: string, err?: unknown, room?: AnyRoom): void {
    if (publishFailureReported.has(this.gateway)) return;
    publishFailureReported.add(this.gateway);
    this.session.log.warn(
      { err, ...(room && { room: room.legacyId }) },
      `${what} although the server grants the pubsub IQ privilege (is PEP enabled on it, e.g. Prosody's mod_pep?); rooms never told are sent as invitations`,
    );
  }
}
