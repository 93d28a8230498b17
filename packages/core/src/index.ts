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
} from "./cli/run.js";
export { KEY_FILE_NAME, loadSecretBox } from "./cli/secret-key.js";
export {
  CONTACT_HOOKS,
  type CarbonOption,
  type ContactHook,
  type ContactPresence,
  LegacyContact,
  type OutgoingMessage,
  type PresenceOptions,
  type PresenceShow,
  type SendTextOptions,
} from "./contact.js";
export { UNKNOWN_MESSAGE_TEXT } from "./inbound-chat.js";
export { CAPS_NODE, CapabilitiesCache, puppetDiscoInfo } from "./puppet-info.js";
export {
  type AnyGateway,
  BaseGateway,
  type GatewayDependencies,
  NOT_REGISTERED_TEXT,
  type SessionClass,
} from "./gateway.js";
export { createLogger, type Logger, REDACTED_PATHS, redactUrlCredentials } from "./logger.js";
export {
  canSendIqAs,
  type IqPermission,
  PRIVILEGE_NAMESPACES,
  type Privileges,
  parsePrivilegeAdvertisement,
} from "./privileges.js";
export { type ContactClass, LegacyRoster } from "./roster.js";
export { type AnySession, BaseSession, type SessionState } from "./session.js";
