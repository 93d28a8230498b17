import type { Logger } from "pino";

interface Pausable {
  pause?(): unknown;
  resume?(): unknown;
}

/**
 * Back-pressure on inbound stanzas: while paused, the socket is not read and the server holds
 * what follows. A pause longer than `maxMs` ends by itself (a handler may be waiting for an IQ
 * response only reading brings; the component refuses what then arrives past its bound).
 */
export class ReadingPause {
  private paused = false;
  private watchdog: NodeJS.Timeout | undefined;

  constructor(
    private readonly socket: () => Pausable | null | undefined,
    private readonly maxMs: number,
    private readonly logger: Logger,
  ) {}

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket()?.pause?.();
    this.logger.debug("inbound stanzas pile up: reading paused");
    this.watchdog = setTimeout(() => {
      this.logger.warn(
        { pausedMs: this.maxMs },
        "inbound stanzas still being handled; reading on (past the bound they are refused)",
      );
      this.resume();
    }, this.maxMs);
    this.watchdog.unref();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    clearTimeout(this.watchdog);
    this.socket()?.resume?.();
  }

  /** Forgets the pause without touching a socket (the connection is gone). */
  reset(): void {
    this.paused = false;
    clearTimeout(this.watchdog);
  }
}
