import type { Privileges } from "@gangway/xmpp";
import type { Logger } from "pino";
import { describeMissingPrivileges } from "./privileges.js";

/**
 * What the server granted (XEP-0356), which it says in a message that can trail the handshake.
 * Logins sync rosters and may send carbons, both depending on it: `start()` waits for it a
 * moment; an advertisement that comes after the logins makes them re-sync (`onLate`).
 */
export class PrivilegeWatch {
  privileges: Privileges | undefined;
  /** A privileged roster set failed (ejabberd 23.01 is broken there): rosters sync by subscriptions. */
  rosterSetFailed = false;
  /** Set while `untilAdvertised()` waits. */
  private arrived: (() => void) | undefined;

  constructor(
    private readonly log: Logger,
    private readonly waitMs: number,
    private readonly onLate: () => void,
  ) {}

  /** Resolves when the advertisement came, or after the wait. */
  untilAdvertised(): Promise<void> {
    if (this.privileges || this.waitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.waitMs);
      this.arrived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  received(privileges: Privileges): void {
    const late = this.privileges === undefined && this.arrived === undefined;
    this.privileges = privileges;
    this.arrived?.();
    this.arrived = undefined;
    if (late) this.onLate();
    this.log.info(
      {
        namespace: privileges.namespace,
        roster: privileges.roster,
        message: privileges.message,
        iq: privileges.iq,
      },
      "XEP-0356 privileges granted by the server",
    );
    for (const what of describeMissingPrivileges(privileges))
      this.log.warn(`missing XEP-0356 privilege ${what}`);
  }

  /** Falls back to subscription requests for good, and says so once. */
  rosterSetFailedWith(err: unknown): void {
    if (this.rosterSetFailed) return;
    this.rosterSetFailed = true;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "the server granted the XEP-0356 roster privilege but a privileged roster set failed; falling back to subscription requests",
    );
  }
}
