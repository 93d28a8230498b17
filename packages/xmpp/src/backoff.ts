export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  initialDelayMs: number;
  factor: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
  /**
   * Attempts made at the initial delay before it starts to grow (default 0). A server restart
   * takes seconds: retrying at the first step meanwhile puts the gateway back within one step of
   * the server listening, and the backoff only grows for a server that stays down.
   */
  quickAttempts?: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = {
  initialDelayMs: 100,
  factor: 2,
  maxDelayMs: 30_000,
  // 60 tries of 50–100 ms: about 4.5 s of quick retries, the time a server takes to restart, so
  // the gateway is back within 0.1 s of the server listening. A refused connect costs next to nothing.
  quickAttempts: 60,
};

/**
 * Delay before reconnect attempt number `attempt` (0-based): the initial step for the first
 * `quickAttempts`, then exponential, capped, with "equal jitter" (a random point in the upper half
 * of the step). The jitter spreads out gateways that lost the same server at once; keeping the
 * lower half guarantees the delay still grows.
 */
export function reconnectDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const growth = Math.max(0, attempt - (options.quickAttempts ?? 0));
  const step = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** growth);
  return Math.round(step / 2 + (random() * step) / 2);
}
