import { asc, inArray } from "drizzle-orm";
import type { OpenDriver } from "../drivers/driver.js";
import { JournalBatcher } from "../journal-batcher.js";

/**
 * A message from the user that the gateway read and has not finished handling: routing data only
 * (never the body), enough to answer its sender with an error after a crash.
 */
export interface InboundRecord {
  /** The core's key for the record, unique across runs. */
  id: string;
  /** Bare JID of the user. */
  userJid: string;
  /** The message's stanza id; null when it had none. */
  stanzaId: string | null;
  /** Full JID it came from. */
  fromJid: string;
  /** The chat (puppet) JID it was sent to. */
  toJid: string;
  receivedAt: Date;
}

export interface InboundJournalStats {
  /** Records written to the database, and records whose handling ended before they had to be. */
  written: number;
  cancelled: number;
  /** Adds and removes waiting for the next write. */
  pending: number;
}

export interface InboundJournalRepository {
  /** Records a message whose handling begins. Costs a Map insert; written within the flush interval. */
  add(record: InboundRecord): void;
  /** Its handling ended: the record goes (and never reaches the database if it is not there yet). */
  remove(id: string): void;
  /** Every record in the database, oldest first: at startup, what the previous run left open. */
  list(): Promise<InboundRecord[]>;
  /** Deletes records now (the leftovers once their senders were told). */
  delete(ids: readonly string[]): Promise<void>;
  /** Writes what waits now. */
  flush(): Promise<void>;
  /** The last write, for the store's close(). */
  close(): Promise<void>;
  stats(): InboundJournalStats;
}

/** Rows per statement: 6 parameters each, far below SQLite's limit of 32,766. */
const CHUNK = 500;

export function createInboundJournalRepository(
  driver: OpenDriver,
  options: { intervalMs: number; maxBatch: number; onError(error: unknown): void },
): InboundJournalRepository {
  const { db, tables } = driver;
  const { inboundJournal } = tables;

  const deleteRows = async (ids: readonly string[]) => {
    for (let at = 0; at < ids.length; at += CHUNK) {
      await db.delete(inboundJournal).where(inArray(inboundJournal.id, ids.slice(at, at + CHUNK)));
    }
  };
  const batcher = new JournalBatcher<string, InboundRecord>(async (adds, removes) => {
    for (let at = 0; at < adds.length; at += CHUNK) {
      // A retried batch may find some of its rows written already.
      await db
        .insert(inboundJournal)
        .values(adds.slice(at, at + CHUNK))
        .onConflictDoNothing();
    }
    await deleteRows(removes);
  }, options);

  return {
    add: (record) => batcher.add(record.id, record),
    remove: (id) => batcher.remove(id),
    async list() {
      return db.select().from(inboundJournal).orderBy(asc(inboundJournal.receivedAt), asc(inboundJournal.id));
    },
    delete: deleteRows,
    flush: () => batcher.flush(),
    close: () => batcher.close(),
    stats: () => ({ written: batcher.written, cancelled: batcher.cancelled, pending: batcher.pending }),
  };
}
