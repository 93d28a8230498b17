import {
  AdHocCommands,
  ChatCommands,
  type Command,
  type LegacyData,
  NOT_ALLOWED_TEXT,
  NS_COMMANDS,
  NS_REGISTER,
  type PreferencesForm,
  QrConfirmations,
  Registrar,
  type RegistrationFlow,
  RegistrationType,
  type Requester,
  registrationCommands,
  renderQrPng,
  renderQrText,
  seedFlow,
  serveInBandRegistration,
} from "@gangway/registration";
import type { Store, UserRow } from "@gangway/store";
import {
  buildChatMessage,
  type Element,
  type FormField,
  type FormValues,
  JID,
  NS_DISCO_INFO,
  NS_HTTP_UPLOAD,
  outOfBandMessage,
  requestUploadSlot,
  type StanzaTransport,
  uploadToSlot,
  validateSubmission,
  wrapPrivilegedMessage,
  XmppComponent,
  XmppError,
  xml,
} from "@gangway/xmpp";
import pMap from "p-map";
import type { Logger } from "pino";
import type { GatewayConfig } from "./cli/config.js";
import { gatewayCommands } from "./commands.js";
import type { LegacyContact } from "./contact.js";
import { dispatchToContact } from "./inbound-chat.js";
import {
  canSendIqAs,
  describeMissingPrivileges,
  type Privileges,
  parsePrivilegeAdvertisement,
} from "./privileges.js";
import { servePuppetIdentity } from "./puppet-identity.js";
import { CapabilitiesCache } from "./puppet-info.js";
import { searchCommand, searchFeatures, serveSearch } from "./search.js";
import type { AnySession, BaseSession } from "./session.js";

const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_PING = "urn:xmpp:ping";
/** Pending registrations past their timeout are swept this often (they are also hidden on read). */
const PENDING_SWEEP_MS = 10 * 60_000;

export const NOT_REGISTERED_TEXT = "You are not registered to this gateway.";
export const NOT_LOGGED_IN_TEXT = "The gateway is not logged in to your legacy account yet.";

export interface GatewayDependencies {
  config: GatewayConfig;
  transport: StanzaTransport;
  store: Store;
  logger: Logger;
  /** Stanza id generator; tests pass a deterministic one. */
  newStanzaId?: () => string;
  /**
   * How long `start()` waits for the server's XEP-0356 advertisement before logging users in
   * (default 1000 ms; servers send it right after the handshake). Tests without a server pass 0.
   */
  privilegeWaitMs?: number;
}

export type SessionClass<S extends AnySession> = new (gateway: AnyGateway, user: UserRow) => S;

/**
 * A gateway app's main class. Apps subclass it, set the static attributes that describe their
 * network, point `Session` at their session class and implement `validate()`.
 */
export abstract class BaseGateway<S extends AnySession = BaseSession> {
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
    { var: "username", type: "text-single", label: "User name", required: true },
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
  /** The app reports delivery itself (`contact.received()`); otherwise the core acks a successful send. */
  static PROPER_RECEIPTS = false;
  /** The network has group chats (shown as rooms). */
  static GROUPS = false;
  /**
   * Stored users logged in at once when the gateway starts. Logins mostly wait on the network,
   * so several overlap well; the bound keeps a restart with thousands of users from opening
   * thousands of connections (and rate limits) in the same second.
   */
  static LOGIN_CONCURRENCY = 32;

  /** The app's session class. */
  abstract readonly Session: SessionClass<S>;

  readonly config: GatewayConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly component: XmppComponent;
  readonly registrar: Registrar;
  /** QR scans being waited for (REGISTRATION_TYPE QrCode): `confirmQr` resolves them. */
  readonly qr: QrConfirmations;
  /** Every command, rendered as XEP-0050 ad-hoc commands and as chat commands. */
  readonly commands: readonly Command[];
  readonly adHocCommands: AdHocCommands;
  /** The chat-bot front end on the component JID. */
  readonly chatCommands: ChatCommands;
  readonly startedAt = new Date();
  /** XEP-0115 hashes of the puppets' feature sets, computed once per set. */
  readonly capabilities = new CapabilitiesCache();
  readonly newStanzaId: () => string;
  /** Sessions of registered users, by bare JID. */
  readonly sessions = new Map<string, S>();
  /** What the server granted (XEP-0356), once it said so. */
  privileges: Privileges | undefined;
  privilegedRosterFailed = false;
  private carbonFallbackReported = false;
  private stopping = false;
  /** `input()` questions waiting for the user's next chat message to the gateway, by bare JID. */
  private readonly inputs = new Map<string, (answer: string) => void>();
  private pendingSweep: NodeJS.Timeout | undefined;
  private readonly privilegeWaitMs: number;
  /** Set while `start()` waits for the XEP-0356 advertisement. */
  private privilegesArrived: (() => void) | undefined;

