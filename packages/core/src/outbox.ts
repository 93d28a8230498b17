/** Where every queue starts: one shared settled promise (a roster can hold 100,000 contacts). */
const IDLE: Promise<unknown> = Promise.resolve();

/** Runs work one item after the other, in call order; a failed item does not stop the next. */
export class SerialQueue {
  private tail: Promise<unknown> = IDLE;

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/** Sends what an action prepared. */
export type Send = () => Promise<void>;

/**
 * The legacy → XMPP side of one conversation. Actions are *prepared* one after the other, in call
 * order (id lookups, id maps), and *sent* in that same order, so a receipt never overtakes the
 * message it confirms. Nothing is sent before the id maps recorded ahead of it are committed
 * (`committed` is that barrier): what the user has seen can be edited or reacted to even after a
 * crash. The next action is prepared meanwhile, so a burst costs one commit, not one per message.
 */
export class Outbox {
  private readonly preparing = new SerialQueue();
  private delivering: Promise<unknown> = IDLE;

  constructor(private readonly committed: () => Promise<void>) {}

  /** Runs `work` after every action called before it has been prepared. */
  inOrder<T>(work: () => Promise<T>): Promise<T> {
    return this.preparing.run(work);
  }

  /** Prepares in order, then sends in order once committed; resolves when sent. */
  act(prepare: () => Promise<Send | undefined | "">): Promise<void> {
    const prepared = this.preparing.run(async () => {
      const send = await prepare();
      return send ? { send, committed: this.committed() } : undefined;
    });
    const sent = this.delivering.then(async () => {
      const ready = await prepared;
      if (!ready) return;
      await ready.committed;
      await ready.send();
    });
    this.delivering = sent.catch(() => undefined);
    return sent;
  }
}
