export type { Command, CommandPage, LegacyData } from "@gangway/registration";
export { RegistrationType, TwoFactorNotRequired } from "@gangway/registration";
// What apps need of the protocol layer, so that an app imports @gangway/core alone.
export {
  type ChatState,
  type Element,
  type FormField,
  type FormValues,
  type IqPermission,
  JID,
  PRIVILEGE_NAMESPACES,
  type PresenceShow,
  type Privileges,
  parsePrivilegeAdvertisement,
  sanitizeXmlText,
  type VCardInfo,
  XmppError,
} from "@gangway/xmpp";
// Apps write their options' schemas with core's zod, so they need not depend on it themselves.
export { z } from "zod";
export {
  type CarbonOption,
  type ChatSession,
  LegacyChat,
  type OutgoingMessage,
  type SendFileOptions,
  type SendFilesOptions,
  type SendTextOptions,
} from "./chat.js";
export { CHAT_HOOKS, type ChatHook } from "./chat-hooks.js";
export {
  EXIT_CHECK_MISSING,
  EXIT_CONFIG_ERROR,
  EXIT_STARTUP_FAILED,
  type GatewayClass,
  openConfiguredStore,
  type RunOptions,
  runGateway,
  SQLITE_FILE,
} from "./cli/run.js";
export { KEY_FILE_NAME, loadSecretBox } from "./cli/secret-key.js";
export {
  type AppOptionSpec,
  type AppOptions,
  type AppOptionValues,
  defineOptions,
  option,
} from "./config/app-options.js";
export {
  ConfigError,
  defaultUserJidValidator,
  envVarName,
  type GatewayConfig,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type LogLevel,
  loadGatewayConfig,
} from "./config/config.js";
export { DEFAULT_LIMITS, type GatewayLimits } from "./config/limits.js";
export {
  CONNECTION_STATES,
  type ConnectionState,
  HOLD_LIMIT,
  HOLD_TIMEOUT_MS,
} from "./connection.js";
export {
  type AnyContact,
  type ContactAvatar,
  type ContactPresence,
  LegacyContact,
  type PresenceOptions,
} from "./contact.js";
export { type FileKind, formatSize, type LegacyFile } from "./file-share.js";
export { type AnyGateway, BaseGateway, type GatewayDependencies, type SessionClass } from "./gateway.js";
export type { GatewayHost, GatewayMeta } from "./host.js";
export { UNKNOWN_MESSAGE_TEXT } from "./inbound-chat.js";
export { ENCRYPTED_FILE_TEXT, type IncomingFile } from "./inbound-file.js";
export { gatewayStoppedText } from "./inbound-journal.js";
export { createLogger, type Logger, logFormatFor, REDACTED_PATHS, redactUrlCredentials } from "./logger.js";
export type { TextMention } from "./mentions.js";
export {
  checkHealth,
  type ErrorPlace,
  GatewayMetrics,
  type HealthReport,
  type LegacyEventKind,
  type MetricsConfig,
  MetricsEndpoint,
} from "./metrics/index.js";
export { LegacyParticipant, type ParticipantOptions, type ParticipantRoom } from "./participant.js";
export { canSendIqAs } from "./privileges.js";
export { CAPS_NODE, CapabilitiesCache, puppetDiscoInfo } from "./puppet-info.js";
export { type AnyRoom, LegacyRoom, type RoomHook, type RoomType } from "./room.js";
export { type HistoryEntry, RoomArchive } from "./room-archive.js";
export { LegacyRooms, type RoomClass } from "./room-registry.js";
export { type ContactClass, LegacyRoster } from "./roster.js";
export {
  NS_GATEWAY,
  NS_SEARCH,
  searchCommand,
  searchFeatures,
  serveSearch,
  sessionCanSearch,
} from "./search.js";
export { type AnySession, BaseSession } from "./session.js";
export {
  SEARCH_NOT_IMPLEMENTED_TEXT,
  type SearchResult,
  type UserAvatar,
  type UserPresence,
} from "./session-types.js";
export { Sessions } from "./sessions.js";
export { NOT_LOGGED_IN_TEXT, NOT_REGISTERED_TEXT } from "./texts.js";