  constructor(deps: GatewayDependencies) {
    this.config = deps.config;
    this.store = deps.store;
    this.log = deps.logger;
    this.newStanzaId = deps.newStanzaId ?? (() => crypto.randomUUID());
    this.privilegeWaitMs = deps.privilegeWaitMs ?? 1000;
    this.component = new XmppComponent(deps.transport, { logger: deps.logger });
    this.qr = new QrConfirmations(this.config.qrTimeoutMs);
    this.registrar = new Registrar({
      flow: this.registrationFlow(),
      store: this.store,
      isAllowed: (jid) => this.config.userJidValidator.test(jid),
      onRegistered: (user) =>
        void this.onUserRegistered(user).catch((err) =>
          this.log.error({ err }, "after-registration steps failed"),
        ),
      onModified: (user) =>
        void this.onUserModified(user).catch((err) =>
          this.log.error({ err }, "re-login after a change failed"),
        ),
      onUnregister: (user) => this.teardownUser(user),
    });
    this.commands = [
      ...registrationCommands({
        registrar: this.registrar,
        pending: this.store.pendingRegistrations,
        partialRegistrationTimeoutMs: this.config.partialRegistrationTimeoutMs,
        preferences: this.meta.PREFERENCES.length > 0 ? this.preferencesForm : undefined,
        qr: this.qr,
      }),
      ...gatewayCommands(this),
      searchCommand(this),
      ...this.extraCommands(),
    ];
    const requester = (jid: string) => this.requester(jid);
    this.adHocCommands = new AdHocCommands(this.component, {
      commands: this.commands,
      requester,
      newSessionId: () => this.newStanzaId(),
      sessionTimeoutMs: this.config.partialRegistrationTimeoutMs,
      publishQr: (to, text) => this.sendQr(to, text),
    });
    this.chatCommands = new ChatCommands({
      commands: this.commands,
      requester,
      send: (to, text) => this.sendChat(to, text),
      sendQr: async (to, text) => void (await this.sendQr(to, text)),
      onBackgroundError: (err) => this.log.error({ err }, "a chat command failed in the background"),
    });
    this.wireHandlers();
  }

  /** The subclass's static attributes. */
  get meta(): typeof BaseGateway {
    return this.constructor as typeof BaseGateway;
  }

  get domain(): string {
    return this.component.domain;
  }

  get rosterGroup(): string {
    return this.meta.ROSTER_GROUP;
  }

  // ---- hooks the app overrides ----

  /**
   * Checks a registration form, usually by logging in to the legacy network. Throw an XmppError
   * (e.g. `new XmppError("not-authorized", "Wrong password")`) to refuse. What it returns is
   * kept as the user's legacy data.
   */
  abstract validate(userJid: string, form: FormValues): Promise<LegacyData | undefined | void>;

  /**
   * Checks the one-time code of a two-factor registration (REGISTRATION_TYPE TwoFactorCode).
   * Throw an XmppError (e.g. `not-authorized` "Wrong code") to refuse it.
   */
  async validateTwoFactorCode(
    _userJid: string,
    _code: string,
    _legacyData: LegacyData | undefined,
  ): Promise<LegacyData | undefined> {
    throw new XmppError("feature-not-implemented", "This gateway does not use two-factor codes.");
  }

  /**
   * QR registrations (REGISTRATION_TYPE QrCode): the text to show as a QR code, typically a pairing
   * token from the legacy network. When the legacy side reports the scan, call `confirmQr`.
   */
  async getQrText(_userJid: string, _registration: FormValues): Promise<string> {
    throw new XmppError("feature-not-implemented", "This gateway does not register with QR codes.");
  }

