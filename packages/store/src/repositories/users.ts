import { asc, count, eq, gt } from "drizzle-orm";
import { isUniqueViolation } from "../db-errors.js";
import type { Database, Tables } from "../drivers/driver.js";
import { DuplicateUserError } from "../errors.js";
import type { SecretBox } from "../secret-box.js";
import { decodeSecret, encodeSecret } from "../secret-codec.js";

export interface UserRow {
  id: number;
  /** Bare JID of the XMPP account. */
  jid: string;
  /** Registration form values (often legacy credentials). */
  registration: Record<string, unknown>;
  /** App session state saved between runs (tokens, device keys, …). */
  legacyData: Record<string, unknown> | null;
  preferences: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
  /** What the last successful privileged roster sync put in the roster (core's hash); null: unknown. */
  rosterHash: string | null;
}

export interface NewUser {
  jid: string;
  registration: Record<string, unknown>;
  legacyData?: Record<string, unknown> | null;
  preferences?: Record<string, unknown>;
}

export type UserPatch = Partial<{
  registration: Record<string, unknown>;
  legacyData: Record<string, unknown> | null;
  preferences: Record<string, unknown>;
  lastLoginAt: Date | null;
  rosterHash: string | null;
}>;

export interface ListUsersOptions {
  /** Rows fetched per query; the iteration never holds more than one page. Default 100. */
  pageSize?: number;
}

export interface UserRepository {
  get(jid: string): Promise<UserRow | undefined>;
  /** @throws DuplicateUserError when the JID is already registered. */
  create(input: NewUser): Promise<UserRow>;
  /** Applies only the given fields; undefined when no such user. */
  update(jid: string, patch: UserPatch): Promise<UserRow | undefined>;
  /** Deletes the user and, by cascade, their contacts and message ids. False when no such user. */
  delete(jid: string): Promise<boolean>;
  /** Every user in id order, fetched page by page (keyset pagination, so no OFFSET scans). */
  list(options?: ListUsersOptions): AsyncIterable<UserRow>;
  count(): Promise<number>;
  /**
   * Re-seals every user's secrets with the current key (after a key rotation, or to encrypt a
   * database written without a key). Returns how many users were rewritten.
   */
  resealAll(): Promise<number>;
}

const DEFAULT_PAGE_SIZE = 100;

type StoredUser = Tables["users"]["$inferSelect"];

const REGISTRATION = "users.registration";
const LEGACY_DATA = "users.legacy_data";

function toUserRow(stored: StoredUser, box: SecretBox | undefined): UserRow {
  return {
    id: stored.id,
    jid: stored.jid,
    registration: decodeSecret(stored.registration, { box, column: REGISTRATION, jid: stored.jid }),
    legacyData:
      stored.legacyData === null
        ? null
        : decodeSecret(stored.legacyData, { box, column: LEGACY_DATA, jid: stored.jid }),
    preferences: stored.preferences,
    createdAt: stored.createdAt,
    updatedAt: stored.updatedAt,
    lastLoginAt: stored.lastLoginAt,
    rosterHash: stored.rosterHash,
  };
}

/**
 * Without a box the columns hold plain JSON (tests, or an operator who opted out). `onDeleted`
 * hears the id of every deleted user (what caches keyed by user id must drop).
 */
export function createUserRepository(
  db: Database,
  tables: Tables,
  box?: SecretBox,
  onDeleted: (userId: number) => void = () => {},
): UserRepository {
  const { users } = tables;
  const row = (stored: StoredUser) => toUserRow(stored, box);
  /** Every stored user in id order, page by page (keyset pagination, so no OFFSET scans). */
  async function* storedPages(pageSize: number): AsyncIterable<StoredUser> {
    let afterId = 0;
    for (;;) {
      const page = await db
        .select()
        .from(users)
        .where(gt(users.id, afterId))
        .orderBy(asc(users.id))
        .limit(pageSize);
      yield* page;
      if (page.length < pageSize) return;
      afterId = page[page.length - 1]!.id;
    }
  }
  const repository: UserRepository = {
    async get(jid) {
      const [stored] = await db.select().from(users).where(eq(users.jid, jid));
      return stored && row(stored);
    },

    async create(input) {
      try {
        const [stored] = await db
          .insert(users)
          .values({
            jid: input.jid,
            registration: encodeSecret(input.registration, { box, column: REGISTRATION, jid: input.jid }),
            legacyData:
              input.legacyData == null
                ? null
                : encodeSecret(input.legacyData, { box, column: LEGACY_DATA, jid: input.jid }),
            preferences: input.preferences ?? {},
          })
          .returning();
        return row(stored!);
      } catch (error) {
        if (isUniqueViolation(error, "users_jid_unique")) throw new DuplicateUserError(input.jid);
        throw error;
      }
    },

    async update(jid, patch) {
      const changes: Partial<Tables["users"]["$inferInsert"]> = {};
      if (patch.registration !== undefined) {
        changes.registration = encodeSecret(patch.registration, { box, column: REGISTRATION, jid });
      }
      if (patch.legacyData !== undefined) {
        changes.legacyData =
          patch.legacyData === null
            ? null
            : encodeSecret(patch.legacyData, { box, column: LEGACY_DATA, jid });
      }
      if (patch.preferences !== undefined) changes.preferences = patch.preferences;
      if (patch.lastLoginAt !== undefined) changes.lastLoginAt = patch.lastLoginAt;
      if (patch.rosterHash !== undefined) changes.rosterHash = patch.rosterHash;
      const [stored] = await db
        .update(users)
        .set({ ...changes, updatedAt: new Date() })
        .where(eq(users.jid, jid))
        .returning();
      return stored && row(stored);
    },

    async delete(jid) {
      const deleted = await db.delete(users).where(eq(users.jid, jid)).returning({ id: users.id });
      for (const { id } of deleted) onDeleted(id);
      return deleted.length > 0;
    },

    async *list(options) {
      for await (const stored of storedPages(options?.pageSize ?? DEFAULT_PAGE_SIZE)) yield row(stored);
    },

    async count() {
      const [result] = await db.select({ value: count() }).from(users);
      return result?.value ?? 0;
    },

    async resealAll() {
      if (!box) return 0;
      const stale = (value: string | null) => value !== null && box.needsResealing(value);
      let resealed = 0;
      for await (const stored of storedPages(DEFAULT_PAGE_SIZE)) {
        if (!stale(stored.registration) && !stale(stored.legacyData)) continue;
        const { registration, legacyData } = row(stored);
        await repository.update(stored.jid, { registration, legacyData });
        resealed++;
      }
      return resealed;
    },
  };
  return repository;
}
