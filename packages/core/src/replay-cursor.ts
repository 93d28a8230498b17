import type { Store } from "@gangway/store";
import type { Logger } from "pino";

/**
 * A user's position in the legacy network's history, for networks that can replay what happened
 * while the gateway was away (most phone-first networks can; IRC cannot). The app reads it at
 * login to ask for the events after it, and saves a new one once the events up to there were
 * written to the XMPP server. Saves are coalesced: a burst of events costs one write, and only
 * the latest cursor is written. What a crash loses is the last interval, and the events in it are
 * replayed at the next login, where the id map keeps a message from being shown twice (see
 * `SendTextOptions.replayed`).
 */
export class ReplayCursor {
  #value: string | undefined;
  #unsaved: string | undefined;
  #writing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #waiters: Array<(stored: boolean) => void> = [];
  /** Cursors waiting for their events to be sent, in call order. */
  #ordered: Promise<unknown> = Promise.resolve();
  /** An event before it failed to reach the server: later cursors would skip it, so none is saved. */
  #stuck = false;

  constructor(
    private readonly store: Store,
    private readonly userId: () => number,
    private readonly log: Logger,
    private readonly delayMs = 100,
  ) {}

  /** The latest cursor: read at login, then the last one saved (or being saved). */
  get value(): string | undefined {
    return this.#value;
  }

  /** Reads the stored cursor (each login: another process may have moved it). */
  async load(): Promise<void> {
    this.#value = await this.store.replayCursors.get(this.userId());
    this.#stuck = false;
  }

  /**
   * Saves `cursor` within the write interval; resolves true once it (or a later cursor) is
   * stored, false when the write failed (logged; the events after the stored one are replayed).
   * Call it only once the events up to `cursor` were sent (their action's promise resolved).
   */
  save(cursor: string): Promise<boolean> {
    this.#value = cursor;
    this.#unsaved = cursor;
    this.#timer ??= setTimeout(() => void this.flush(), this.delayMs).unref();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /**
   * Saves `cursor` once `sent` (the action showing the event) and every earlier `after`'s event
   * are sent. An event that failed to be sent stops the saves for this login: it is replayed.
   * Resolves like `save`: true once stored, false when not.
   */
  after(sent: Promise<unknown>, cursor: string): Promise<boolean> {
    // The queue waits for the sends only, not for the writes: a burst is still one write.
    const turn = this.#ordered.then(async () => {
      try {
        await sent;
      } catch {
        if (!this.#stuck)
          this.log.warn({ cursor }, "an event was not sent: the replay cursor stays before it");
        this.#stuck = true;
      }
      // Wrapped: a promise returned as is would make the queue wait for the write.
      return this.#stuck ? undefined : { saving: this.save(cursor) };
    });
    this.#ordered = turn;
    return turn.then((result) => result?.saving ?? false);
  }

  /** Writes the latest cursor now (a session stopping). Failures are logged: a replay follows. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    while (this.#writing) await this.#writing;
    const cursor = this.#unsaved;
    if (cursor === undefined) return;
    this.#unsaved = undefined;
    const waiters = this.#waiters.splice(0);
    let stored = true;
    this.#writing = this.store.replayCursors.set(this.userId(), cursor).catch((err: unknown) => {
      stored = false;
      this.log.warn({ err }, "could not save the replay cursor");
    });
    await this.#writing;
    this.#writing = undefined;
    for (const resolve of waiters) resolve(stored);
  }
}
