/**
 * Rides out short database outages (a PostgreSQL restart, a failover, SQLite busy with a backup):
 * an operation that fails for want of a usable connection is tried again after a jittered,
 * exponentially growing pause, until it succeeds or `retryForMs` have passed since it began. The
 * caller then gets the last failure (which the store turns into StoreUnavailableError).
 *
 * One policy is shared by every query of a store, so it also knows when an outage starts and ends:
 * it says so once each (not once per query), with the outage's duration at the end.
 */
export interface RetryPolicyOptions {
  /** How long one operation keeps trying; 0 tries once. */
  retryForMs: number;
  /** Whether a failure may go away by itself (no connection, server shutting down, file busy). */
  isTransient(error: unknown): boolean;
  /** First pause; each next one doubles, up to `maxDelayMs`. Default 50 ms. */
  firstDelayMs?: number;
  /** Default 2 s. */
  maxDelayMs?: number;
  /** The first transient failure after a healthy period (or ever). */
  onOutageStart?(error: unknown): void;
  /**
   * The outage is over: an operation begun after it started succeeded, and no transient failure
   * followed within `settleMs`. `durationMs` runs from the first failure to that success.
   */
  onOutageEnd?(durationMs: number): void;
  /**
   * Quiet time before an outage counts as over. A server going down or coming up answers some
   * connections and refuses others for a moment; without this that would log several outages.
   * Default 1 s; 0 reports the end at the first success.
   */
  settleMs?: number;
  /** Injected by tests; default Math.random, performance.now, setTimeout. */
  random?: () => number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export class RetryPolicy {
  private outageSince: number | undefined;
  /** When the outage's first success came, while waiting `settleMs` to be sure it is over. */
  private recoveredAt: number | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: RetryPolicyOptions) {
    this.firstDelayMs = options.firstDelayMs ?? 50;
    this.maxDelayMs = options.maxDelayMs ?? 2000;
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** Whether the last operations failed transiently and none begun since has succeeded. */
  get inOutage(): boolean {
    return this.outageSince !== undefined;
  }

  /**
   * No more retries (the store is closing): a query failing from now on fails at once, so closing
   * never waits out an outage on behalf of queries nobody will use.
   */
  stop(): void {
    this.stopped = true;
    if (this.settleTimer) this.settled();
  }

  /** Runs `attempt` (given its number, from 0) until it succeeds, fails for good, or time is up. */
  async run<T>(attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
    const startedAt = this.now();
    const deadline = startedAt + this.options.retryForMs;
    let delay = this.firstDelayMs;
    for (let attemptNumber = 0; ; attemptNumber++) {
      try {
        const result = await attempt(attemptNumber);
        this.succeeded(startedAt);
        return result;
      } catch (error) {
        if (!this.options.isTransient(error)) throw error;
        this.failed(error);
        const left = deadline - this.now();
        if (this.stopped || left <= 0) throw error;
        // "Equal jitter": between half and all of the step, so the queries of a busy gateway do not
        // all come back at the same instant, yet none retries much sooner than planned.
        const pause = Math.min(left, delay / 2 + (this.random() * delay) / 2);
        await this.sleep(pause);
        delay = Math.min(delay * 2, this.maxDelayMs);
      }
    }
  }

  private failed(error: unknown): void {
    if (this.recoveredAt !== undefined) {
      // Not over after all: the same outage goes on.
      clearTimeout(this.settleTimer);
      this.settleTimer = undefined;
      this.recoveredAt = undefined;
    }
    if (this.outageSince !== undefined) return;
    this.outageSince = this.now();
    this.options.onOutageStart?.(error);
  }

  /**
   * Only an operation begun after the outage started proves it is over: one sent just before, on a
   * connection that had not dropped yet, may still succeed while the server is going down.
   */
  private succeeded(startedAt: number): void {
    const since = this.outageSince;
    if (since === undefined || startedAt < since || this.recoveredAt !== undefined) return;
    this.recoveredAt = this.now();
    const settleMs = this.options.settleMs ?? 1000;
    if (settleMs <= 0) {
      this.settled();
      return;
    }
    this.settleTimer = setTimeout(() => this.settled(), settleMs);
    // A pending report must not keep a process alive that has nothing else to do.
    this.settleTimer.unref?.();
  }

  private settled(): void {
    const since = this.outageSince;
    const recoveredAt = this.recoveredAt;
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
    this.outageSince = undefined;
    this.recoveredAt = undefined;
    if (since !== undefined && recoveredAt !== undefined) this.options.onOutageEnd?.(recoveredAt - since);
  }
}