  /**
   * The registration form's fields; the default is REGISTRATION_FIELDS. Apps whose form depends
   * on their options (an operator who pinned the server) override it. Called from the constructor.
   */
  protected registrationFields(): readonly FormField[] {
    return this.meta.REGISTRATION_FIELDS;
  }

  /** The app's own commands, served beside the built-in ones (ad-hoc and chat). */
  protected extraCommands(): Command[] {
    return [];
  }

  /** The registration type in use; apps may choose it at runtime (e.g. from an app option). */
  protected registrationType(): RegistrationType {
    return this.meta.REGISTRATION_TYPE;
  }

  /** Cleans up on the legacy side after a user unregistered. The session is already stopped. */
  async unregister(_user: UserRow): Promise<void> {}

  /** The registration flow; the default builds the seed flow REGISTRATION_TYPE names. */
  protected registrationFlow(): RegistrationFlow {
    const meta = this.meta;
    return seedFlow(
      this.registrationType(),
      {
        validate: (jid, values) => this.validate(jid, values),
        validateTwoFactorCode: (jid, code, data) => this.validateTwoFactorCode(jid, code, data),
        getQrText: (jid, values) => this.getQrText(jid, values),
        qr: this.qr,
      },
      {
        componentName: meta.COMPONENT_NAME,
        fields: this.registrationFields(),
        instructions: meta.REGISTRATION_INSTRUCTIONS,
        twoFactorTitle: meta.REGISTRATION_2FA_TITLE,
        twoFactorInstructions: meta.REGISTRATION_2FA_INSTRUCTIONS,
        qrInstructions: meta.REGISTRATION_QR_INSTRUCTIONS,
      },
    );
  }

  // ---- lifecycle ----

  /** Connects to the XMPP server, then logs every stored user in. */
  async start(): Promise<void> {
    await this.component.start();
    this.log.info({ jid: this.domain }, "component online");
    // Logins sync rosters and may send carbons: both depend on what the server grants, which it
    // says in a message that can trail the handshake. Late advertisements re-sync (onPrivileges).
    await this.advertisementOrTimeout();
    await this.sweepPendingRegistrations();
    this.pendingSweep = setInterval(() => void this.sweepPendingRegistrations(), PENDING_SWEEP_MS);
    this.pendingSweep.unref();
    await pMap(this.store.users.list(), (user) => this.startSession(user), {
      concurrency: this.meta.LOGIN_CONCURRENCY,
    });
  }

  /** Offline presences for everyone, then a clean close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    clearInterval(this.pendingSweep);
    await Promise.all([...this.sessions.values()].map((session) => this.stopSession(session)));
    this.sessions.clear();
    await this.component.stop();
  }

  send(stanza: Element): Promise<void> {
    return this.component.send(stanza);
  }

  /** Sends an IQ get/set and resolves with the result (rejects with XmppError). */
  request(iq: Element, timeoutMs?: number): Promise<Element> {
    if (!iq.attrs.id) iq.attrs.id = this.newStanzaId();
    if (!iq.attrs.from) iq.attrs.from = this.domain;
    return this.component.request(iq, timeoutMs);
  }

  sessionFor(bareJid: string): S | undefined {
    return this.sessions.get(bareJid);
  }

  /**
   * The session of a registered user, or the error a stranger gets (`registration-required`);
   * with `loggedIn`, also `recipient-unavailable` until the session is logged in.
   */
  requireSession(bareJid: string, need: { loggedIn?: boolean } = {}): S {
    const session = this.sessions.get(bareJid);
    if (!session) throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
    if (need.loggedIn && !session.isLoggedIn)
      throw new XmppError("recipient-unavailable", NOT_LOGGED_IN_TEXT);
    return session;
  }

  // ---- helpers for apps ----

  /**
   * The legacy side reports that `userJid` scanned the QR code (or, with `error`, that pairing
   * failed: its message is shown). Returns false when no registration was waiting for a scan.
   */
  confirmQr(userJid: string, error?: Error, legacyData?: LegacyData): boolean {
    return this.qr.confirm(userJid, error, legacyData);
  }

