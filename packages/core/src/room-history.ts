import type { MucHistoryRequest } from "@gangway/xmpp";
import type { OutgoingOptions } from "./chat.js";

/** One message as a room keeps it for later joins. */
export interface HistoryEntry {
  readonly options: OutgoingOptions & { stanzaId?: string };
  /** The author's nick; undefined for the room's own notices. */
  readonly nick: string | undefined;
  readonly occupantId: string | undefined;
  readonly at: Date;
}

/**
 * The last messages of a room, in memory, bounded: what a join's `<history/>` gets until rooms
 * have a MAM archive in the store.
 */
export class RoomHistory {
  readonly #entries: HistoryEntry[] = [];

  constructor(private readonly size: number) {}

  add(entry: HistoryEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.size) this.#entries.splice(0, this.#entries.length - this.size);
  }

  /** What `request` asks for (XEP-0045 §7.2.15: maxstanzas, seconds, since; maxchars="0" is none). */
  select(request: MucHistoryRequest | undefined, now: Date): HistoryEntry[] {
    let entries = this.#entries;
    if (request?.maxChars === 0) return [];
    if (request?.seconds !== undefined) {
      const from = now.getTime() - request.seconds * 1000;
      entries = entries.filter((entry) => entry.at.getTime() >= from);
    }
    if (request?.since !== undefined) {
      const since = request.since.getTime();
      entries = entries.filter((entry) => entry.at.getTime() > since);
    }
    if (request?.maxStanzas !== undefined) {
      entries = request.maxStanzas === 0 ? [] : entries.slice(-request.maxStanzas);
    }
    return [...entries];
  }
}
