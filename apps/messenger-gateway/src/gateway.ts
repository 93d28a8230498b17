import { join } from "node:path";
import {
  BaseGateway,
  type FormValues,
  type LegacyData,
  RegistrationType,
  TwoFactorNotRequired,
  XmppError,
} from "@gangway/core";
import { FakeMessengerClient } from "./client/fake-client.js";
import { FAKE_CLOUD_FILE, FakeCloud } from "./client/fake-cloud.js";
import { FCA_REACTIONS, FcaMessengerClient } from "./client/fca/index.js";
import { type MessengerClient, type MessengerCredentials, MessengerLoginError } from "./client/port.js";
import { MESSENGER_OPTIONS } from "./options.js";
import { asRefusal, credentialsOf, REGISTRATION_FIELDS, REGISTRATION_INSTRUCTIONS } from "./registration.js";
import { MessengerSession } from "./session.js";

export { MessengerContact } from "./contact.js";
export { MessengerSession } from "./session.js";

const FCA_REACTION_SET: ReadonlySet<string> = new Set([...FCA_REACTIONS, "❤️"]);

export class MessengerGateway extends BaseGateway<MessengerSession, typeof MESSENGER_OPTIONS> {
  static override COMPONENT_NAME = "Facebook Messenger (Gangway)";
  static override COMPONENT_TYPE = "facebook";
  static override ROSTER_GROUP = "Facebook";
  static override OPTIONS = MESSENGER_OPTIONS;
  static override REGISTRATION_TYPE = RegistrationType.TwoFactorCode;
  static override REGISTRATION_FIELDS = REGISTRATION_FIELDS;
  static override REGISTRATION_INSTRUCTIONS = REGISTRATION_INSTRUCTIONS;
  static override REGISTRATION_2FA_TITLE = "Facebook login code";
  static override REGISTRATION_2FA_INSTRUCTIONS =
    "Facebook asks to confirm this login: enter the code it sent you.";
  static override SEARCH_TITLE = "Search in your Facebook friends";
  static override SEARCH_INSTRUCTIONS = "Enter a name, for example a first name such as Alice.";
  static override GROUPS = true; // group threads, as rooms
  static override WELCOME_MESSAGE = "Welcome! Your Facebook friends will appear in your roster shortly.";
  readonly Session = MessengerSession;

  #cloud: FakeCloud | undefined;

  /**
   * The `fake` backend's cloud (made on first use, so `fca` never reads or writes its file); it
   * lives in the home dir, as a real network's outlives the gateway.
   */
  get cloud(): FakeCloud {
    this.#cloud ??= this.closeOnStop(
      new FakeCloud({
        stateFile: join(this.config.homeDir, FAKE_CLOUD_FILE),
        onSaveError: (err) => this.log.error({ err }, "could not save the fake Messenger cloud"),
      }),
    );
    return this.#cloud;
  }

  /**
   * The reactions the backend can send: the fca library's nine (with the "❤️" XMPP clients send,
   * which it takes without its variation selector); any with the fake cloud.
   */
  get reactions(): ReadonlySet<string> | undefined {
    return this.options.backend === "fca" ? FCA_REACTION_SET : undefined;
  }

  /** A client of the backend `--backend` names. */
  newClient(): MessengerClient {
    if (this.options.backend === "fake") return new FakeMessengerClient(this.cloud);
    return new FcaMessengerClient({
      onLibraryError: (summary, err) => this.log.warn({ err }, summary),
    });
  }

  /**
   * Email and password, or a cookie export (exactly one of them); the code step follows only when
   * Facebook raises a login checkpoint. The session the login opened is kept (sealed, as legacy
   * data), so the session's first login resumes it instead of logging in again. For the code step
   * the credentials are kept the same way (a gateway restart midway resumes), then dropped.
   */
  override async validate(_userJid: string, form: FormValues): Promise<LegacyData | undefined> {
    const credentials = credentialsOf(form);
    const client = this.newClient();
    try {
      await client.login(credentials);
    } catch (err) {
      if (err instanceof MessengerLoginError && err.reason === "checkpoint-required")
        return { checkpoint: credentials };
      throw asRefusal(err);
    }
    throw new TwoFactorNotRequired({ session: await this.endLogin(client) });
  }

  /** Blanks the credentials kept for this step (legacy data is merged, so they are overwritten). */
  override async validateTwoFactorCode(
    _userJid: string,
    code: string,
    legacyData: LegacyData | undefined,
  ): Promise<LegacyData> {
    const credentials = legacyData?.checkpoint as MessengerCredentials | undefined;
    if (!credentials || "appState" in credentials)
      throw new XmppError("not-authorized", "The login expired: start the registration again.");
    const client = this.newClient();
    try {
      await client.login({ ...credentials, checkpointCode: code });
    } catch (err) {
      throw asRefusal(err);
    }
    return { checkpoint: null, session: await this.endLogin(client) };
  }

  /** The session a registration's login opened, to resume; the client is closed (the session stays valid). */
  private async endLogin(client: MessengerClient): Promise<string> {
    try {
      return await client.exportSession();
    } finally {
      await client.logout();
    }
  }
}