  /**
   * Sends a QR code to a user: the PNG uploaded through `--upload-service` as an XEP-0066 image
   * message when an upload service is configured, then the code as text; without one (or when the
   * upload fails), the text and a compact UTF-8 rendering. Returns the image URL, if any.
   */
  async sendQr(to: string, text: string): Promise<{ url?: string }> {
    let url: string | undefined;
    if (this.config.uploadService) {
      try {
        const png = await renderQrPng(text);
        // As the user when the server lets us (their quota, their server's policy), else as the gateway.
        const asUser = canSendIqAs(this.privileges, NS_HTTP_UPLOAD, "get")
          ? JID.parse(to).bare().toString()
          : undefined;
        const slot = await requestUploadSlot((iq) => this.request(iq), {
          service: this.config.uploadService,
          from: this.domain,
          asUser,
          filename: "qr-code.png",
          size: png.length,
          contentType: "image/png",
        });
        url = await uploadToSlot(slot, png, "image/png");
        await this.send(
          outOfBandMessage({ from: this.domain, to, id: this.newStanzaId(), url, description: "QR code" }),
        );
      } catch (err) {
        this.log.warn(
          { err: err instanceof Error ? err.message : String(err) },
          "could not upload a QR code",
        );
        url = undefined;
      }
    }
    if (url) await this.sendChat(to, text);
    else
      await this.sendChat(
        to,
        `${await renderQrText(text)}
${text}`,
      );
    return url ? { url } : {};
  }

