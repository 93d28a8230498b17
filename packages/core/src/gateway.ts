import {
  type AdHocCommands,
  type ChatCommands,
  type Command,
  type LegacyData,
  type PreferencesForm,
  QrConfirmations,
  Registrar,
  type RegistrationFlow,
  type RegistrationType,
  seedFlow,
} from "@gangway/registration";
import type { Store, UserRow } from "@gangway/store";
import {
  buildChatMessage,
  type Element,
  type FormField,
  type FormValues,
  type Privileges,
  type StanzaTransport,
  XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import pMap from "p-map";
import type { Logger } from "pino";
import { Carbons } from "./carbons.js";
import { type Closable, Closables } from "./closables.js";
import type { AppOptions, AppOptionValues } from "./config/app-options.js";
import type { GatewayConfig } from "./config/config.js";
import { startFileEndpoint } from "./file-endpoint.js";
import { commandFrontEnds, describeRequester } from "./front-ends.js";
import { GatewayDescription } from "./gateway-description.js";
import { wireHandlers } from "./handlers.js";
import type { GatewayHost, GatewayMeta } from "./host.js";
import { InboundJournal } from "./inbound-journal.js";
import { CountingTransport, GatewayMetrics, startMetricsEndpoint, timedStore } from "./metrics/index.js";
import { PrivilegeWatch } from "./privilege-watch.js";
import { CapabilitiesCache } from "./puppet-info.js";
import { StanzaAdmission } from "./rate-limit.js";
import { searchCommand, searchFeatures } from "./search.js";
import type { AnySession } from "./session.js";
import { Sessions } from "./sessions.js";
import { splitForStanza } from "./split-text.js";
import { NOT_REGISTERED_TEXT } from "./texts.js";
import { sendQrCode, UserInput } from "./user-input.js";
import {
  forgetUser,
  preferencesForm,
  preferencesOf,
  seedFlowTexts,
  sweepPendingRegistrations,
  welcomeUser,
} from "./user-lifecycle.js";

/** Pending registrations past their timeout are swept this often (they are also hidden on read). */
const PENDING_SWEEP_MS = 10 * 60_000;

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
  /** How long `stop()` waits for the server to take the goodbyes before it drops them (2000 ms). */
  shutdownGraceMs?: number;
}

// biome-ignore lint/suspicious/noExplicitAny: a session class takes its own gateway class
export type SessionClass<S extends AnySession> = new (gateway: any, user: UserRow) => S;

/**
 * A gateway app's main class. Apps subclass it, set the static attributes that describe their
 * network, point `Session` at their session class and implement `validate()`. The work is done by
 * the modules it wires together (sessions, message and presence routing, disco, commands…).
 */
