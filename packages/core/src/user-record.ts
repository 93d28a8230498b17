import type { Store, UserPatch } from "@gangway/store";
import type { Logger } from "pino";
import { SerialQueue } from "./outbox.js";

/**
 * A session's writes to its user's row, one after the other (so an older roster hash never wins),
 * and the roster hash: what the last successful privileged roster sync put in the roster (see
 * syncRoster), null when unknown.
 */
export class UserRecord {
  private hash: string | null;
  /** A new roster hash found during login, saved with the login's own write. */
  private hashUnsaved = false;
  private readonly writes = new SerialQueue();

  constructor(
    private readonly store: Store,
    private readonly jid: string,
    rosterHash: string | null,
    private readonly log: Logger,
  ) {
    this.hash = rosterHash;
  }

  get rosterHash(): string | null {
    return this.hash;
  }

  /**
   * Roster sync's outcome. A new hash found while logging in is saved by the login's `lastLoginAt`
   * write (`loggedIn`), so a login still costs one write; a cleared one is saved at once, so that a
   * login failing later cannot leave a stale hash behind. Neither is waited for: a lost write only
   * costs the next login a full sync.
   */
  recordRosterHash(hash: string | null, duringLogin: boolean): void {
    if (hash === this.hash) return;
    this.hash = hash;
    if (hash !== null && duringLogin) this.hashUnsaved = true;
    else this.saveRosterHash();
  }

  /** The login succeeded: its time, and a roster hash found meanwhile, in one write. */
  loggedIn(): Promise<unknown> {
    const rosterHash = this.hashUnsaved ? { rosterHash: this.hash } : {};
    this.hashUnsaved = false;
    return this.write({ lastLoginAt: new Date(), ...rosterHash });
  }

  /** The login failed, maybe after a roster sync whose hash is still true. */
  loginFailed(): void {
    if (this.hashUnsaved) this.saveRosterHash();
  }

  private saveRosterHash(): void {
    this.hashUnsaved = false;
    this.write({ rosterHash: this.hash }).catch((err) =>
      this.log.warn({ err }, "could not save the roster hash"),
    );
  }

  private write(patch: UserPatch): Promise<unknown> {
    return this.writes.run(() => this.store.users.update(this.jid, patch));
  }
}