  /**
   * Asks a user something by chat (from the gateway's JID) and resolves with their next message
   * to the gateway. Rejects with `remote-server-timeout` when no answer comes in time.
   */
  input(userJid: string, question: string, options: { timeoutMs?: number } = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.inputs.get(userJid) === answer) this.inputs.delete(userJid);
        reject(new XmppError("remote-server-timeout", "You took too much time to reply."));
      }, timeoutMs);
      const answer = (text: string) => {
        clearTimeout(timer);
        resolve(text);
      };
      this.inputs.set(userJid, answer);
      this.sendChat(userJid, question).catch((err) => {
        clearTimeout(timer);
        this.inputs.delete(userJid);
        reject(err);
      });
    });
  }

  /** PREFERENCES as the form the registration and the `preferences` command show. */
  get preferencesForm(): PreferencesForm {
    return {
      fields: this.meta.PREFERENCES,
      save: async (jid, values) => {
        const updated = await this.store.users.update(jid, { preferences: values });
        const session = this.sessions.get(jid);
        if (updated && session) session.user = updated;
      },
    };
  }

  /** A user's preferences with the defaults filled in for what they never set. */
  preferencesOf(user: UserRow): FormValues {
    try {
      return validateSubmission(this.meta.PREFERENCES, user.preferences as FormValues);
    } catch {
      // Stored values that no longer fit the fields (an app changed them): the defaults.
      return validateSubmission(this.meta.PREFERENCES, {});
    }
  }

  /** Logs a user's session out and in again (the `re-login` command). */
  async restartSession(bareJid: string): Promise<S> {
    const user = await this.store.users.get(bareJid);
    if (!user) throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
    const previous = this.sessions.get(bareJid);
    if (previous) await this.stopSession(previous);
    await this.startSession(user);
    return this.sessions.get(bareJid)!;
  }

  private async requester(bareJid: string): Promise<Requester> {
    const session = this.sessions.get(bareJid);
    return {
      jid: bareJid,
      allowed: this.config.userJidValidator.test(bareJid),
      registered: session !== undefined || (await this.store.users.get(bareJid)) !== undefined,
      loggedIn: session?.isLoggedIn ?? false,
      admin: this.config.admins.includes(bareJid),
    };
  }

  private async sweepPendingRegistrations(): Promise<void> {
    try {
      const removed = await this.store.pendingRegistrations.deleteExpired();
      if (removed > 0) this.log.info({ removed }, "expired pending registrations removed");
    } catch (err) {
      this.log.warn({ err }, "could not remove expired pending registrations");
    }
  }

  private async startSession(user: UserRow): Promise<void> {
    const session = new this.Session(this, user);
    this.sessions.set(user.jid, session);
    await session.start();
  }

  private async stopSession(session: S): Promise<void> {
    try {
      await session.stop();
    } catch (err) {
      session.log.warn({ err }, "error while stopping the session");
    }
  }

  private async onUserRegistered(user: UserRow): Promise<void> {
    this.log.info({ user: user.jid }, "user registered");
    for (const admin of this.config.admins) {
      await this.sendChat(admin, `${user.jid} has registered`);
    }
    await this.send(xml("presence", { from: this.domain, to: user.jid, type: "subscribe" })).catch((err) =>
      this.log.warn({ err }, "could not ask for a subscription"),
    );
    const welcome = this.meta.WELCOME_MESSAGE;
    if (welcome) await this.sendChat(user.jid, welcome);
    await this.startSession(user);
  }

  /** A chat message from the gateway itself. */
  sendChat(to: string, text: string): Promise<void> {
    return this.send(buildChatMessage({ from: this.domain, to, id: this.newStanzaId(), body: text }));
  }

  private async onUserModified(user: UserRow): Promise<void> {
    const previous = this.sessions.get(user.jid);
    if (previous) await this.stopSession(previous);
    await this.startSession(user);
  }

  private async teardownUser(user: UserRow): Promise<void> {
    const session = this.sessions.get(user.jid);
    this.sessions.delete(user.jid);
    if (session) {
      for (const contact of session.contacts) {
        await this.send(xml("presence", { from: contact.jid, to: user.jid, type: "unsubscribe" }));
        await this.send(xml("presence", { from: contact.jid, to: user.jid, type: "unsubscribed" }));
      }
      await this.stopSession(session);
    }
    await this.unregister(user);
    await this.store.pendingRegistrations.deleteFor(user.jid);
    this.log.info({ user: user.jid }, "user unregistered");
  }

  /**
   * Shows `inner` (a message from the user's bare JID to a contact) as sent by the user, through
   * the XEP-0356 message privilege. Without it, a text is shown from the contact, prefixed
   * "You: ", so the user still sees what they wrote elsewhere; markers, reactions and
   * retractions are dropped (they would be misattributed). Said once in the log.
   */
  async sendCarbon(userJid: string, inner: Element, fallbackFrom: string): Promise<void> {
    const privileges = this.privileges;
    if (privileges?.message === "outgoing") {
      await this.send(wrapPrivilegedMessage(privileges.namespace, this.domain, userJid, inner));
      return;
    }
    if (!this.carbonFallbackReported) {
      this.carbonFallbackReported = true;
      this.log.warn(
        "no XEP-0356 message privilege: what users do from the legacy network's own apps is shown from the contact (texts) or not at all",
      );
    }
    const body = inner.getChild("body");
    if (!body) return;
    const copy = xml(
      "message",
      { ...inner.attrs, from: fallbackFrom, to: userJid },
      ...inner.getChildElements().filter((child) => child.name !== "body"),
      xml("body", {}, `You: ${body.text()}`),
    );
    await this.send(copy);
  }

  /** XEP-0356 roster set failed (ejabberd 23.01 is broken there): fall back, and say so once. */
  reportPrivilegedRosterFailure(err: unknown): void {
    if (this.privilegedRosterFailed) return;
    this.privilegedRosterFailed = true;
    this.log.warn(
      { err: err instanceof Error ? err.message : String(err) },
      "the server granted the XEP-0356 roster privilege but a privileged roster set failed; falling back to subscription requests",
    );
  }

  // ---- inbound stanzas ----

  private wireHandlers(): void {
    const { component } = this;
    const toComponent = (to: string) => to === this.domain;
    const toPuppet = (to: string) => to.endsWith(`@${this.domain}`) || to.includes(`@${this.domain}/`);

    component.iq.handle({ namespace: NS_DISCO_INFO, type: "get", to: toComponent }, ({ child }) => {
      const node = child.attrs.node;
      if (!node) return this.componentDiscoInfo();
      const info = this.adHocCommands.discoInfo(node);
      if (!info) throw new XmppError("item-not-found", `There is no node "${node}" here.`);
      return info;
    });
    component.iq.handle({ namespace: NS_DISCO_ITEMS, type: "get", to: toComponent }, ({ child, from }) => {
      const node = child.attrs.node;
      if (node === NS_COMMANDS) return this.adHocCommands.discoItems(from.bare().toString());
      if (node) throw new XmppError("item-not-found", `There is no node "${node}" here.`);
      return xml("query", { xmlns: NS_DISCO_ITEMS });
    });
    component.iq.handle(
      { namespace: NS_DISCO_INFO, type: "get", to: toPuppet },
      async ({ from, to, child }) => {
        const session = this.sessions.get(from.bare().toString());
        if (!session?.isLoggedIn || !to.local) {
          // Nothing is known about this puppet for this asker: just what every entity has.
          return xml(
            "query",
            { xmlns: NS_DISCO_INFO, node: child.attrs.node },
            xml("identity", { category: "client", type: "pc" }),
            xml("feature", { var: NS_DISCO_INFO }),
            xml("feature", { var: NS_PING }),
          );
        }
        const contact = await session.contacts.byJidLocal(to.local);
        const capabilities = contact.capabilities ?? (await this.capabilities.of(contact));
        return capabilities.discoInfo(child.attrs.node);
      },
    );
    component.iq.handle({ namespace: NS_PING, type: "get", to: () => true }, () => undefined);
    servePuppetIdentity(this, toPuppet);
    serveInBandRegistration(component, {
      registrar: this.registrar,
      multiStepHint: `Registering with this gateway takes more than one form. Use its "Register" command, or send "register" to ${this.domain}.`,
    });
    serveSearch(this);

    component.onMessage((stanza) => this.handleMessage(stanza));
    component.onPresence((stanza) => this.handlePresence(stanza));
  }

  private componentDiscoInfo(): Element {
    const meta = this.meta;
    return xml(
      "query",
      { xmlns: NS_DISCO_INFO },
      xml("identity", { category: "gateway", type: meta.COMPONENT_TYPE, name: meta.COMPONENT_NAME }),
      ...[NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER, NS_COMMANDS, ...searchFeatures(this)].map(
        (v) => xml("feature", { var: v }),
      ),
    );
  }

  private async handleMessage(stanza: Element): Promise<void> {
    const from = JID.parse(String(stanza.attrs.from ?? ""));
    const to = JID.parse(String(stanza.attrs.to ?? ""));
    if (stanza.attrs.type === "error") return;

    if (!from.local) {
      // From a server: the only thing we expect is the XEP-0356 advertisement.
      const advertised = parsePrivilegeAdvertisement(stanza);
      if (advertised) this.onPrivileges(advertised);
      return;
    }
    const userJid = from.bare().toString();
    if (!to.local) {
      // To the gateway itself: an answer to `input()`, or the chat bot.
      const text = stanza.getChildText("body");
      if (!text) return;
      const answer = this.inputs.get(userJid);
      if (answer) {
        this.inputs.delete(userJid);
        answer(text);
        return;
      }
      await this.chatCommands.handle(userJid, text);
      return;
    }
    const session = this.requireSession(userJid, { loggedIn: true });
    await dispatchToContact(session, await session.contacts.byJidLocal(to.local), stanza);
  }

  private advertisementOrTimeout(): Promise<void> {
    if (this.privileges || this.privilegeWaitMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, this.privilegeWaitMs);
      this.privilegesArrived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  private onPrivileges(privileges: Privileges): void {
    const late = this.privileges === undefined && this.privilegesArrived === undefined;
    this.privileges = privileges;
    this.privilegesArrived?.();
    this.privilegesArrived = undefined;
    // Sessions that logged in without knowing the privileges synced by subscription requests.
    if (late) {
      for (const session of this.sessions.values()) {
        if (session.isLoggedIn) {
          void session.resyncRoster().catch((err) => session.log.warn({ err }, "roster re-sync failed"));
        }
      }
    }
    const missing = describeMissingPrivileges(privileges);
    this.log.info(
      {
        namespace: privileges.namespace,
        roster: privileges.roster,
        message: privileges.message,
        iq: privileges.iq,
      },
      "XEP-0356 privileges granted by the server",
    );
    for (const what of missing) this.log.warn(`missing XEP-0356 privilege ${what}`);
  }

  private async handlePresence(stanza: Element): Promise<void> {
    const type = stanza.attrs.type as string | undefined;
    if (type === "error") return;
    const from = JID.parse(String(stanza.attrs.from ?? ""));
    const to = JID.parse(String(stanza.attrs.to ?? ""));
    if (!from.local) return;
    const userJid = from.bare().toString();
    const session = this.sessions.get(userJid);

    if (!to.local) {
      // Addressed to the gateway itself.
      if (type === "subscribe") {
        if (!this.config.userJidValidator.test(userJid)) throw new XmppError("not-allowed", NOT_ALLOWED_TEXT);
        await this.send(xml("presence", { from: this.domain, to: userJid, type: "subscribed" }));
        if (session) await session.sendGatewayPresence();
      } else if (type === "unsubscribe" && session) {
        await this.send(xml("presence", { from: this.domain, to: userJid, type: "unsubscribed" }));
        await this.registrar.unregister(userJid);
      } else if (type === "probe" && session) {
        await session.sendGatewayPresence();
      } else if ((type === undefined || type === "unavailable") && session) {
        await this.relayUserPresence(session, stanza);
      }
      return;
    }

    if (!session) {
      if (type === "subscribe" || type === "probe") {
        throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
      }
      return;
    }
    if (!session.isLoggedIn) return;
    const contact = await session.contacts.byJidLocal(to.local);
    switch (type) {
      case "subscribe":
        await this.send(xml("presence", { from: contact.jid, to: userJid, type: "subscribed" }));
        await this.markAddedToRoster(session, contact);
        await contact.sendPresence();
        break;
      case "subscribed":
        await this.markAddedToRoster(session, contact);
        await contact.sendPresence();
        break;
      case "probe":
        await contact.sendPresence();
        break;
      case "unsubscribe":
        // The user removed the contact: confirm, and ask again only if they re-add it.
        await this.send(xml("presence", { from: contact.jid, to: userJid, type: "unsubscribed" }));
        await this.markAddedToRoster(session, contact, false);
        break;
      default:
        break;
    }
  }

  /**
   * The user's own presence (their server sends it to the gateway, which is in their roster):
   * passed to the app's `onPresence` unless the user turned `sync_presence` off.
   */
  private async relayUserPresence(session: S, stanza: Element): Promise<void> {
    if (!session.isLoggedIn) return;
    const preferences = this.preferencesOf(session.user);
    if (preferences.sync_avatar !== false) await this.relayUserAvatar(session, stanza);
    if (preferences.sync_presence === false) return;
    const show = stanza.getChildText("show");
    await session.onPresence({
      available: stanza.attrs.type !== "unavailable",
      show: show === "away" || show === "xa" || show === "dnd" || show === "chat" ? show : undefined,
      status: stanza.getChildText("status") ?? undefined,
      resource: JID.parse(String(stanza.attrs.from)).resource || undefined,
    });
  }

  /**
   * XEP-0153: the user's presence carries the hash of their vCard photo. When it changes (and
   * `sync_avatar` is on), the gateway fetches the vCard and hands the picture to `onAvatar`.
   */
  private async relayUserAvatar(session: S, stanza: Element): Promise<void> {
    const update = stanza.getChild("x", "vcard-temp:x:update");
    const photo = update?.getChild("photo");
    // No element: the client says nothing about the avatar (XEP-0153 §4.3), not "no avatar".
    if (!photo) return;
    const hash = photo.text().trim();
    if (hash === session.userAvatarHash) return;
    session.userAvatarHash = hash;
    if (!hash) {
      await session.onAvatar(null);
      return;
    }
    let result: Element;
    try {
      result = await this.request(
        xml("iq", { type: "get", to: session.userJid }, xml("vCard", { xmlns: "vcard-temp" })),
        10_000,
      );
    } catch (err) {
      // The user's server may not serve vCards: the avatar just stays as it was on the network.
      session.log.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "could not fetch the user's vCard",
      );
      return;
    }
    const picture = result.getChild("vCard", "vcard-temp")?.getChild("PHOTO");
    const base64 = picture?.getChildText("BINVAL")?.replace(/\s+/g, "");
    if (!base64) return;
    await session.onAvatar({
      data: Buffer.from(base64, "base64"),
      type: picture?.getChildText("TYPE") ?? "image/png",
      hash,
    });
  }

  /** The user accepted the contact: remembered, so later logins don't ask again. */
  private async markAddedToRoster(session: S, contact: LegacyContact, added = true): Promise<void> {
    if (contact.addedToRoster === added) return;
    contact.addedToRoster = added;
    await this.store.contacts.upsert(session.user.id, {
      legacyId: contact.legacyId,
      jidLocal: contact.jidLocal,
      addedToRoster: added,
    });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: sessions and contacts only need the base shape here
export type AnyGateway = BaseGateway<any>;
