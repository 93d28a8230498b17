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
   * The outage is over: a retried operation succeeded, and no transient failure followed within
   * `settleMs`. `durationMs` runs from the first failure to that success.
   */
  onOutageEnd?(durationMs: number): void;
  /**
   * Quiet time before an outage counts as over. A server going down or coming up answers some
   * connections and refuses others for a moment; without this that would log several outages.
   * Default 2 s (the longest pause between retries); 0 reports the end at the first success.
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
  /** When the last outage ended (its first proof of recovery). */
  private lastRecoveredAt: number | undefined;
  private settleTimer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly running = new Set<Promise<unknown>>();
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

  /** Whether an outage was seen and is not known to be over yet (see `onOutageEnd`). */
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
  run<T>(attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
    const running = this.attempts(attempt);
    this.running.add(running);
    const forget = () => this.running.delete(running);
    running.then(forget, forget);
    return running;
  }

  /**
   * Resolves once every operation running now has settled (succeeded or failed), or after
   * `timeoutMs`: what closing the store waits for before it closes the connections.
   */
  async idle(timeoutMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([Promise.allSettled([...this.running]), late]);
    clearTimeout(timer);
  }

  private async attempts<T>(attempt: (attemptNumber: number) => Promise<T>): Promise<T> {
    const startedAt = this.now();
    const deadline = startedAt + this.options.retryForMs;
    let delay = this.firstDelayMs;
    for (let attemptNumber = 0; ; attemptNumber++) {
      const attemptStartedAt = this.now();
      try {
        const result = await attempt(attemptNumber);
        this.succeeded(startedAt, attemptNumber);
        return result;
      } catch (error) {
        if (!this.options.isTransient(error)) throw error;
        this.failed(error, attemptStartedAt);
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

  /**
   * An attempt begun before the database came back belongs to the outage already reported: a
   * connection opened while it was down can fail long after (postgres.js gives up on a stuck
   * connect after its connect_timeout), and that neither disproves the recovery nor starts a new
   * outage.
   */
  private failed(error: unknown, attemptStartedAt: number): void {
    const backSince = this.recoveredAt ?? this.lastRecoveredAt;
    if (backSince !== undefined && attemptStartedAt < backSince) return;
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
   * A success proves the database is back only if it needed the database. A retried attempt did
   * (its earlier try reached for it and failed); a first try may have been answered from memory
   * (the id map's cache) while the server is still down. Without retries there is no retried
   * attempt, so then a first try begun after the outage started has to do.
   */
  private succeeded(startedAt: number, attemptNumber: number): void {
    const since = this.outageSince;
    if (since === undefined || this.recoveredAt !== undefined) return;
    const proof = attemptNumber > 0 || (this.options.retryForMs <= 0 && startedAt >= since);
    if (!proof) return;
    this.recoveredAt = this.now();
    const settleMs = this.options.settleMs ?? 2000;
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
    if (recoveredAt !== undefined) this.lastRecoveredAt = recoveredAt;
    if (since !== undefined && recoveredAt !== undefined) this.options.onOutageEnd?.(recoveredAt - since);
  }
}
