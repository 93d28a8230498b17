export interface BackoffOptions {
  /** Delay before the first retry, before jitter. */
  initialDelayMs: number;
  factor: number;
  /** Upper bound of any delay. */
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = {
  initialDelayMs: 250,
  factor: 2,
  maxDelayMs: 30_000,
};

/**
 * Delay before reconnect attempt number `attempt` (0-based): exponential, capped, with "equal
 * jitter" (a random point in the upper half of the step). The jitter spreads out gateways that
 * lost the same server at once; keeping the lower half guarantees the delay still grows.
 */
export function reconnectDelay(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  const step = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** attempt);
  return Math.round(step / 2 + (random() * step) / 2);
}
