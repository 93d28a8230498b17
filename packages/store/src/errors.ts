import type { StoreDriverName } from "./drivers/driver.js";

/** Base class of every error this package throws, so callers can tell storage failures apart. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** The store options are unusable (e.g. a malformed PostgreSQL URL). Fix the configuration. */
export class StoreConfigError extends StoreError {
  override name = "StoreConfigError";
}

/**
 * The database cannot be reached or refused us (down, wrong host/port, authentication, missing
 * database, data directory locked). `target` names the server or directory, never a password.
 */
export class StoreUnavailableError extends StoreError {
  override name = "StoreUnavailableError";
  constructor(
    readonly driver: StoreDriverName,
    readonly target: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${driver} database at ${target} is unavailable: ${reason}`, options);
  }

  /**
   * What a front end tells the user, read structurally by @gangway/xmpp's toXmppError (this
   * package does not depend on it): the cause is known and temporary, so not a generic failure.
   */
  readonly xmppCondition = "service-unavailable";
  readonly xmppErrorType = "wait";
  readonly userText = STORE_UNAVAILABLE_TEXT;
}

/** Said to a user whose request failed because the database could not be reached. */
export const STORE_UNAVAILABLE_TEXT =
  "The gateway's database is unavailable right now, so this could not be done. Try again in a minute.";

export class DuplicateUserError extends StoreError {
  override name = "DuplicateUserError";
  constructor(readonly jid: string) {
    super(`a user with JID ${jid} is already registered`);
  }
}

/** Another legacy contact of the same user already owns this JID local part. */
export class DuplicateContactJidError extends StoreError {
  override name = "DuplicateContactJidError";
  constructor(
    readonly userId: number,
    readonly jidLocal: string,
  ) {
    super(`user ${userId} already has another contact with JID local part ${jidLocal}`);
  }
}

/** A query failed for a reason other than availability (a bug, a constraint not mapped above, …). */
export class StoreQueryError extends StoreError {
  override name = "StoreQueryError";
  constructor(
    message: string,
    /** SQLSTATE (e.g. 23505) when the server reported one. */
    readonly code?: string,
    readonly constraint?: string,
  ) {
    super(message);
  }
}
