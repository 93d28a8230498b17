import { setTimeout as sleep } from "node:timers/promises";
import type { UserRow } from "@gangway/store";
import { XmppError } from "@gangway/xmpp";
import type { AnySession } from "./session.js";
import { NOT_LOGGED_IN_TEXT, NOT_REGISTERED_TEXT } from "./texts.js";

/**
 * The sessions of registered users, by bare JID, and their lifecycle: start, stop, restart. A
 * session is registered before it logs in, so what the user sends meanwhile finds it and waits.
 */
export class Sessions<S extends AnySession> {
  private readonly byJid = new Map<string, S>();

  constructor(private readonly create: (user: UserRow) => S) {}

  get(bareJid: string): S | undefined {
    return this.byJid.get(bareJid);
  }

  values(): IterableIterator<S> {
    return this.byJid.values();
  }

  get size(): number {
    return this.byJid.size;
  }

  /**
   * The session of a registered user, or the error a stranger gets (`registration-required`);
   * with `loggedIn`, also `recipient-unavailable` until its first login is done.
   */
  require(bareJid: string, need: { loggedIn?: boolean } = {}): S {
    const session = this.byJid.get(bareJid);
    if (!session) throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
    if (need.loggedIn && !session.isLoggedIn)
      throw new XmppError("recipient-unavailable", NOT_LOGGED_IN_TEXT);
    return session;
  }

  /**
   * Creates the user's session and registers it at once (before the first await), so that what
   * they send from now on finds it and waits for its login; an older session is stopped.
   */
  async add(user: UserRow): Promise<S> {
    const previous = this.byJid.get(user.jid);
    const session = this.create(user);
    this.byJid.set(user.jid, session);
    if (previous) await this.stop(previous);
    return session;
  }

  /** Creates the user's session (see `add`) and logs it in. */
  async start(user: UserRow): Promise<S> {
    const session = await this.add(user);
    await session.start();
    return session;
  }

  /** Logs a session out; a failing logout is logged, never thrown. */
  async stop(session: S): Promise<void> {
    try {
      await session.stop();
    } catch (err) {
      session.log.warn({ err }, "error while stopping the session");
    }
  }

  /** Forgets the user's session (unregistration) and stops it; returns it if there was one. */
  async remove(bareJid: string): Promise<S | undefined> {
    const session = this.byJid.get(bareJid);
    this.byJid.delete(bareJid);
    if (session) await this.stop(session);
    return session;
  }

  /**
   * Stops every session (shutdown). When they are not done within `graceMs` (their goodbyes wait
   * for a server that is gone), `late` runs — it drops what is queued — and they are awaited.
   */
  async stopAll(
    graceMs = Number.POSITIVE_INFINITY,
    late: () => Promise<void> = async () => {},
  ): Promise<void> {
    const stopped = Promise.all([...this.byJid.values()].map((session) => this.stop(session)));
    this.byJid.clear();
    if (Number.isFinite(graceMs)) {
      const inTime = await Promise.race([stopped.then(() => true), sleep(graceMs, false, { ref: false })]);
      if (!inTime) await late();
    }
    await stopped;
  }
}