export abstract class BaseGateway<S extends AnySession = AnySession, O extends AppOptions = AppOptions>
  extends GatewayDescription
  implements GatewayHost
{
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
  readonly capabilities = new CapabilitiesCache();
  readonly newStanzaId: () => string;
  /** Sessions of registered users, by bare JID. */
  readonly sessions: Sessions<S>;
  /** Prometheus metrics, served with a health check on `--metrics-port` (see metrics/). */
  readonly metrics: GatewayMetrics;
  readonly #privilegeWatch: PrivilegeWatch;
  readonly #carbons: Carbons;
  readonly #userInput: UserInput;
  readonly #journal: InboundJournal;
  #stopping = false;
  readonly #shutdownGraceMs: number;
  readonly #resources = new Closables();
  #pendingSweep: NodeJS.Timeout | undefined;

  constructor(deps: GatewayDependencies) {
    super();
    this.config = deps.config;
    this.metrics = new GatewayMetrics(this);
    // Store calls are timed only for an endpoint that shows them.
    this.store = deps.config.metrics ? timedStore(deps.store, this.metrics.store) : deps.store;
    this.log = deps.logger;
    this.newStanzaId = deps.newStanzaId ?? (() => crypto.randomUUID());
    this.#shutdownGraceMs = deps.shutdownGraceMs ?? 2000;
    this.component = new XmppComponent(new CountingTransport(deps.transport, this.metrics.counts), {
      logger: deps.logger,
      maxInflight: deps.config.limits.inflightStanzas,
      // The per-JID rate limit (--rate-limit, --rate-burst), before any handler sees a stanza.
      admit: StanzaAdmission.from({
        limits: deps.config.limits,
        isRegistered: (jid) => this.sessions.get(jid) !== undefined,
        logger: deps.logger,
      })?.admit,
    });
    this.sessions = new Sessions((user) => new this.Session(this, user));
    this.#privilegeWatch = new PrivilegeWatch(this.log, deps.privilegeWaitMs ?? 1000, () =>
      this.#resyncAfterPrivileges(),
    );
    this.#carbons = new Carbons(
      () => this.domain,
      () => this.privileges,
      (stanza) => this.send(stanza),
      this.log,
    );
    this.#userInput = new UserInput((to, text) => this.sendChat(to, text));
    this.#journal = new InboundJournal(this.store.inboundJournal, this.log);
    this.qr = new QrConfirmations(this.config.qrTimeoutMs);
    this.registrar = new Registrar({
      flow: this.registrationFlow(),
      store: this.store,
      isAllowed: (jid) => this.config.userJidValidator.test(jid),
      onRegistered: (user) => welcomeUser(this, this.sessions, user),
      onModified: (user) =>
        void this.sessions
          .start(user)
          .catch((err) => this.log.error({ err }, "re-login after a change failed")),
      onUnregister: (user) => forgetUser(this, this.sessions, user, (gone) => this.unregister(gone)),
    });
    const frontEnds = commandFrontEnds({
      host: this,
      component: this.component,
      sessions: this.sessions,
      registrar: this.registrar,
      qr: this.qr,
      preferencesForm: this.preferencesForm,
      restartSession: (jid) => this.restartSession(jid),
      startedAt: this.startedAt,
      extraCommands: [searchCommand(this, this.sessions), ...this.extraCommands()],
      requester: (jid) => describeRequester(this, this.sessions, jid),
    });
    this.commands = frontEnds.commands;
    this.adHocCommands = frontEnds.adHocCommands;
    this.chatCommands = frontEnds.chatCommands;
    wireHandlers({
      host: this,
      component: this.component,
      sessions: this.sessions,
      registrar: this.registrar,
      adHocCommands: this.adHocCommands,
      extraFeatures: () => searchFeatures(this.Session),
      routing: {
        sessions: this.sessions,
        chatCommands: this.chatCommands,
        userInput: this.#userInput,
        journal: this.#journal,
        onPrivileges: (privileges) => this.#privilegeWatch.received(privileges),
      },
    });
  }

  /** The subclass's static attributes. */
  get meta(): GatewayMeta {
    return this.constructor as GatewayMeta;
  }

  /** The values of the app's OPTIONS, parsed and typed. */
  get options(): AppOptionValues<O> {
    return this.config.app as AppOptionValues<O>;
  }

  get domain(): string {
    return this.component.domain;
  }

  get rosterGroup(): string {
    return this.meta.ROSTER_GROUP;
  }

  get privileges(): Privileges | undefined {
    return this.#privilegeWatch.privileges;
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
    const hooks = {
      validate: (jid: string, values: FormValues) => this.validate(jid, values),
      validateTwoFactorCode: (jid: string, code: string, data: LegacyData | undefined) =>
        this.validateTwoFactorCode(jid, code, data),
      getQrText: (jid: string, values: FormValues) => this.getQrText(jid, values),
      qr: this.qr,
    };
    return seedFlow(this.registrationType(), hooks, seedFlowTexts(this.meta, this.registrationFields()));
  }

  // ---- lifecycle ----

  /** Connects to the XMPP server, then logs every stored user in. */
  async start(): Promise<void> {
    // First: /health answers (503) while the rest starts.
    const metricsEndpoint = await startMetricsEndpoint(this);
    if (metricsEndpoint) this.closeOnStop(metricsEndpoint);
    // Read before going online: what this run journals cannot be among them.
    const leftovers = await this.#journal.leftovers();
    await this.component.start();
    this.log.info({ jid: this.domain }, "component online");
    // Before the logins: the user learns what to resend before the chats come back.
    await this.#journal.answer(leftovers, (stanza) => this.send(stanza));
    await this.#privilegeWatch.untilAdvertised();
    // --file-http-port: the links of files sent before a restart are served again from here on.
    const fileEndpoint = await startFileEndpoint(this);
    if (fileEndpoint) this.closeOnStop(fileEndpoint);
    await sweepPendingRegistrations(this);
    this.#pendingSweep = setInterval(() => void sweepPendingRegistrations(this), PENDING_SWEEP_MS);
    this.#pendingSweep.unref();
    await pMap(this.store.users.list(), (user) => this.sessions.start(user), {
      concurrency: this.meta.LOGIN_CONCURRENCY,
    });
  }

  /** Offline presences for everyone, then a clean close. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#pendingSweep);
    // New stanzas are refused from now on (the sender is told to send again later); those being
    // handled get a moment to finish before the sessions go.
    const unfinished = await this.component.drain(Math.min(1000, this.#shutdownGraceMs));
    if (unfinished > 0) this.log.warn({ unfinished }, "stopping with stanzas still being handled");
    // A server that is gone must not hold the shutdown: past the grace, what is queued for it is
    // dropped, and the sessions' stops go on to their logouts.
    await this.sessions.stopAll(this.#shutdownGraceMs, async () => {
      this.log.warn(
        { graceMs: this.#shutdownGraceMs },
        "the XMPP server did not take the last presences in time",
      );
      await this.component.stop();
    });
    await this.#resources.closeAll(this.log);
    await this.component.stop();
  }

  /** Closes `resource` (a client, cache, file of the app) when the gateway stops, after the logouts. */
  closeOnStop<T extends Closable>(resource: T): T {
    return this.#resources.add(resource);
  }

  send(stanza: Element): Promise<void> {
    return this.component.send(stanza);
  }

  request(iq: Element, timeoutMs?: number): Promise<Element> {
    if (!iq.attrs.id) iq.attrs.id = this.newStanzaId();
    if (!iq.attrs.from) iq.attrs.from = this.domain;
    return this.component.request(iq, timeoutMs);
  }

  sessionFor(bareJid: string): S | undefined {
    return this.sessions.get(bareJid);
  }

  /** See Sessions.require. */
  requireSession(bareJid: string, need: { loggedIn?: boolean } = {}): S {
    return this.sessions.require(bareJid, need);
  }

  // ---- helpers for apps ----

  /**
   * The legacy side reports that `userJid` scanned the QR code (or, with `error`, that pairing
   * failed: its message is shown). Returns false when no registration was waiting for a scan.
   */
  confirmQr(userJid: string, error?: Error, legacyData?: LegacyData): boolean {
    return this.qr.confirm(userJid, error, legacyData);
  }

  sendQr(to: string, text: string): Promise<{ url?: string }> {
    return sendQrCode(this, to, text);
  }

  input(userJid: string, question: string, options?: { timeoutMs?: number }): Promise<string> {
    return this.#userInput.ask(userJid, question, options);
  }

  sendChat(to: string, text: string): Promise<void> {
    // A long answer (a long user list, many search results) goes as several messages, in order.
    const parts = splitForStanza(text, this.config.limits.stanzaBytes);
    return Promise.all(
      parts.map((body) =>
        this.send(buildChatMessage({ from: this.domain, to, id: this.newStanzaId(), body })),
      ),
    ).then(() => undefined);
  }

  sendCarbon(userJid: string, inner: Element, fallbackFrom: string): Promise<void> {
    return this.#carbons.send(userJid, inner, fallbackFrom);
  }

  get preferencesForm(): PreferencesForm {
    return preferencesForm(this, this.sessions);
  }

  preferencesOf(user: UserRow): FormValues {
    return preferencesOf(this, user);
  }

  /** Logs a user's session out and in again (the `re-login` command). */
  async restartSession(bareJid: string): Promise<S> {
    const user = await this.store.users.get(bareJid);
    if (!user) throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
    return this.sessions.start(user);
  }

  get privilegedRosterFailed(): boolean {
    return this.#privilegeWatch.rosterSetFailed;
  }

  reportPrivilegedRosterFailure(err: unknown): void {
    this.#privilegeWatch.rosterSetFailedWith(err);
  }

  // ---- internals ----

  /**
   * Sessions that logged in before the server's privileges were known synced their roster by
   * subscription requests and invited the user to their rooms: both are done again, privileged.
   */
  #resyncAfterPrivileges(): void {
    for (const session of this.sessions.values()) {
      if (session.isLoggedIn) {
        void session
          .resyncAfterPrivileges()
          .catch((err) => session.log.warn({ err }, "re-sync after the privileges failed"));
      }
    }
  }
}

// biome-ignore lint/suspicious/noExplicitAny: sessions and contacts only need the base shape here
export type AnyGateway = BaseGateway<any, any>;
