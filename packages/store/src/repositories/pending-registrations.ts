import { and, desc, eq, gt, lte } from "drizzle-orm";
import type { Database, Tables } from "../drivers/driver.js";
import type { SecretBox } from "../secret-box.js";
import { decodeSecret, encodeSecret } from "../secret-codec.js";

export type RegistrationFrontEnd = "adhoc" | "chat";

export interface PendingRegistration {
  id: string;
  /** Bare JID of the person registering. */
  jid: string;
  frontEnd: RegistrationFrontEnd;
  /** The flow's state (answers so far, legacy data): sealed at rest. */
  state: Record<string, unknown>;
  expiresAt: Date;
}

export interface PendingRegistrationRepository {
  /** Creates or replaces the row with this id. */
  save(pending: PendingRegistration): Promise<void>;
  /** The row, unless it does not exist or has expired. */
  get(id: string): Promise<PendingRegistration | undefined>;
  /** The newest unexpired registration of `jid` through `frontEnd`. */
  latest(jid: string, frontEnd: RegistrationFrontEnd): Promise<PendingRegistration | undefined>;
  delete(id: string): Promise<void>;
  /** Forgets every pending registration of `jid` (it completed, or the user aborted). */
  deleteFor(jid: string): Promise<void>;
  /** Removes rows that expired at or before `now`; returns how many. */
  deleteExpired(now?: Date): Promise<number>;
}

const STATE = "pending_registrations.state";
type Stored = Tables["pendingRegistrations"]["$inferSelect"];

export function createPendingRegistrationRepository(
  db: Database,
  tables: Tables,
  box?: SecretBox,
): PendingRegistrationRepository {
  const { pendingRegistrations } = tables;
  const row = (stored: Stored): PendingRegistration => ({
    id: stored.id,
    jid: stored.jid,
    frontEnd: stored.frontEnd,
    state: decodeSecret(stored.state, { box, column: STATE, jid: stored.jid }),
    expiresAt: stored.expiresAt,
  });
  const unexpired = () => gt(pendingRegistrations.expiresAt, new Date());
  return {
    async save(pending) {
      const values = {
        jid: pending.jid,
        frontEnd: pending.frontEnd,
        state: encodeSecret(pending.state, { box, column: STATE, jid: pending.jid }),
        expiresAt: pending.expiresAt,
      };
      await db
        .insert(pendingRegistrations)
        .values({ id: pending.id, ...values })
        .onConflictDoUpdate({ target: pendingRegistrations.id, set: { ...values, updatedAt: new Date() } });
    },

    async get(id) {
      const [stored] = await db
        .select()
        .from(pendingRegistrations)
        .where(and(eq(pendingRegistrations.id, id), unexpired()));
      return stored && row(stored);
    },

    async latest(jid, frontEnd) {
      const [stored] = await db
        .select()
        .from(pendingRegistrations)
        .where(
          and(eq(pendingRegistrations.jid, jid), eq(pendingRegistrations.frontEnd, frontEnd), unexpired()),
        )
        .orderBy(desc(pendingRegistrations.updatedAt))
        .limit(1);
      return stored && row(stored);
    },

    async delete(id) {
      await db.delete(pendingRegistrations).where(eq(pendingRegistrations.id, id));
    },

    async deleteFor(jid) {
      await db.delete(pendingRegistrations).where(eq(pendingRegistrations.jid, jid));
    },

    async deleteExpired(now = new Date()) {
      const deleted = await db
        .delete(pendingRegistrations)
        .where(lte(pendingRegistrations.expiresAt, now))
        .returning({ id: pendingRegistrations.id });
      return deleted.length;
    },
  };
}
