export { canonicalXml } from "./canonical-xml.js";
export {
  AccountRegistrationError,
  type ConnectClientOptions,
  connectClient,
  registerAccount,
  type TestClient,
  type XmppServerAddress,
} from "./clients.js";
export {
  EJABBERD_PRIVILEGE_NAMESPACE,
  EjabberdNotInstalledError,
  type EjabberdOptions,
  type EjabberdServer,
  EjabberdStartError,
  startEjabberd,
} from "./ejabberd.js";
export {
  connectIrcBot,
  type IrcBot,
  IrcBotClosedError,
  type IrcBotOptions,
  type IrcCloseInfo,
  IrcConnectError,
  type IrcLine,
  type IrcMessage,
  type IrcMessageKind,
  IrcReplyError,
  IrcTimeoutError,
  type IrcWhois,
  parseLine as parseIrcLine,
} from "./irc-bot.js";
export {
  MemoryTransport,
  type MemoryTransportOptions,
  StanzaAssertionError,
  sequentialIds,
} from "./memory-transport.js";
export {
  NgircdNotInstalledError,
  type NgircdOptions,
  type NgircdRestartOptions,
  type NgircdServer,
  NgircdStartError,
  startNgircd,
} from "./ngircd.js";
export {
  acceptsConnections,
  type ComponentCredentials,
  type ExtraComponentOptions,
  FULL_PRIVILEGES,
  type PrivilegeGrant,
  ProsodyNotInstalledError,
  type ProsodyOptions,
  type ProsodyServer,
  ProsodyStartError,
  startProsody,
} from "./prosody.js";
export {
  runSlixmppClient,
  SLIXMPP_SCRIPT_PATH,
  type SlixmppAdhocError,
  type SlixmppAdhocOptions,
  type SlixmppAdhocStage,
  type SlixmppAdhocStageInput,
  type SlixmppChatError,
  type SlixmppChatOptions,
  type SlixmppChatStep,
  type SlixmppCommandItem,
  type SlixmppEvent,
  type SlixmppForm,
  type SlixmppFormField,
  type SlixmppFormValues,
  type SlixmppMessage,
  type SlixmppRosterItem,
  type SlixmppRunOptions,
  type SlixmppRunResult,
  slixmppAvailable,
} from "./slixmpp.js";
export { waitForStatus } from "./transport-status.js";
