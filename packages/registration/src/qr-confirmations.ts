import { XmppError } from "@gangway/xmpp";
import type { LegacyData } from "./flow.js";

export const QR_TIMEOUT_TEXT =
  "The QR code was not scanned in time. Start the registration again to get a new code.";

interface Waiter {
  promise: Promise<LegacyData | undefined>;
  resolve(data: LegacyData | undefined): void;
  reject(error: unknown): void;
  timer: NodeJS.Timeout;
  settled: boolean;
}

/**
 * The QR scans a gateway is waiting for, by bare JID. A wait starts when the code is shown (so the
 * timeout counts from then) and settles when the app calls `confirm`, or at the timeout with
 * `remote-server-timeout`. The outcome is kept until the registration asks for it with `wait`, so
 * a scan confirmed before the user clicks "next" is not lost. One entry per JID at most.
 */
export class QrConfirmations {
  private readonly waiters = new Map<string, Waiter>();

  constructor(private readonly timeoutMs: number) {}

  /** Starts waiting for `jid`'s scan, replacing an older wait (a new code makes the old one useless). */
  expect(jid: string): void {
    this.settle(jid, new XmppError("conflict", "A newer QR code replaced this one."));
    let resolve!: Waiter["resolve"];
    let reject!: Waiter["reject"];
    const promise = new Promise<LegacyData | undefined>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Nobody may be awaiting yet (the user has not clicked "next"): keep a rejection from being unhandled.
    promise.catch(() => {});
    const waiter: Waiter = { promise, resolve, reject, settled: false, timer: undefined as never };
    waiter.timer = setTimeout(
      () => this.settle(jid, new XmppError("remote-server-timeout", QR_TIMEOUT_TEXT)),
      this.timeoutMs,
    );
    waiter.timer.unref();
    this.waiters.set(jid, waiter);
  }

  /** Resolves with the app's legacy data once `jid` scanned the code shown last; consumes the outcome. */
  wait(jid: string): Promise<LegacyData | undefined> {
    const waiter = this.waiters.get(jid);
    if (!waiter) {
      return Promise.reject(
        new XmppError("bad-request", "No QR code is waiting to be scanned. Start again."),
      );
    }
    void waiter.promise
      .finally(() => {
        if (this.waiters.get(jid) === waiter) this.waiters.delete(jid);
      })
      .catch(() => {});
    return waiter.promise;
  }

  /** True while a shown code of `jid` has been neither scanned nor timed out. */
  isWaiting(jid: string): boolean {
    const waiter = this.waiters.get(jid);
    return waiter !== undefined && !waiter.settled;
  }

  /**
   * The app says the legacy side accepted (or, with `error`, refused) the scan. Returns false when no
   * registration of `jid` was waiting for one.
   */
  confirm(jid: string, error?: Error, legacyData?: LegacyData): boolean {
    if (!this.isWaiting(jid)) return false;
    if (error)
      this.settle(jid, error instanceof XmppError ? error : new XmppError("not-authorized", error.message));
    else this.settle(jid, undefined, legacyData);
    return true;
  }

  /** Forgets `jid`'s wait (the registration was aborted). */
  cancel(jid: string): void {
    this.settle(jid, new XmppError("bad-request", "The registration was cancelled."));
    this.waiters.delete(jid);
  }

  private settle(jid: string, error: XmppError | undefined, legacyData?: LegacyData): void {
    const waiter = this.waiters.get(jid);
    if (!waiter || waiter.settled) return;
    waiter.settled = true;
    clearTimeout(waiter.timer);
    if (error) waiter.reject(error);
    else waiter.resolve(legacyData);
  }
}
