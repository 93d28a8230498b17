import type { AnyRoom } from "./room.js";
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

  constructor(
    readonly session: RosterSession,
    private readonly Room: RoomClass<R> | undefined,
  ) {}

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
