import { redactPostgresUrl } from "./connection-url.js";
import { failureMessage, isTransientFailure, toStoreError } from "./db-errors.js";
import type { OpenDriver } from "./drivers/driver.js";
import { openPostgres } from "./drivers/postgres.js";
import { openSqlite } from "./drivers/sqlite.js";
import type { StoreDriverName, StoreLogger, StoreOptions } from "./options.js";
import { type ContactRepository, createContactRepository } from "./repositories/contacts.js";
import {
  createInboundJournalRepository,
  type InboundJournalRepository,
} from "./repositories/inbound-journal.js";
import { createMessageIdRepository, type MessageIdRepository } from "./repositories/message-ids.js";
import {
  createPendingRegistrationRepository,
  type PendingRegistrationRepository,
} from "./repositories/pending-registrations.js";
import { createReplayCursorRepository, type ReplayCursorRepository } from "./repositories/replay-cursors.js";
import { createRoomArchiveRepository, type RoomArchiveRepository } from "./repositories/room-archive.js";
import { createRoomBookmarkRepository, type RoomBookmarkRepository } from "./repositories/room-bookmarks.js";
import { createUserRepository, type UserRepository } from "./repositories/users.js";
import { RetryPolicy } from "./retry.js";

/** How long a query rides out an outage by default (see StoreOptions.retryForMs). */
export const DEFAULT_RETRY_FOR_MS = 30_000;

/** How long closing waits for the queries still running. */
const CLOSE_WAIT_MS = 5_000;

export interface Store {
  readonly driver: StoreDriverName;
  readonly users: UserRepository;
  readonly contacts: ContactRepository;
  readonly messageIds: MessageIdRepository;
  readonly pendingRegistrations: PendingRegistrationRepository;
  /** The user's messages being handled, so that a crash leaves their senders a trace (see core). */
  readonly inboundJournal: InboundJournalRepository;
  /** Per-user positions in the legacy network's history, for networks that replay. */
  readonly replayCursors: ReplayCursorRepository;
  /** What each of a user's rooms said (XEP-0313 MAM, `<history/>`), bounded per room. */
  readonly roomArchive: RoomArchiveRepository;
  /** The rooms each user was already bookmarked or invited to (one row per room). */
  readonly roomBookmarks: RoomBookmarkRepository;
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
  return createStore(driver, options, logger);
}

function createStore(driver: OpenDriver, options: StoreOptions, logger?: StoreLogger): Store {
  const { db, tables } = driver;
  const { secretBox } = options;
  const translate = (error: unknown) => toStoreError(error, driver.name, driver.target);
  const where = { driver: driver.name, target: driver.target };
  const retryForMs = options.retryForMs ?? DEFAULT_RETRY_FOR_MS;
  const retry = new RetryPolicy({
    retryForMs,
    isTransient: isTransientFailure,
    onOutageStart: (error) =>
      logger?.warn(
        { ...where, reason: failureMessage(error), retryForMs },
        "database unavailable; queries wait for it",
      ),
    onOutageEnd: (durationMs) =>
      logger?.info({ ...where, outageMs: Math.round(durationMs) }, "database available again"),
  });
  const messageIds = createMessageIdRepository(driver, {
    perUser: options.messageIds?.perUser ?? 2000,
    maxBatch: options.messageIds?.maxBatch ?? 500,
    translate,
    retry,
  });
  const users = createUserRepository(db, tables, secretBox, (userId) => messageIds.forgetUser(userId));
  const inboundJournal = createInboundJournalRepository(driver, {
    intervalMs: options.inboundJournal?.intervalMs ?? 50,
    maxBatch: options.inboundJournal?.maxBatch ?? 32,
    // Kept and tried again at the next tick: a lost record only costs a crash's error reply.
    onError: (error) =>
      logger?.warn({ driver: driver.name, err: translate(error) }, "could not write the inbound journal"),
  });
  const roomArchive = createRoomArchiveRepository(db, tables, {
    insert: (rows) => driver.insertArchiveRows(rows),
    maxBatch: options.roomArchive?.maxBatch ?? 500,
    translate,
    retry,
  });
  let closing: Promise<void> | undefined;
  return {
    driver: driver.name,
    users: withStoreErrors(users, retry, translate),
    contacts: withStoreErrors(createContactRepository(db, tables), retry, translate),
    messageIds: withStoreErrors(messageIds, retry, translate),
    pendingRegistrations: withStoreErrors(
      createPendingRegistrationRepository(db, tables, secretBox),
      retry,
      translate,
    ),
    inboundJournal: withStoreErrors(inboundJournal, retry, translate),
    replayCursors: withStoreErrors(createReplayCursorRepository(db, tables), retry, translate),
    roomArchive: withStoreErrors(roomArchive, retry, translate),
    roomBookmarks: withStoreErrors(createRoomBookmarkRepository(db, tables), retry, translate),
    async healthCheck() {
      try {
        await driver.ping();
      } catch (error) {
        throw translate(error);
      }
    },
    close() {
      // What is batched still gets its retries; once it is written, nothing waits for the database.
      closing ??= Promise.all([messageIds.flush(), roomArchive.flush(), inboundJournal.close()])
        .then(() => retry.stop())
        // The queries still running end before their connections do (see the driver's close()).
        .then(() => retry.idle(CLOSE_WAIT_MS))
        .then(() => driver.close());
      return closing;
    },
  };
}

/**
 * Every repository method goes through here, so callers only ever see StoreErrors: a typed
 * StoreUnavailableError to map to an XMPP condition, and never a driver error carrying query
 * parameters (credentials) into a log. It is also where an outage is ridden out: a method whose
 * query found no connection is called again (see RetryPolicy). A method is one query or one
 * transaction, so calling it again is safe; the message-id writes retry inside their batcher and
 * reach here already as StoreErrors, which are never retried twice.
 */
function withStoreErrors<Repository extends object>(
  repository: Repository,
  retry: RetryPolicy,
  translate: (error: unknown) => Error,
): Repository {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    if (typeof member !== "function") continue;
    const call = (args: unknown[]): unknown => member.apply(repository, args);
    guarded[name] = (...args: unknown[]) => {
      const result = call(args);
      if (result instanceof Promise) {
        return retry
          .run((attempt) => (attempt === 0 ? result : (call(args) as Promise<unknown>)))
          .catch((error: unknown) => {
            throw translate(error);
          });
      }
      if (isAsyncIterable(result)) {
        return guardedIteration(result, () => call(args) as AsyncIterable<unknown>, retry, translate);
      }
      return result;
    };
  }
  return guarded as Repository;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}

/**
 * A listing is retried from scratch while it has yielded nothing; once rows went to the caller it
 * cannot be resumed without repeating them, so a later failure ends it (as StoreUnavailableError).
 */
async function* guardedIteration<T>(
  first: AsyncIterable<T>,
  again: () => AsyncIterable<T>,
  retry: RetryPolicy,
  translate: (error: unknown) => Error,
) {
  let iterator: AsyncIterator<T> | undefined;
  let finished = false;
  try {
    const opened = await retry.run(async (attempt) => {
      const source = (attempt === 0 ? first : again())[Symbol.asyncIterator]();
      return { source, step: await source.next() };
    });
    iterator = opened.source;
    for (let current = opened.step; !current.done; current = await iterator.next()) yield current.value;
    finished = true;
  } catch (error) {
    finished = true;
    throw translate(error);
  } finally {
    // The caller stopped early (break): let the source release what it holds.
    if (!finished) await iterator?.return?.();
  }
}
