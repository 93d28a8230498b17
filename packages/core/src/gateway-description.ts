import { RegistrationType } from "@gangway/registration";
import type { FormField } from "@gangway/xmpp";
import type { AppOptions } from "./config/app-options.js";

/**
 * What a gateway app declares about its network, as static attributes its gateway class overrides
 * (`static override COMPONENT_NAME = "…"`). BaseGateway extends it; the core's modules read them
 * through `GatewayMeta`.
 */
export class GatewayDescription {
  /** Shown in service discovery and in clients' gateway lists. */
  static COMPONENT_NAME = "Gangway gateway";
  /** The disco identity's type: `gateway/<COMPONENT_TYPE>` (e.g. `irc`, `facebook`, `telegram`). */
  static COMPONENT_TYPE = "";
  /** URL or file path of the gateway's avatar (served once the avatar work lands). */
  static COMPONENT_AVATAR: string | undefined = undefined;
  /** The roster group legacy contacts are put in. */
  static ROSTER_GROUP = "Gangway";
  static WELCOME_MESSAGE = "Thank you for registering. Your contacts will appear in your roster shortly.";
  static REGISTRATION_TYPE: RegistrationType = RegistrationType.SingleStepForm;
  static REGISTRATION_FIELDS: readonly FormField[] = [
    { var: "username", type: "text-single", label: "Username", required: true },
    { var: "password", type: "text-private", label: "Password", required: true },
  ];
  static REGISTRATION_INSTRUCTIONS = "Enter your credentials";
  static REGISTRATION_2FA_TITLE = "Enter your code";
  static REGISTRATION_2FA_INSTRUCTIONS = "You should have received a code. Enter it here.";
  static REGISTRATION_QR_INSTRUCTIONS = "Scan this QR code with the network's official app.";
  /** Per-user settings, asked at the end of registration and in the `preferences` command. */
  static PREFERENCES: readonly FormField[] = [
    {
      var: "sync_presence",
      type: "boolean",
      label: "Show my XMPP presence on the legacy network",
      value: true,
    },
    { var: "sync_avatar", type: "boolean", label: "Use my XMPP avatar on the legacy network", value: true },
  ];
  static SEARCH_FIELDS: readonly FormField[] = [
    { var: "query", type: "text-single", label: "Name", required: true },
  ];
  static SEARCH_TITLE = "Search for legacy contacts";
  static SEARCH_INSTRUCTIONS = "";
  /** The legacy network needs a read mark for every message, not only the last one. */
  static MARK_ALL_MESSAGES = false;
  /** The app reports delivery itself (`chat.received()`); otherwise the core acks a successful send. */
  static PROPER_RECEIPTS = false;
  /** The network has group chats (shown as rooms). */
  static GROUPS = false;
  /**
   * Stored users logged in at once when the gateway starts. Logins mostly wait on the network,
   * so several overlap well; the bound keeps a restart with thousands of users from opening
   * thousands of connections (and rate limits) in the same second.
   */
  static LOGIN_CONCURRENCY = 32;
  /** The app's own options (CLI flag, env var, config-file key): see defineOptions. */
  static OPTIONS: AppOptions = {};
}
