/**
 * Writes a journal of short-lived records: each is added when something starts and removed when
 * it ends, and only the records still open at a crash matter. So nothing is written on the spot:
 * adds and removes gather for `intervalMs` (or until `maxBatch` adds wait), and a record added and
 * removed within that window never reaches the database. What a crash can lose is that window.
 *
 * Writes never fail the caller: a batch that fails is kept (minus what was removed meanwhile) and
 * tried again at the next tick, and `onError` is told.
 */
export class JournalBatcher<K, T> {
  private adds = new Map<K, T>();
  private removes = new Set<K>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  /** Records that reached the database, and records added and removed before they had to. */
  written = 0;
  cancelled = 0;

  constructor(
    private readonly write: (adds: readonly T[], removes: readonly K[]) => Promise<void>,
    private readonly options: { intervalMs: number; maxBatch: number; onError(error: unknown): void },
  ) {}

  add(key: K, record: T): void {
    if (this.closed) return;
    this.adds.set(key, record);
    if (this.adds.size >= this.options.maxBatch) this.schedule(0);
    else this.schedule(this.options.intervalMs);
  }

  remove(key: K): void {
    if (this.adds.delete(key)) {
      this.cancelled++;
      return;
    }
    if (this.closed) return;
    this.removes.add(key);
    this.schedule(this.options.intervalMs);
  }

  /** Adds and removes waiting to be written. */
  get pending(): number {
    return this.adds.size + this.removes.size;
  }

  /** Writes what waits now; resolves once it is written (or failed, and kept for later). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing) await this.writing;
    if (this.pending === 0) return;
    this.writing = this.writeBatch();
    await this.writing;
    this.writing = undefined;
  }

  /** A last flush; later adds are dropped (the process is going away). */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(delayMs: number): void {
    if (this.timer && delayMs > 0) return;
    clearTimeout(this.timer);
    // unref: a pending write keeps no process alive; a clean stop calls close().
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, delayMs).unref();
  }

  private async writeBatch(): Promise<void> {
    const adds = this.adds;
    const removes = this.removes;
    this.adds = new Map();
    this.removes = new Set();
    try {
      await this.write([...adds.values()], [...removes]);
      this.written += adds.size;
    } catch (error) {
      this.options.onError(error);
      // Kept for the next tick, unless their end came meanwhile: then they cancel out after all.
      for (const [key, record] of adds) {
        if (this.removes.delete(key)) this.cancelled++;
        else if (!this.adds.has(key)) this.adds.set(key, record);
      }
      for (const key of removes) this.removes.add(key);
      if (!this.closed) this.schedule(this.options.intervalMs);
    }
  }
}
