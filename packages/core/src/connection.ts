import { StoreUnavailableError } from "@gangway/store";
import { reconnectDelay, XmppError } from "@gangway/xmpp";

/**
 * Where a user's login to the legacy network stands, as mautrix bridgev2 names it. Apps report
 * changes with `session.setConnectionState`; login() and the core's reconnects report their own.
 */
export const CONNECTION_STATES = [
  "connecting",
  "connected",
  "transient-disconnect",
  "bad-credentials",
  "logged-out",
  "unknown-error",
] as const;
export type ConnectionState = (typeof CONNECTION_STATES)[number];

/** States the user must act on (log in again); nothing is retried by itself. */
export function needsRelogin(state: ConnectionState): boolean {
  return state === "bad-credentials" || state === "logged-out" || state === "unknown-error";
}

/** How long, and how many, of a user's messages may wait for a login. */
export const HOLD_TIMEOUT_MS = 60_000;
export const HOLD_LIMIT = 100;

export const HOLD_TIMEOUT_TEXT =
  "The gateway could not log in to your legacy account within a minute, so this message was not sent. Send it again later; if this goes on, send 're-login' to the gateway.";
export const HOLD_FULL_TEXT =
  "Too many of your messages are waiting for the gateway to log in to your legacy account; this one was not sent. Send it again once the gateway shows you as logged in.";
/** A session is stopped for a shutdown, a re-login or an unregistration: the text fits all three. */
export const STOPPING_TEXT =
  "Your login to the legacy network was closed (the gateway is restarting it or shutting down), so this message was not sent. Send it again in a moment.";

/** What a user reads when their message cannot be sent because they must log in again. */
export function reloginText(reason: string | undefined): string {
  const why = reason ? ` (${reason})` : "";
  return `You are not logged in to the legacy network${why}, so this message was not sent. Fix the cause, then send 're-login' to the gateway.`;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * The user's messages that arrived while the session was still logging in (or reconnecting):
 * released in arrival order once it is connected, refused with a clear text once it is clear
 * they will not be sent (timeout, a login that needs the user, shutdown). Bounded in count and time.
 */
export class HeldMessages {
  private readonly waiting: Waiter[] = [];

  constructor(
    private readonly limit = HOLD_LIMIT,
    private readonly timeoutMs = HOLD_TIMEOUT_MS,
  ) {}

  get size(): number {
    return this.waiting.length;
  }

  /** Resolves when `release()` is called; rejects on `refuse()`, timeout, or when full. */
  wait(): Promise<void> {
    if (this.waiting.length >= this.limit)
      return Promise.reject(new XmppError("resource-constraint", HOLD_FULL_TEXT));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          this.remove(waiter);
          reject(new XmppError("recipient-unavailable", HOLD_TIMEOUT_TEXT));
        }, this.timeoutMs),
      };
      this.waiting.push(waiter);
    });
  }

  /** Lets every held message through, oldest first. */
  release(): void {
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  refuse(error: Error): void {
    for (const waiter of this.waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  private remove(waiter: Waiter): void {
    const at = this.waiting.indexOf(waiter);
    if (at >= 0) this.waiting.splice(at, 1);
  }
}

/** Reconnection delays: 1 s doubling to a minute, with jitter so users of one network spread out. */
const RECONNECT_BACKOFF = { initialDelayMs: 1000, factor: 2, maxDelayMs: 60_000 };

/**
 * Retries a session's `reconnect()` until it works, with a jittered exponential backoff. One
 * attempt at a time; `cancel()` (a success, logout, shutdown, a state that needs the user) stops it
 * and starts the backoff over.
 */
export class Reconnector {
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private delay = 0;

  constructor(
    private readonly tryOnce: () => Promise<void>,
    private readonly random: () => number = Math.random,
  ) {}

  get scheduled(): boolean {
    return this.timer !== undefined;
  }

  /** Schedules the next attempt (if none is); returns its delay. */
  schedule(): number {
    if (this.timer) return this.delay;
    this.delay = reconnectDelay(this.attempt++, RECONNECT_BACKOFF, this.random);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tryOnce();
    }, this.delay);
    this.timer.unref();
    return this.delay;
  }

  cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.attempt = 0;
  }
}

/** Why a login failed, in words for the user, and the state it leaves the session in. */
export function loginFailure(err: unknown): { state: ConnectionState; reason: string } {
  if (err instanceof XmppError) {
    const state = err.condition === "not-authorized" ? "bad-credentials" : "unknown-error";
    return { state, reason: err.text ?? err.condition };
  }
  // Not its message: that names the database server and the driver's error.
  if (err instanceof StoreUnavailableError) return { state: "unknown-error", reason: err.userText };
  return { state: "unknown-error", reason: err instanceof Error ? err.message : String(err) };
}
