/**
 * Bounds the inbound stanzas being handled at once. Past `max` the transport stops reading (TCP
 * back-pressure: the server holds what follows, nothing piles up in our memory); below half of it,
 * reading resumes. A transport may read on after a while even so (handlers can be waiting for an
 * IQ response that only reading brings): past twice `max`, stanzas are refused, never queued.
 */
export class InflightGate {
  private running = 0;
  private readonly idleWaiters = new Set<() => void>();

  constructor(
    readonly max: number,
    private readonly reading: { pause(): void; resume(): void },
  ) {
    if (!Number.isInteger(max) || max < 1)
      throw new RangeError("max in-flight stanzas must be a positive integer");
  }

  /** Stanzas being handled now. */
  get count(): number {
    return this.running;
  }

  /** True when a new stanza must be refused rather than handled. */
  get full(): boolean {
    return this.running >= this.max * 2;
  }

  /** Counts `work` until it settles. */
  track(work: Promise<unknown>): void {
    this.running += 1;
    if (this.running >= this.max) this.reading.pause();
    const done = () => {
      this.running -= 1;
      if (this.running <= this.max / 2) this.reading.resume();
      if (this.running === 0) for (const wake of this.idleWaiters) wake();
    };
    work.then(done, done);
  }

  /** Resolves with the number still running once none is, or when `timeoutMs` has passed. */
  async idle(timeoutMs: number): Promise<number> {
    if (this.running === 0) return 0;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => {
      wake = resolve;
    });
    this.idleWaiters.add(wake);
    const timer = setTimeout(wake, timeoutMs);
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      this.idleWaiters.delete(wake);
    }
    return this.running;
  }
}
