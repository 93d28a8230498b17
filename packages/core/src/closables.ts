import type { Logger } from "pino";

export interface Closable {
  close(): unknown;
}

/** Resources an app asked the gateway to close when it stops (see BaseGateway.closeOnStop). */
export class Closables {
  readonly #open: Closable[] = [];

  add<T extends Closable>(resource: T): T {
    this.#open.push(resource);
    return resource;
  }

  /** Closes each once, newest first (a resource may use an older one); a failure is logged. */
  async closeAll(log: Logger): Promise<void> {
    for (const resource of this.#open.splice(0).reverse()) {
      try {
        await resource.close();
      } catch (err) {
        log.warn({ err }, "could not close a resource of the app");
      }
    }
  }
}
