import type { UserPatch, UserRow } from "@gangway/store";
import { buildPresence, type FormValues, XmppError } from "@gangway/xmpp";
import type { Logger } from "pino";
import type { LegacyContact, PresenceShow } from "./contact.js";
import type { AnyGateway } from "./gateway.js";
import { SerialQueue } from "./outbox.js";
import { type ContactClass, LegacyRoster } from "./roster.js";
import { syncRoster } from "./roster-sync.js";

/** A presence the user's client sent, as `onPresence` receives it. */
export interface UserPresence {
  available: boolean;
  show?: PresenceShow | undefined;
  status?: string | undefined;
  /** The client's resource: with several clients online, the last one to change wins. */
  resource?: string | undefined;
}

/** The user's own picture, as `onAvatar` receives it. */
export interface UserAvatar {
  data: Uint8Array;
  type: string;
  /** SHA-1 hex, as XEP-0153 advertised it. */
  hash: string;
}

export type SessionState = "logging-in" | "logged-in" | "failed" | "logged-out";

/** What `onSearch` found: the columns (one of them `jid`, e.g. `contact.jid`) and one row per contact. */
export interface SearchResult {
  fields: ReadonlyArray<{ var: string; label: string }>;
  items: ReadonlyArray<Record<string, string>>;
}

/** The answer of an app whose session does not implement `onSearch`. */
export const SEARCH_NOT_IMPLEMENTED_TEXT = "This gateway cannot search for contacts.";

/**
 * One registered user's connection to the legacy network. Apps subclass it: `login()` connects
 * (returning a status text to show), `logout()` disconnects, and the legacy client's events are
 * turned into calls on contacts.
 */
export class BaseSession<C extends LegacyContact = LegacyContact> {
  /** The contact class this session's roster creates; apps set their own. */
  static Contact: ContactClass<LegacyContact>;
  /** The roster class; apps override it to change the legacy id ↔ JID mapping or to `fill()`. */
  static Roster: typeof LegacyRoster = LegacyRoster;

  readonly contacts: LegacyRoster<C>;
  readonly log: Logger;
  state: SessionState = "logging-in";
  /** Why the last login failed, while `state` is "failed". */
  lastLoginError: string | undefined;
  /** What the last successful privileged roster sync put in the roster (see syncRoster); null: unknown. */
  private currentRosterHash: string | null;
  /** A new roster hash found during login, saved with the login's own write. */
  private rosterHashUnsaved = false;
  /** Writes to the user's row go one after the other, so an older hash never wins. */
  private readonly userWrites = new SerialQueue();

  constructor(
    readonly gateway: AnyGateway,
    public user: UserRow,
  ) {
    const statics = this.constructor as typeof BaseSession;
    if (!statics.Contact)
      throw new Error(`${statics.name} must set static Contact to its LegacyContact subclass`);
    this.contacts = new statics.Roster(this, statics.Contact) as unknown as LegacyRoster<C>;
    this.log = gateway.log.child({ user: user.jid });
    this.currentRosterHash = user.rosterHash;
  }

  get userJid(): string {
    return this.user.jid;
  }

  get isLoggedIn(): boolean {
    return this.state === "logged-in";
  }

  get rosterHash(): string | null {
    return this.currentRosterHash;
  }

  /**
   * Roster sync's outcome (null: the roster's content is no longer known). A new hash found while
   * logging in is saved by the login's `lastLoginAt` write, so a login still costs one write; a
   * cleared one is saved at once, so that a login failing later cannot leave a stale hash behind.
   * Neither is waited for: a lost write only costs the next login a full sync.
   */
  recordRosterHash(hash: string | null): void {
    if (hash === this.currentRosterHash) return;
    this.currentRosterHash = hash;
    if (hash !== null && this.state === "logging-in") this.rosterHashUnsaved = true;
    else this.saveRosterHash();
  }

  private saveRosterHash(): void {
    this.rosterHashUnsaved = false;
    this.writeUser({ rosterHash: this.currentRosterHash }).catch((err) =>
      this.log.warn({ err }, "could not save the roster hash"),
    );
  }

  private writeUser(patch: UserPatch): Promise<unknown> {
    return this.userWrites.run(() => this.gateway.store.users.update(this.userJid, patch));
  }

  // ---- hooks the app overrides ----

  /** Connects to the legacy network. Return a status text for the gateway's presence, if any. */
  async login(): Promise<string | undefined | void> {}

  async logout(): Promise<void> {}

  /**
   * The user's XMPP presence changed (one of their clients went online, away, offline…), for
   * networks that show the user's status. Only called while the user's `sync_presence` is on.
   * The default does nothing: not every network has presence.
   */
  async onPresence(_presence: UserPresence): Promise<void> {}

  /** SHA-1 of the user's last vCard photo the gateway saw (XEP-0153); `onAvatar` runs on change. */
  userAvatarHash: string | undefined;

