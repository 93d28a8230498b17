import { StoreUnavailableError } from "./errors.js";

/** Runs a write until it succeeds or the outage outlasts the store's bound (see RetryPolicy). */
export type RetryWrite = <R>(attempt: () => Promise<R>) => Promise<R>;

const ONCE: RetryWrite = (attempt) => attempt();

/**
 * Group commit: writes handed in while the event loop is busy, or while the previous batch is
 * being written, go to the database together, one transaction for all of them. Nobody waits for
 * a timer: the first write of an idle period is written on the next turn of the event loop.
 *
 * `T` is one row of one kind; `writeRows` writes a batch, all or none. When a batch fails for a
 * reason other than the database being unavailable, its rows are written one by one, so one bad
 * row (a user deleted meanwhile) fails only its own promise.
 *
 * A batch that finds no usable connection is written again, whole, by `retry` (the store's outage
 * policy), holding back the batches behind it so they stay in order; only when the outage outlasts
 * the bound do its rows fail, with StoreUnavailableError. Nothing is dropped without its promise
 * rejecting.
 */
export class WriteBatcher<T> {
  private queued: Queued<T>[] = [];
  private writing: Promise<void> | undefined;
  private scheduled = false;
  /** Rows handed in, and rows whose write is over (committed or failed): batches go in order. */
  private accepted = 0;
  private finished = 0;
  private waiting: Array<{ upTo: number; resolve: () => void }> = [];

  constructor(
    private readonly writeRows: (rows: readonly T[]) => Promise<void>,
    private readonly maxBatch: number,
    /** Driver errors → StoreErrors (safe to log, typed). */
    private readonly translate: (error: unknown) => Error,
    private readonly retry: RetryWrite = ONCE,
  ) {}

  /** Queues `row`; resolves once it is committed, rejects with the store error that stopped it. */
  write(row: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ row, resolve, reject });
      this.accepted++;
      this.schedule();
    });
  }

  /**
   * Resolves once every row handed in before this call has been written or has failed. Rows
   * handed in later do not delay it, so it resolves under a steady stream of writes too.
   */
  settled(): Promise<void> {
    const upTo = this.accepted;
    if (this.finished >= upTo) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ upTo, resolve }));
  }

  /** Rows handed in whose write is not over yet (queued, or in the batch being written). */
  get backlog(): number {
    return this.accepted - this.finished;
  }

  private schedule(): void {
    if (this.scheduled || this.writing) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    while (this.queued.length > 0) {
      const batch = this.queued.splice(0, this.maxBatch);
      this.writing = this.commit(batch);
      await this.writing;
      this.writing = undefined;
      this.finished += batch.length;
      const due = this.waiting.filter((waiter) => waiter.upTo <= this.finished);
      this.waiting = this.waiting.filter((waiter) => waiter.upTo > this.finished);
      for (const waiter of due) waiter.resolve();
    }
  }

  private async commit(batch: Queued<T>[]): Promise<void> {
    try {
      const rows = batch.map((queued) => queued.row);
      await this.retry(() => this.writeRows(rows));
      for (const queued of batch) queued.resolve();
      return;
    } catch (raw) {
      const error = this.translate(raw);
      if (error instanceof StoreUnavailableError || batch.length === 1) {
        for (const queued of batch) queued.reject(error);
        return;
      }
    }
    for (const queued of batch) {
      try {
        await this.retry(() => this.writeRows([queued.row]));
        queued.resolve();
      } catch (error) {
        queued.reject(this.translate(error));
      }
    }
  }
}

interface Queued<T> {
  row: T;
  resolve(): void;
  reject(error: unknown): void;
}
