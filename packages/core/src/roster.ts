import type { ContactRow } from "@gangway/store";
import { XmppError } from "@gangway/xmpp";
import type { ChatSession } from "./chat.js";
import type { AnyContact } from "./contact.js";

/** What the roster needs of its session (BaseSession is one): the legacy id ↔ JID mapping. */
export interface RosterSession extends ChatSession {
  legacyIdToJidLocal(legacyId: string): string;
  jidLocalToLegacyId(jidLocal: string): string;
}

export type ContactClass<C extends AnyContact> = new (
  session: RosterSession,
  legacyId: string,
  jidLocal: string,
) => C;

/**
 * The user's legacy contacts, created lazily and kept once per legacy id. The mapping between
 * legacy ids and JID localparts is the session's (XEP-0106 escaping unless the app overrides it).
 */
export class LegacyRoster<C extends AnyContact = AnyContact> {
  private readonly byId = new Map<string, C>();
  /** By localpart lowercased: JIDs compare so, and the localpart of an addressed JID arrives folded. */
  private readonly byLocal = new Map<string, C>();
  private readonly creating = new Map<string, Promise<C>>();
  /** The user's contacts as stored, read with one query at login and dropped once filled. */
  private stored = new Map<string, ContactRow>();

  constructor(
    readonly session: RosterSession,
    private readonly Contact: ContactClass<C>,
  ) {}

  /** Legacy id → JID localpart, as the session maps them. */
  legacyIdToJidLocal(legacyId: string): string {
    return this.session.legacyIdToJidLocal(legacyId);
  }

  /**
   * Reads the user's stored contacts in one query, so creating them at login writes only what
   * changed. The session calls it before `login()`; `listContacts()` may use `storedLegacyIds()`.
   */
  async loadStored(): Promise<void> {
    const { gateway, user } = this.session;
    const rows = await gateway.store.contacts.listForUser(user.id);
    this.stored = new Map(rows.map((row) => [row.legacyId, row]));
  }

  /** Legacy ids of the contacts stored for this user (during login; empty afterwards). */
  storedLegacyIds(): string[] {
    return [...this.stored.keys()];
  }

  /** Frees what `loadStored` read: contacts created since hold what they need. */
  forgetStored(): void {
    this.stored = new Map();
  }

  /** The contact for a legacy id, created (and its info fetched) on first use. */
  async byLegacyId(legacyId: string): Promise<C> {
    const known = this.byId.get(legacyId);
    if (known) return known;
    // Two events for a new contact can race: both must get the same instance.
    let pending = this.creating.get(legacyId);
    if (!pending) {
      pending = this.create(legacyId).finally(() => this.creating.delete(legacyId));
      this.creating.set(legacyId, pending);
    }
    return pending;
  }

  /** The contact addressed by a JID localpart; `item-not-found` when it maps to no legacy id. */
  async byJidLocal(jidLocal: string): Promise<C> {
    const known = this.byLocal.get(jidLocal.toLowerCase());
    if (known) return known;
    let legacyId: string;
    try {
      legacyId = this.session.jidLocalToLegacyId(jidLocal);
    } catch (err) {
      if (err instanceof XmppError) throw err;
      throw new XmppError("item-not-found", `No contact is known as ${jidLocal}.`);
    }
    return this.byLegacyId(legacyId);
  }

  /** The contact for a legacy id if it was created already (no creation, no lookup). */
  known(legacyId: string): C | undefined {
    return this.byId.get(legacyId);
  }

  /** Contacts created so far in this session. */
  [Symbol.iterator](): IterableIterator<C> {
    return this.byId.values();
  }

  get size(): number {
    return this.byId.size;
  }

  private async create(legacyId: string): Promise<C> {
    const jidLocal = this.legacyIdToJidLocal(legacyId);
    const contact = new this.Contact(this.session, legacyId, jidLocal);
    await contact.updateInfo();
    const { gateway, user } = this.session;
    contact.capabilities = await gateway.capabilities.of(contact);
    const name = contact.name ?? null;
    let row = this.stored.get(legacyId);
    if (row?.jidLocal !== jidLocal || row.name !== name || row.isFriend !== contact.isFriend) {
      row = await gateway.store.contacts.upsert(user.id, {
        legacyId,
        jidLocal,
        name,
        isFriend: contact.isFriend,
      });
    }
    this.stored.delete(legacyId);
    contact.addedToRoster = row.addedToRoster;
    this.byId.set(legacyId, contact);
    this.byLocal.set(jidLocal.toLowerCase(), contact);
    return contact;
  }
}
