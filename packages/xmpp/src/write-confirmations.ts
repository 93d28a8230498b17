import type { Element } from "./element.js";

/** Written stanzas kept for a requeue at most; past it the oldest are let go (and counted). */
const MAX_UNCONFIRMED = 10_000;

/**
 * XEP-0114 has no acknowledgements: a server that exits without closing the component stream
 * loses what it had not read yet, while the socket reported those writes as done. A server handles
 * a stream in order, so its answer to an IQ written after some stanzas means it has processed
 * them. This keeps written stanzas until such a checkpoint is answered; when the connection is
 * lost first, the unconfirmed ones are written again on the next connection — at least once (a
 * stanza the server did process arrives twice, with the same id, which clients drop), never lost
 * in silence. One checkpoint is outstanding at a time, so there is at most one per round trip.
 */
export class WriteConfirmations {
  private unconfirmed: Element[] = [];
  private head = 0;
  /** Stanzas ever written; a checkpoint remembers this count. */
  private written = 0;
  private checkpoint: { id: string; upTo: number } | undefined;
  private letGo = 0;

  constructor(private readonly newCheckpointId: () => string) {}

  /** Stanzas written and not yet confirmed. */
  get size(): number {
    return this.unconfirmed.length - this.head;
  }

  /** Records stanzas just written; returns the id of a checkpoint to write after them, if one is due. */
  wrote(stanzas: readonly Element[]): string | undefined {
    for (const stanza of stanzas) this.unconfirmed.push(stanza);
    this.written += stanzas.length;
    if (this.size > MAX_UNCONFIRMED) {
      const excess = this.size - MAX_UNCONFIRMED;
      this.head += excess;
      this.letGo += excess;
    }
    return this.nextCheckpoint();
  }

  /**
   * Handles the answer to a checkpoint (any answer, an error included, proves the order). Returns
   * false when `id` is not the outstanding checkpoint's; otherwise true, with the id of the next
   * checkpoint to write when stanzas were written after it.
   */
  answered(id: string): { matched: boolean; next?: string } {
    if (this.checkpoint?.id !== id) return { matched: false };
    const confirmedCount = this.checkpoint.upTo - (this.written - this.size);
    this.head += Math.max(0, confirmedCount);
    this.checkpoint = undefined;
    this.compact();
    return { matched: true, next: this.nextCheckpoint() };
  }

  /** What was written and not confirmed, oldest first, and how many were let go; empties the record. */
  takeUnconfirmed(): { stanzas: Element[]; letGo: number } {
    const stanzas = this.unconfirmed.slice(this.head);
    const { letGo } = this;
    this.unconfirmed = [];
    this.head = 0;
    this.checkpoint = undefined;
    this.letGo = 0;
    return { stanzas, letGo };
  }

  private nextCheckpoint(): string | undefined {
    if (this.checkpoint || this.size === 0) return undefined;
    this.checkpoint = { id: this.newCheckpointId(), upTo: this.written };
    return this.checkpoint.id;
  }

  private compact(): void {
    if (this.head === this.unconfirmed.length) {
      this.unconfirmed = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.unconfirmed.length) {
      this.unconfirmed = this.unconfirmed.slice(this.head);
      this.head = 0;
    }
  }
}
