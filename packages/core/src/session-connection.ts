import { type PresenceShow, XmppError } from "@gangway/xmpp";
import type { Logger } from "pino";
import {
  type ConnectionState,
  HeldMessages,
  loginFailure,
  needsRelogin,
  Reconnector,
  reloginText,
  STOPPING_TEXT,
} from "./connection.js";
import type { GatewayMetrics } from "./metrics/registry.js";

/** What a session's connection needs of the session: its reconnect hook and its ways to tell the user. */
export interface ConnectionOwner {
  readonly log: Logger;
  /** Where a failed reconnection is counted. */
  readonly gateway: { readonly metrics: GatewayMetrics };
  /** The session class asks the core to reconnect it (RECONNECT). */
  readonly reconnects: boolean;
  reconnect(): Promise<string | undefined | void>;
  sendGatewayStatus(status: string, options?: { show?: PresenceShow }): Promise<void>;
  sendGatewayMessage(text: string): Promise<void>;
}

/**
 * One session's connection state and what follows from it: the gateway's status for the user,
 * the user's messages held while it is pending, reconnection with a backoff, the advice to log in
 * again. See docs/architecture.md, "Connection states".
 */
export class SessionConnection {
  state: ConnectionState = "connecting";
  /** Why, in words (a status from the network, or a failure's reason). */
  text: string | undefined;
  /** The first login is done: contacts are synced into the roster. */
  ready = false;
  /** Logged out or shut down: nothing is reported or retried any more. */
  stopped = false;
  private readonly held = new HeldMessages();
  private readonly reconnector = new Reconnector(() => this.tryReconnect());

  constructor(private readonly owner: ConnectionOwner) {}

  /** A (re)start: the login that follows reports its states again. */
  restart(): void {
    this.stopped = false;
    this.ready = false;
  }

  /** Reports where the login stands, and acts on it (see BaseSession.setConnectionState). */
  async set(state: ConnectionState, text?: string): Promise<void> {
    if (this.stopped) return;
    const previous = this.state;
    this.state = state;
    this.text = text;
    switch (state) {
      case "connected":
        this.reconnector.cancel();
        // During the first login, start() says "connected" once the roster is synced.
        if (!this.ready) return;
        this.held.release();
        await this.owner.sendGatewayStatus(text || "Connected");
        return;
      case "connecting":
        await this.owner.sendGatewayStatus(text || "Logging in…", { show: "dnd" });
        return;
      case "transient-disconnect": {
        const lost = text || "Lost the connection to the legacy network";
        const delay = this.owner.reconnects && this.ready ? this.reconnector.schedule() : undefined;
        const retry = delay === undefined ? "" : `; reconnecting in ${Math.ceil(delay / 1000)} s`;
        await this.owner.sendGatewayStatus(`${lost}${retry}`, { show: "dnd" });
        return;
      }
      default: {
        this.reconnector.cancel();
        this.held.refuse(new XmppError("recipient-unavailable", reloginText(text)));
        const why = text || (state === "logged-out" ? "the network logged you out" : "unknown reason");
        const status = state === "logged-out" ? `Logged out: ${why}` : `Could not log in: ${why}`;
        await this.owner.sendGatewayStatus(status, { show: "dnd" });
        if (previous !== state || this.ready) {
          await this.owner.sendGatewayMessage(
            `You are not logged in to the legacy network: ${why}\nFix the cause, then send 're-login' (or run the "Re-login" command) to try again.`,
          );
        }
      }
    }
  }

  /** The first login failed or succeeded: see `loginFailure` for the state an error means. */
  async loginFailed(err: unknown): Promise<void> {
    const { state, reason } = loginFailure(err);
    await this.set(state, reason);
  }

  /** Messages can go through now: connected, after the first login, not stopped. */
  get open(): boolean {
    return this.ready && this.state === "connected" && !this.stopped;
  }

  /** Resolves once messages can go through; see BaseSession.untilConnected. */
  async untilConnected(): Promise<void> {
    if (this.stopped) throw new XmppError("recipient-unavailable", STOPPING_TEXT);
    if (this.open) return;
    if (needsRelogin(this.state)) throw new XmppError("recipient-unavailable", reloginText(this.text));
    await this.held.wait();
  }

  /** Logout or shutdown: no more retries, and held messages are refused. */
  stop(): void {
    this.reconnector.cancel();
    this.stopped = true;
    this.ready = false;
    this.held.refuse(new XmppError("recipient-unavailable", STOPPING_TEXT));
  }

  /** One attempt; `set()` cancels the retries on success or bad credentials, schedules the next otherwise. */
  private async tryReconnect(): Promise<void> {
    if (this.stopped) return;
    await this.set("connecting", "Reconnecting…");
    try {
      const status = await this.owner.reconnect();
      await this.set("connected", status || "Connected");
    } catch (err) {
      if (this.stopped) return;
      const { state, reason } = loginFailure(err);
      this.owner.log.warn({ err: reason }, "reconnection failed");
      this.owner.gateway.metrics.counts.errors.count("reconnect");
      // Wrong credentials will not fix themselves; anything else is worth another try.
      await this.set(state === "bad-credentials" ? state : "transient-disconnect", reason);
    }
  }
}
