import { redactPostgresUrl } from "./connection-url.js";
import { toStoreError } from "./db-errors.js";
import type { OpenDriver } from "./drivers/driver.js";
import { openPostgres } from "./drivers/postgres.js";
import { openSqlite } from "./drivers/sqlite.js";
import type { StoreDriverName, StoreLogger, StoreOptions } from "./options.js";
import { type ContactRepository, createContactRepository } from "./repositories/contacts.js";
import { createMessageIdRepository, type MessageIdRepository } from "./repositories/message-ids.js";
import {
  createPendingRegistrationRepository,
  type PendingRegistrationRepository,
} from "./repositories/pending-registrations.js";
import { createUserRepository, type UserRepository } from "./repositories/users.js";

export interface Store {
  readonly driver: StoreDriverName;
  readonly users: UserRepository;
  readonly contacts: ContactRepository;
  readonly messageIds: MessageIdRepository;
  readonly pendingRegistrations: PendingRegistrationRepository;
  /** Resolves when the database answers a trivial query; throws StoreUnavailableError otherwise. */
  healthCheck(): Promise<void>;
  /** Writes what is still batched, then closes connections (PostgreSQL) or the file (SQLite). Idempotent. */
  close(): Promise<void>;
}

/**
 * Opens the database and brings its schema up to date before returning.
 * @throws StoreUnavailableError when it cannot be reached; StoreConfigError for a malformed URL.
 */
export async function openStore(options: StoreOptions, logger?: StoreLogger): Promise<Store> {
  const startedAt = performance.now();
  const target = options.driver === "sqlite" ? (options.file ?? "memory") : redactPostgresUrl(options.url);
  logger?.info({ driver: options.driver, target }, "opening store");
  let driver: OpenDriver;
  try {
    driver = options.driver === "sqlite" ? await openSqlite(options.file) : await openPostgres(options.url);
  } catch (error) {
    logger?.error({ driver: options.driver, target, err: error }, "could not open store");
    throw error;
  }
  logger?.info(
    { driver: driver.name, target: driver.target, ms: Math.round(performance.now() - startedAt) },
    "store open and migrated",
  );
  return createStore(driver, options);
}

function createStore(driver: OpenDriver, options: StoreOptions): Store {
  const { db, tables } = driver;
  const { secretBox } = options;
  const translate = (error: unknown) => toStoreError(error, driver.name, driver.target);
  const messageIds = createMessageIdRepository(driver, {
    perUser: options.messageIds?.perUser ?? 2000,
    maxBatch: options.messageIds?.maxBatch ?? 500,
    translate,
  });
  const users = createUserRepository(db, tables, secretBox, (userId) => messageIds.forgetUser(userId));
  let closing: Promise<void> | undefined;
  return {
    driver: driver.name,
    users: withStoreErrors(users, translate),
    contacts: withStoreErrors(createContactRepository(db, tables), translate),
    messageIds: withStoreErrors(messageIds, translate),
    pendingRegistrations: withStoreErrors(
      createPendingRegistrationRepository(db, tables, secretBox),
      translate,
    ),
    async healthCheck() {
      try {
        await driver.ping();
      } catch (error) {
        throw translate(error);
      }
    },
    close() {
      closing ??= messageIds.flush().then(() => driver.close());
      return closing;
    },
  };
}

/**
 * Every repository method goes through here, so callers only ever see StoreErrors: a typed
 * StoreUnavailableError to map to an XMPP condition, and never a driver error carrying query
 * parameters (credentials) into a log.
 */
function withStoreErrors<Repository extends object>(
  repository: Repository,
  translate: (error: unknown) => Error,
): Repository {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    if (typeof member !== "function") continue;
    guarded[name] = (...args: unknown[]) => {
      const result: unknown = member.apply(repository, args);
      if (result instanceof Promise) {
        return result.catch((error: unknown) => {
          throw translate(error);
        });
      }
      if (isAsyncIterable(result)) return translateIteration(result, translate);
      return result;
    };
  }
  return guarded as Repository;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

async function* translateIteration<T>(source: AsyncIterable<T>, translate: (error: unknown) => Error) {
  try {
    yield* source;
  } catch (error) {
    throw translate(error);
  }
}
