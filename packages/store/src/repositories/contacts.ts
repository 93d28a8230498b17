import { and, asc, eq } from "drizzle-orm";
import { isUniqueViolation } from "../db-errors.js";
import type { Database, Tables } from "../drivers/driver.js";
import { DuplicateContactJidError } from "../errors.js";

export interface ContactRow {
  id: number;
  userId: number;
  legacyId: string;
  /** XEP-0106-escaped JID local part. */
  jidLocal: string;
  name: string | null;
  isFriend: boolean;
  addedToRoster: boolean;
  extra: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

/** Omitted optional fields keep their stored value on update, and their default on insert. */
export interface ContactUpsert {
  legacyId: string;
  jidLocal: string;
  name?: string | null;
  isFriend?: boolean;
  addedToRoster?: boolean;
  extra?: Record<string, unknown>;
}

export interface ContactRepository {
  /**
   * Inserts or updates the contact identified by (userId, legacyId).
   * @throws DuplicateContactJidError when another contact of the user has this jidLocal.
   */
  upsert(userId: number, contact: ContactUpsert): Promise<ContactRow>;
  get(userId: number, legacyId: string): Promise<ContactRow | undefined>;
  getByJidLocal(userId: number, jidLocal: string): Promise<ContactRow | undefined>;
  /** The user's contacts in insertion order. One user's roster, so one query is the right size. */
  listForUser(userId: number): Promise<ContactRow[]>;
  delete(userId: number, legacyId: string): Promise<boolean>;
}

export function createContactRepository(db: Database, tables: Tables): ContactRepository {
  const { contacts } = tables;
  return {
    async upsert(userId, contact) {
      const given = {
        jidLocal: contact.jidLocal,
        ...(contact.name !== undefined && { name: contact.name }),
        ...(contact.isFriend !== undefined && { isFriend: contact.isFriend }),
        ...(contact.addedToRoster !== undefined && { addedToRoster: contact.addedToRoster }),
        ...(contact.extra !== undefined && { extra: contact.extra }),
      };
      try {
        const [stored] = await db
          .insert(contacts)
          .values({ userId, legacyId: contact.legacyId, ...given })
          .onConflictDoUpdate({
            target: [contacts.userId, contacts.legacyId],
            set: { ...given, updatedAt: new Date() },
          })
          .returning();
        return stored!;
      } catch (error) {
        if (isUniqueViolation(error, "contacts_user_jid_local_unique")) {
          throw new DuplicateContactJidError(userId, contact.jidLocal);
        }
        throw error;
      }
    },

    async get(userId, legacyId) {
      const [stored] = await db
        .select()
        .from(contacts)
        .where(and(eq(contacts.userId, userId), eq(contacts.legacyId, legacyId)));
      return stored;
    },

    async getByJidLocal(userId, jidLocal) {
      const [stored] = await db
        .select()
        .from(contacts)
        .where(and(eq(contacts.userId, userId), eq(contacts.jidLocal, jidLocal)));
      return stored;
    },

    async listForUser(userId) {
      return db.select().from(contacts).where(eq(contacts.userId, userId)).orderBy(asc(contacts.id));
    },

    async delete(userId, legacyId) {
      const deleted = await db
        .delete(contacts)
        .where(and(eq(contacts.userId, userId), eq(contacts.legacyId, legacyId)))
        .returning({ id: contacts.id });
      return deleted.length > 0;
    },
  };
}