  /**
   * The user's XMPP avatar changed (null: removed), for networks that show the user's picture.
   * Only called while the user's `sync_avatar` is on. The default does nothing.
   */
  async onAvatar(_avatar: UserAvatar | null): Promise<void> {}

  /**
   * Searches the legacy network for contacts (XEP-0055 and the `find` command). `values` are the
   * answers to the gateway's SEARCH_FIELDS, already validated. Undefined or no items means nothing
   * was found, which is not an error.
   */
  async onSearch(_values: FormValues): Promise<SearchResult | undefined> {
    throw new XmppError("feature-not-implemented", SEARCH_NOT_IMPLEMENTED_TEXT);
  }

  // ---- helpers ----

  /** Registration data as the user entered it (the registration form's values). */
  get registration(): Readonly<Record<string, unknown>> {
    return this.user.registration;
  }

  /** Presence of the gateway itself towards this user; cached and replayed on probes. */
  private gatewayPresence: { show?: PresenceShow; status: string; available: boolean } = {
    available: false,
    status: "",
  };

  async sendGatewayStatus(
    status: string,
    options: { show?: PresenceShow; available?: boolean } = {},
  ): Promise<void> {
    this.gatewayPresence = { status, show: options.show, available: options.available ?? true };
    await this.sendGatewayPresence();
  }

  async sendGatewayPresence(): Promise<void> {
    const { show, status, available } = this.gatewayPresence;
    await this.gateway.send(
      buildPresence({
        from: this.gateway.domain,
        to: this.userJid,
        ...(available ? {} : { type: "unavailable" }),
        ...(show && { show }),
        status,
      }),
    );
  }

  sendGatewayMessage(text: string): Promise<void> {
    return this.gateway.sendChat(this.userJid, text);
  }

  /** Sends a QR code to the user from the gateway (e.g. re-pairing a device inside `login()`). */
  sendQr(text: string): Promise<{ url?: string }> {
    return this.gateway.sendQr(this.userJid, text);
  }

  /** Asks the user something by chat and resolves with their answer (see BaseGateway.input). */
  input(question: string, options?: { timeoutMs?: number }): Promise<string> {
    return this.gateway.input(this.userJid, question, options);
  }

  /**
   * The login lifecycle: "Logging in…" → `login()` → contacts synced into the roster →
   * the status `login()` returned (or "Logged in"). A failure is shown, never thrown.
   */
  async start(): Promise<void> {
    this.state = "logging-in";
    this.lastLoginError = undefined;
    await this.sendGatewayStatus("Logging in…", { show: "dnd" });
    try {
      await this.contacts.loadStored();
      const status = await this.login();
      const contacts: C[] = [];
      for await (const contact of this.contacts.fill()) contacts.push(contact);
      this.contacts.forgetStored();
      await syncRoster(this, contacts);
      // Clients that follow XEP-0084 (+notify) learn the pictures from these events.
      for (const contact of contacts) if (contact.avatar) await contact.sendAvatarEvent();
      // Only now: presences set while filling were cached, and syncRoster has just sent them.
      this.state = "logged-in";
      await this.sendGatewayStatus(status || "Logged in");
      const rosterHash = this.rosterHashUnsaved ? { rosterHash: this.currentRosterHash } : {};
      this.rosterHashUnsaved = false;
      await this.writeUser({ lastLoginAt: new Date(), ...rosterHash });
      this.log.info({ contacts: contacts.length }, "logged in");
    } catch (err) {
      this.contacts.forgetStored();
      // The roster sync may have succeeded before the failure: its hash is still true.
      if (this.rosterHashUnsaved) this.saveRosterHash();
      this.state = "failed";
      const reason =
        err instanceof XmppError
          ? (err.text ?? err.condition)
          : err instanceof Error
            ? err.message
            : String(err);
      this.lastLoginError = reason;
      this.log.warn({ err }, "login failed");
      await this.sendGatewayStatus(`Could not log in: ${reason}`, { show: "dnd" });
      await this.sendGatewayMessage(
        `You are not logged in to the legacy network: ${reason}\nFix the cause, then send 're-login' (or run the "Re-login" command) to try again.`,
      );
    }
  }

  /**
   * Syncs the roster again (the server's privileges became known after this session logged in),
   * in full whatever the roster hash says: the login's sync was not a privileged one.
   */
  async resyncRoster(): Promise<void> {
    await syncRoster(this, [...this.contacts], { full: true });
  }

  /** Logs out and shows everything as offline (shutdown or unregistration). */
  async stop(): Promise<void> {
    if (this.state === "logged-out") return;
    const wasLoggedIn = this.state === "logged-in";
    for (const contact of this.contacts) {
      if (contact.currentPresence.available) await contact.offline();
    }
    this.state = "logged-out";
    await this.sendGatewayStatus("", { available: false });
    if (wasLoggedIn) {
      try {
        await this.logout();
      } catch (err) {
        this.log.warn({ err }, "logout failed");
      }
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: the gateway handles sessions of any contact type
export type AnySession = BaseSession<any>;
