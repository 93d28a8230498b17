import type { RoomArchiveEntry, RoomArchiveQuery } from "@gangway/store";
import type { MucHistoryRequest } from "@gangway/xmpp";
import type { ChatSession, OutgoingOptions } from "./chat.js";

/** One message as a room sent it, and as its archive gives it back. */
export interface HistoryEntry {
  /** `stanzaId` is the room's `<stanza-id/>` when it differs from the stanza id (reflections). */
  readonly options: OutgoingOptions & { stanzaId?: string };
  /** The author's nick; undefined for the room's own notices. */
  readonly nick: string | undefined;
  readonly occupantId: string | undefined;
  readonly at: Date;
}

/** What a room needs to archive: its user and its legacy id. */
export interface ArchivedRoom {
  readonly session: ChatSession;
  readonly legacyId: string;
}

/**
 * A room's messages, in the store (XEP-0313 MAM and `<history/>` on join): every message,
 * reaction, retraction and correction as it went out, under the `<stanza-id/>` it carried, so
 * clients recognise what they already have. Bounded per room by `--room-archive-size` (0: no
 * archive). Appends are batched by the store and never waited for: a message goes out while its
 * row is still on its way; a query waits for the rows appended before it.
 */
export class RoomArchive {
  /** Messages a join gets at most, whatever its `<history/>` asks: more is MAM's job. */
  static JOIN_HISTORY_MAX = 50;

  constructor(private readonly room: ArchivedRoom) {}

  /** Whether this gateway archives rooms (`--room-archive-size` above 0). */
  get enabled(): boolean {
    return this.#size > 0;
  }

  get #size(): number {
    return this.room.session.gateway.config.limits.roomArchiveSize;
  }

  /** Archives what the room just sent. A failed write is logged; the message has gone out anyway. */
  add(entry: HistoryEntry): void {
    if (!this.enabled) return;
    const { session, legacyId } = this.room;
    const { delay: _delay, ...message } = entry.options;
    const row: RoomArchiveEntry = {
      archiveId: archiveIdOf(entry.options),
      at: entry.at,
      nick: entry.nick ?? null,
      occupantId: entry.occupantId ?? null,
      message: message as Record<string, unknown>,
    };
    session.gateway.store.roomArchive
      .append(session.user.id, legacyId, row, { keep: this.#size })
      .catch((err: unknown) => session.log.warn({ err, room: legacyId }, "could not archive a room message"));
  }

  /**
   * What a join's `<history/>` asks for (XEP-0045 §7.2.15: maxstanzas, seconds, since;
   * maxchars="0" is none), newest last, at most JOIN_HISTORY_MAX; none when the database cannot
   * be read.
   */
  async select(request: MucHistoryRequest | undefined, now: Date): Promise<HistoryEntry[]> {
    const cap = (this.constructor as typeof RoomArchive).JOIN_HISTORY_MAX;
    const max = Math.min(request?.maxStanzas ?? cap, cap);
    if (!this.enabled || request?.maxChars === 0 || max === 0) return [];
    const starts: number[] = [];
    if (request?.seconds !== undefined) starts.push(now.getTime() - request.seconds * 1000);
    // `since` is exclusive: what was sent after it.
    if (request?.since !== undefined) starts.push(request.since.getTime() + 1);
    try {
      const page = await this.query({
        max,
        fromEnd: true,
        ...(starts.length > 0 && { start: new Date(Math.max(...starts)) }),
      });
      return page?.entries ?? [];
    } catch (err) {
      // The join goes on without history: a database outage must not keep the user out of the room.
      const { session, legacyId } = this.room;
      session.log.warn({ err, room: legacyId }, "could not read the room's history for a join");
      return [];
    }
  }

  /** A page of the archive (see RoomArchiveQuery); undefined when a bounding id is unknown. */
  async query(query: RoomArchiveQuery): Promise<{ entries: HistoryEntry[]; complete: boolean } | undefined> {
    const { session, legacyId } = this.room;
    const page = await session.gateway.store.roomArchive.query(session.user.id, legacyId, query);
    return page && { entries: page.entries.map(toHistoryEntry), complete: page.complete };
  }

  /** The oldest and newest archived messages (XEP-0313 metadata). */
  async bounds(): Promise<{ first: HistoryEntry; last: HistoryEntry } | undefined> {
    const { session, legacyId } = this.room;
    const bounds = await session.gateway.store.roomArchive.bounds(session.user.id, legacyId);
    return bounds && { first: toHistoryEntry(bounds.first), last: toHistoryEntry(bounds.last) };
  }
}

/** The `<stanza-id/>` the room gives a message: its own when it has one (a reflection's origin-id). */
export function archiveIdOf(options: OutgoingOptions & { stanzaId?: string }): string {
  return options.stanzaId ?? options.id;
}

function toHistoryEntry(row: RoomArchiveEntry): HistoryEntry {
  return {
    options: row.message as unknown as OutgoingOptions & { stanzaId?: string },
    nick: row.nick ?? undefined,
    occupantId: row.occupantId ?? undefined,
    at: row.at,
  };
}
