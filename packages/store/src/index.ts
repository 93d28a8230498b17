export { parsePostgresUrl, redactPostgresUrl } from "./connection-url.js";
export {
  DuplicateContactJidError,
  DuplicateUserError,
  STORE_UNAVAILABLE_TEXT,
  StoreConfigError,
  StoreError,
  StoreQueryError,
  StoreUnavailableError,
} from "./errors.js";
export type { MessageIdCacheOptions, StoreDriverName, StoreLogger, StoreOptions } from "./options.js";
export type { ContactRepository, ContactRow, ContactUpsert } from "./repositories/contacts.js";
export type {
  InboundJournalRepository,
  InboundJournalStats,
  InboundRecord,
} from "./repositories/inbound-journal.js";
export type {
  IdMapStats,
  MessageDirection,
  MessageIdPair,
  MessageIdRepository,
} from "./repositories/message-ids.js";
export type {
  PendingRegistration,
  PendingRegistrationRepository,
  RegistrationFrontEnd,
} from "./repositories/pending-registrations.js";
export type { ReplayCursorRepository } from "./repositories/replay-cursors.js";
export type {
  RoomArchiveEntry,
  RoomArchivePage,
  RoomArchiveQuery,
  RoomArchiveRepository,
} from "./repositories/room-archive.js";
export type { RoomBookmarkRepository, RoomBookmarkVia } from "./repositories/room-bookmarks.js";
export type { ListUsersOptions, NewUser, UserPatch, UserRepository, UserRow } from "./repositories/users.js";
export { generateKeyMaterial, keyFromMaterial, SEALED_PREFIX, SecretBox } from "./secret-box.js";
export { openStore, type Store } from "./store.js";
