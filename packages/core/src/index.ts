export type { LegacyData } from "@gangway/registration";
export { RegistrationType, TwoFactorNotRequired } from "@gangway/registration";
export {
  type AppOption,
  ConfigError,
  defaultUserJidValidator,
  envVarName,
  type GatewayConfig,
  LOG_LEVELS,
  type LogLevel,
  loadGatewayConfig,
} from "./cli/config.js";
export {
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
  type CarbonOption,
  CONTACT_HOOKS,
  type ContactAvatar,
  type ContactHook,
  type ContactPresence,
  LegacyContact,
  type OutgoingMessage,
  type PresenceOptions,
  type PresenceShow,
  type SendTextOptions,
} from "./contact.js";
export {
  type AnyGateway,
  BaseGateway,
  type GatewayDependencies,
  NOT_LOGGED_IN_TEXT,
  NOT_REGISTERED_TEXT,
  type SessionClass,
} from "./gateway.js";
export { UNKNOWN_MESSAGE_TEXT } from "./inbound-chat.js";
export { createLogger, type Logger, REDACTED_PATHS, redactUrlCredentials } from "./logger.js";
export {
  canSendIqAs,
  type IqPermission,
  PRIVILEGE_NAMESPACES,
  type Privileges,
  parsePrivilegeAdvertisement,
} from "./privileges.js";
export { CAPS_NODE, CapabilitiesCache, puppetDiscoInfo } from "./puppet-info.js";
export { type ContactClass, LegacyRoster } from "./roster.js";
export {
  NS_GATEWAY,
  NS_SEARCH,
  searchCommand,
  searchFeatures,
  serveSearch,
  sessionCanSearch,
} from "./search.js";
export {
  type AnySession,
  BaseSession,
  SEARCH_NOT_IMPLEMENTED_TEXT,
  type SearchResult,
  type SessionState,
  type UserAvatar,
  type UserPresence,
} from "./session.js";
