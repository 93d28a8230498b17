/**
 * Runs work one after the other per key (a user's bare JID), in call order; different keys run
 * concurrently. An idle key holds nothing, so a flood of users leaves no trace once handled.
 * The XMPP component starts handlers in arrival order but lets async ones overlap: a user's second
 * request would otherwise overtake a first one that is still validating with the legacy network.
 */
export class PerKeyQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key);
    const run = previous ? previous.then(work) : work();
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return run;
  }

  /** Keys with work queued or running. */
  get size(): number {
    return this.tails.size;
  }
}
