import newStanzaId from "@xmpp/id";
import type { Logger } from "pino";

/**
 * XEP-0199 keepalive of one connection: a ping every `intervalMs`; no answer within `timeoutMs`
 * means the stream is dead (a half-open TCP connection looks alive to the socket).
 */
export class Keepalive {
  private interval: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private pendingId: string | undefined;

  constructor(
    private readonly options: {
      intervalMs: number;
      timeoutMs: number;
      logger: Logger;
      /** Writes a ping with this id, bypassing the queue (it only means something on this connection). */
      ping: (id: string) => void;
      /** The stream is dead: close it (a reconnect follows). */
      dead: () => void;
    },
  ) {}

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.interval = setInterval(() => this.ping(), this.options.intervalMs);
    this.interval.unref();
  }

  stop(): void {
    clearInterval(this.interval);
    clearTimeout(this.deadline);
    this.pendingId = undefined;
  }

  /** True when `id` answers the pending ping (any answer, even an error, proves the stream alive). */
  answered(id: string | undefined): boolean {
    if (this.pendingId === undefined || id !== this.pendingId) return false;
    this.pendingId = undefined;
    clearTimeout(this.deadline);
    return true;
  }

  private ping(): void {
    if (this.pendingId !== undefined) return;
    const id = `keepalive-${newStanzaId()}`;
    this.pendingId = id;
    this.deadline = setTimeout(() => {
      this.options.logger.warn(
        { timeoutMs: this.options.timeoutMs },
        "no reply to the keepalive ping; closing the dead stream",
      );
      this.options.dead();
    }, this.options.timeoutMs);
    this.deadline.unref();
    this.options.ping(id);
  }
}
