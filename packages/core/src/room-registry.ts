import type { AnyRoom } from "./room.js";
import { RoomBookmarks } from "./room-bookmarks.js";
import { destroyRoomFor } from "./room-removal.js";
import type { RosterSession } from "./roster.js";

export type RoomClass<R extends AnyRoom> = new (
  session: RosterSession,
  legacyId: string,
  jidLocal: string,
) => R;

/**
 * The user's legacy groups, in memory, created on first use and kept once per legacy id (like the
 * roster). Lookups by JID localpart are synchronous: the routers ask it for every stanza to a
 * gateway JID, so rooms cost the 1:1 path one map lookup.
 */
export class LegacyRooms<R extends AnyRoom = AnyRoom> {
  private readonly byId = new Map<string, R>();
  /** By localpart lowercased, as JIDs compare. */
  private readonly byLocal = new Map<string, R>();
  private readonly creating = new Map<string, Promise<R>>();
  /** Bookmarks (or invitations) for the user's rooms: see RoomBookmarks. */
  readonly bookmarks: RoomBookmarks;
  /**
   * Set once the login's rooms are listed: rooms `add`ed from then on are bookmarked at once.
   * Until then the login bookmarks them all together (`fill`).
   */
  #listed = false;
  /** Rooms `add`ed while the login was listing: bookmarked with the listed ones. */
  #addedDuringListing: AnyRoom[] = [];
  /** The last bookmarking started (login or a later room); tests and apps may wait for it. */
  #bookmarking: Promise<void> = Promise.resolve();

  constructor(
    readonly session: RosterSession,
    private readonly Room: RoomClass<R> | undefined,
  ) {
    this.bookmarks = new RoomBookmarks(session);
  }

  /** The room for a legacy id, created (and its `updateInfo` run) on first use. */
  async byLegacyId(legacyId: string): Promise<R> {
    const known = this.byId.get(legacyId);
    if (known) return known;
    let pending = this.creating.get(legacyId);
    if (!pending) {
      pending = this.create(legacyId).finally(() => this.creating.delete(legacyId));
      this.creating.set(legacyId, pending);
    }
    return pending;
  }

  /**
   * The user joined or was added to the group `legacyId` on the legacy network while logged in:
   * its room (created if need be), bookmarked for the user (or an invitation) as the login's rooms
   * are. A room opened on demand by the user's own join (`roomForJoin`) is not "added": their
   * client knows it already, so use `byLegacyId` there.
   */
  async add(legacyId: string): Promise<R> {
    const room = await this.byLegacyId(legacyId);
    if (this.#listed) this.#bookmark([room]);
    else this.#addedDuringListing.push(room);
    return room;
  }

  /**
   * The login's listing: creates every room `rooms` yields (the session's `listRooms()`), then
   * bookmarks those the user was not told about yet. Which rooms were told is read from the store
   * meanwhile, from the first room on. Awaited like the roster sync, so "Logged in" means the
   * bookmarks are in place; a login with nothing new costs no IQ, one without rooms no query.
   */
  async fill(rooms: AsyncIterable<AnyRoom>): Promise<void> {
    this.#listed = false;
    let loading: Promise<void> | undefined;
    const listed: AnyRoom[] = [];
    for await (const room of rooms) {
      loading ??= this.bookmarks.load();
      listed.push(room);
    }
    await loading;
    this.#listed = true;
    const toTell = [...listed, ...this.#addedDuringListing.splice(0)];
    if (toTell.length > 0) this.#bookmark(toTell);
    await this.#bookmarking;
  }

  /** Resolves once the bookmarks (or invitations) started so far are sent. Never rejects. */
  get bookmarked(): Promise<void> {
    return this.#bookmarking;
  }

  /**
   * The user is no longer in the group `legacyId` (they left on the legacy network, were removed,
   * or it was deleted): the bookmark is retracted where the server allows it, every joined
   * resource gets the XEP-0045 §10.9 destruction (110, `reason`), and the room is forgotten, so a
   * later join gets item-not-found. Resolves false when the session has no such room.
   */
  async remove(legacyId: string, reason?: string): Promise<boolean> {
    const room = this.byId.get(legacyId);
    if (!room) return false;
    this.byId.delete(legacyId);
    const local = room.jidLocal.toLowerCase();
    if (this.byLocal.get(local) === room) this.byLocal.delete(local);
    // The bookmark first: a client that reads its bookmarks on the destruction finds it gone.
    await this.bookmarks.forget(room);
    await destroyRoomFor(room, reason);
    return true;
  }

  #bookmark(rooms: readonly AnyRoom[]): void {
    this.#bookmarking = this.bookmarks.tell(rooms);
  }

  /** The room a JID localpart addresses, if the session has it. */
  byJidLocal(jidLocal: string): R | undefined {
    return this.byLocal.get(jidLocal.toLowerCase());
  }

  known(legacyId: string): R | undefined {
    return this.byId.get(legacyId);
  }

  [Symbol.iterator](): IterableIterator<R> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  private async create(legacyId: string): Promise<R> {
    if (!this.Room) throw new Error("The session class must set static Room to have rooms (GROUPS)");
    const jidLocal = this.session.legacyIdToJidLocal(legacyId);
    const room = new this.Room(this.session, legacyId, jidLocal);
    await room.updateInfo();
    this.byId.set(legacyId, room);
    this.byLocal.set(jidLocal.toLowerCase(), room);
    return room;
  }
}
