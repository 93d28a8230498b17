import {
  type LegacyData,
  NOT_ALLOWED_TEXT,
  Registrar,
  RegistrationChat,
  type RegistrationFlow,
  RegistrationType,
  seedFlow,
  serveInBandRegistration,
} from "@gangway/registration";
import type { Store, UserRow } from "@gangway/store";
import {
  type Element,
  type FormField,
  type FormValues,
  JID,
  type StanzaTransport,
  sanitizeXmlText,
  XmppComponent,
  XmppError,
  xml,
} from "@gangway/xmpp";
import type { Logger } from "pino";
import type { GatewayConfig } from "./cli/config.js";
import type { LegacyContact } from "./contact.js";
import { describeMissingPrivileges, type Privileges, parsePrivilegeAdvertisement } from "./privileges.js";
import type { AnySession, BaseSession } from "./session.js";

const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_PING = "urn:xmpp:ping";
const NS_REGISTER = "jabber:iq:register";

export const NOT_REGISTERED_TEXT = "You are not registered to this gateway.";

export interface GatewayDependencies {
  config: GatewayConfig;
  transport: StanzaTransport;
  store: Store;
  logger: Logger;
  /** Stanza id generator; tests pass a deterministic one. */
  newStanzaId?: () => string;
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

  /** The app's session class. */
  abstract readonly Session: SessionClass<S>;

  readonly config: GatewayConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly component: XmppComponent;
  readonly registrar: Registrar;
  /** The chat-bot front end on the component JID. */
  readonly registrationChat: RegistrationChat;
  readonly newStanzaId: () => string;
  /** Sessions of registered users, by bare JID. */
  readonly sessions = new Map<string, S>();
  /** What the server granted (XEP-0356), once it said so. */
  privileges: Privileges | undefined;
  privilegedRosterFailed = false;
  private stopping = false;

  constructor(deps: GatewayDependencies) {
    this.config = deps.config;
    this.store = deps.store;
    this.log = deps.logger;
    this.newStanzaId = deps.newStanzaId ?? (() => crypto.randomUUID());
    this.component = new XmppComponent(deps.transport, { logger: deps.logger });
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
    this.registrationChat = new RegistrationChat({
      registrar: this.registrar,
      send: (to, text) => this.sendChat(to, text),
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
      },
      {
        componentName: meta.COMPONENT_NAME,
        fields: meta.REGISTRATION_FIELDS,
        instructions: meta.REGISTRATION_INSTRUCTIONS,
        twoFactorTitle: meta.REGISTRATION_2FA_TITLE,
        twoFactorInstructions: meta.REGISTRATION_2FA_INSTRUCTIONS,
      },
    );
  }

  // ---- lifecycle ----

  /** Connects to the XMPP server, then logs every stored user in. */
  async start(): Promise<void> {
    await this.component.start();
    this.log.info({ jid: this.domain }, "component online");
    const logins: Promise<void>[] = [];
    for await (const user of this.store.users.list()) logins.push(this.startSession(user));
    await Promise.all(logins);
  }

  /** Offline presences for everyone, then a clean close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
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
    return this.send(
      xml(
        "message",
        { from: this.domain, to, type: "chat", id: this.newStanzaId() },
        xml("body", {}, sanitizeXmlText(text)),
      ),
    );
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
    this.log.info({ user: user.jid }, "user unregistered");
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

    component.iq.handle({ namespace: NS_DISCO_INFO, type: "get", to: toComponent }, ({ child }) =>
      child.attrs.node ? undefined : this.componentDiscoInfo(),
    );
    component.iq.handle({ namespace: NS_DISCO_ITEMS, type: "get", to: toComponent }, () =>
      xml("query", { xmlns: NS_DISCO_ITEMS }),
    );
    component.iq.handle({ namespace: NS_DISCO_INFO, type: "get", to: toPuppet }, () =>
      xml(
        "query",
        { xmlns: NS_DISCO_INFO },
        xml("identity", { category: "client", type: "pc" }),
        xml("feature", { var: NS_DISCO_INFO }),
        xml("feature", { var: NS_PING }),
      ),
    );
    component.iq.handle({ namespace: NS_PING, type: "get", to: () => true }, () => undefined);
    serveInBandRegistration(component, {
      registrar: this.registrar,
      multiStepHint: `Registering with this gateway takes more than one form. Use its "Register" command, or send "register" to ${this.domain}.`,
    });

    component.onMessage((stanza) => this.handleMessage(stanza));
    component.onPresence((stanza) => this.handlePresence(stanza));
  }

  private componentDiscoInfo(): Element {
    const meta = this.meta;
    return xml(
      "query",
      { xmlns: NS_DISCO_INFO },
      xml("identity", { category: "gateway", type: meta.COMPONENT_TYPE, name: meta.COMPONENT_NAME }),
      ...[NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_REGISTER].map((v) => xml("feature", { var: v })),
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
    const session = this.sessions.get(userJid);
    if (!to.local) {
      // To the gateway itself: the chat bot.
      const text = stanza.getChildText("body");
      if (text) await this.registrationChat.handle(userJid, text);
      return;
    }
    if (!session) throw new XmppError("registration-required", NOT_REGISTERED_TEXT);
    if (!session.isLoggedIn) {
      throw new XmppError(
        "recipient-unavailable",
        "The gateway is not logged in to your legacy account yet.",
      );
    }
    const body = stanza.getChildText("body");
    if (body === null || body === undefined) return; // chat states, receipts…: the messaging work wires them
    const contact = await session.contacts.byJidLocal(to.local);
    const xmppId =
      (stanza.getChild("origin-id", "urn:xmpp:sid:0")?.attrs.id as string | undefined) ?? stanza.attrs.id;
    const legacyId = await contact.onMessage({ xmppId, body, stanza });
    if (legacyId && xmppId) {
      await this.store.messageIds.add(session.user.id, {
        chat: contact.legacyId,
        legacyId,
        xmppId,
        direction: "out",
      });
    }
  }

  private onPrivileges(privileges: Privileges): void {
    this.privileges = privileges;
    const missing = describeMissingPrivileges(privileges);
    this.log.info(
      { namespace: privileges.namespace, roster: privileges.roster, message: privileges.message },
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
      default:
        break;
    }
  }

  /** The user accepted the contact: remembered, so later logins don't ask again. */
  private async markAddedToRoster(session: S, contact: LegacyContact): Promise<void> {
    if (contact.addedToRoster) return;
    contact.addedToRoster = true;
    await this.store.contacts.upsert(session.user.id, {
      legacyId: contact.legacyId,
      jidLocal: contact.jidLocal,
      addedToRoster: true,
    });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: sessions and contacts only need the base shape here
export type AnyGateway = BaseGateway<any>;
