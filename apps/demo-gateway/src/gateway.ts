import { join } from "node:path";
import {
  BaseGateway,
  BaseSession,
  LegacyContact,
  LegacyRoster,
  type OutgoingMessage,
  RegistrationType,
  type SearchResult,
  type UserAvatar,
  type UserPresence,
} from "@gangway/core";
import { type ChatState, type FormValues, XmppError } from "@gangway/xmpp";
import { DEMO_CONTACTS, DEMO_STATE_FILE, DemoAuthError, type DemoClient, DemoNetwork } from "./network.js";
import { DEMO_OPTIONS } from "./options.js";

export class DemoContact extends LegacyContact {
  declare session: DemoSession;

  override async updateInfo(): Promise<void> {
    const info = DEMO_CONTACTS.find((c) => c.id === this.legacyId);
    if (!info) throw new XmppError("item-not-found", `There is no demo contact called ${this.legacyId}.`);
    this.name = info.name;
    if (info.profile) this.vcard = { fullName: info.name, nickname: info.id, ...info.profile };
    await this.setAvatar(info.avatar ?? null);
  }

  override async onMessage(message: OutgoingMessage): Promise<string> {
    const replyTo = message.replyTo?.legacyId;
    return this.session.client.sendMessage(this.legacyId, message.body, replyTo ? { replyTo } : {});
  }

  override async onCorrect(legacyId: string, body: string): Promise<undefined> {
    this.session.client.correctMessage(this.legacyId, legacyId, body);
    return undefined;
  }

  override async onRetract(legacyId: string): Promise<void> {
    this.session.client.retractMessage(this.legacyId, legacyId);
  }

  override async onReact(legacyId: string, emojis: readonly string[]): Promise<void> {
    this.session.client.react(this.legacyId, legacyId, [...emojis]);
  }

  /** The demo network keeps no read state: accepting the marker is all there is to do. */
  override async onDisplayed(): Promise<void> {}

  override async onChatState(state: ChatState): Promise<void> {
    if (state === "composing" || state === "paused") this.session.client.setChatState(this.legacyId, state);
  }
}

export class DemoRoster extends LegacyRoster<DemoContact> {
  declare session: DemoSession;

  override async *fill(): AsyncIterable<DemoContact> {
    for (const info of this.session.client.contacts()) {
      const contact = await this.byLegacyId(info.id);
      if (info.presence === "online") await contact.online(info.status);
      else if (info.presence === "away") await contact.away(info.status);
      else await contact.offline(info.status);
      yield contact;
    }
  }
}

export class DemoSession extends BaseSession<DemoContact> {
  declare readonly gateway: DemoGateway;
  static override Contact = DemoContact;
  static override Roster = DemoRoster as typeof LegacyRoster;

  private legacyClient: DemoClient | undefined;

  get client(): DemoClient {
    if (!this.legacyClient)
      throw new XmppError("recipient-unavailable", "Not logged in to the demo network.");
    return this.legacyClient;
  }

  override async login(): Promise<string> {
    const { username, password } = this.registration as { username: string; password: string };
    const client = this.gateway.network.login(username, password);
    this.legacyClient = client;
    // Every network event becomes one action on the contact it comes from.
    const relay = (from: string, what: string, action: (contact: DemoContact) => Promise<void>) => {
      void this.contacts
        .byLegacyId(from)
        .then(action)
        .catch((err) => this.log.error({ err }, `could not relay a demo ${what}`));
    };
    client.on("message", (e) =>
      relay(e.from, "message", (c) =>
        c.sendText(e.text, { id: e.id, ...(e.replyTo && { replyTo: e.replyTo }) }),
      ),
    );
    client.on("correction", (e) => relay(e.from, "correction", (c) => c.correct(e.id, e.text)));
    client.on("retraction", (e) => relay(e.from, "retraction", (c) => c.retract(e.id)));
    client.on("reaction", (e) => relay(e.from, "reaction", (c) => c.react(e.id, e.emojis)));
    client.on("received", (e) => relay(e.from, "receipt", (c) => c.received(e.id)));
    client.on("displayed", (e) => relay(e.from, "read marker", (c) => c.displayed(e.id)));
    client.on("chatState", (e) =>
      relay(e.from, "chat state", (c) => (e.state === "composing" ? c.composing() : c.paused())),
    );
    return `Logged in as ${username}`;
  }

  /** Search by a fragment of a name or id (XEP-0055, XEP-0100 prompt, `find` command). */
  override async onSearch(values: FormValues): Promise<SearchResult> {
    const found = this.client.search(String(values.query ?? ""));
    const items = [];
    for (const info of found) {
      items.push({ jid: (await this.contacts.byLegacyId(info.id)).jid, name: info.name });
    }
    return {
      fields: [
        { var: "jid", label: "JID" },
        { var: "name", label: "Name" },
      ],
      items,
    };
  }

  /** The user's picture, kept by the demo network as a profile picture. */
  override async onAvatar(avatar: UserAvatar | null): Promise<void> {
    this.client.setOwnAvatar(avatar ? { type: avatar.type, bytes: avatar.data.byteLength } : null);
  }

  /** The demo network shows the user's status to nobody, but keeps it, as a real one would. */
  override async onPresence(presence: UserPresence): Promise<void> {
    this.client.setOwnPresence(presence.available ? (presence.show ?? "online") : "offline", presence.status);
  }

  override async logout(): Promise<void> {
    this.legacyClient?.logout();
    this.legacyClient = undefined;
  }
}

export class DemoGateway extends BaseGateway<DemoSession> {
  static override COMPONENT_NAME = "Demo (Gangway)";
  static override OPTIONS = DEMO_OPTIONS;
  static override COMPONENT_TYPE = "demo";
  static override ROSTER_GROUP = "Demo";
  /** The demo network reports delivery itself (echo's receipts). */
  static override PROPER_RECEIPTS = true;
  static override REGISTRATION_TYPE = RegistrationType.SingleStepForm;
  static override REGISTRATION_FIELDS = [
    { var: "username", type: "text-single", label: "Username", required: true },
    { var: "password", type: "text-private", label: "Password", required: true },
  ] as const;
  static override REGISTRATION_INSTRUCTIONS = "Any username works. Any password logs in, except 'wrong'.";
  static override WELCOME_MESSAGE =
    "Welcome to the Gangway demo gateway! Say hi to echo, it repeats everything.";

  readonly Session = DemoSession;

  /**
   * This gateway's demo network. Its "cloud" lives in the home dir, as a real network's outlives
   * the gateway: after a restart echo still follows edits of messages from before. A file that
   * cannot be read back fails the construction, so the gateway does not start on a lost state.
   */
  readonly network = new DemoNetwork({
    stateFile: join(this.config.homeDir, DEMO_STATE_FILE),
    onSaveError: (err) => this.log.error({ err }, "could not save the demo network's state"),
  });

  /** Stops as every gateway does, then writes what the demo network has not saved yet. */
  override async stop(): Promise<void> {
    try {
      await super.stop();
    } finally {
      this.network.close();
    }
  }

  /**
   * `--registration 2fa` asks for the demo network's one-time code after the password;
   * `--registration qr` shows a QR code after it, which the demo network "scans" by itself.
   */
  protected override registrationType(): RegistrationType {
    switch (this.config.app.registration) {
      case "2fa":
        return RegistrationType.TwoFactorCode;
      case "qr":
        return RegistrationType.QrCode;
      default:
        return RegistrationType.SingleStepForm;
    }
  }

  override async getQrText(userJid: string, registration: FormValues): Promise<string> {
    const text = this.network.qrText(String(registration.username));
    this.network.scanLater(text, () => this.confirmQr(userJid));
    return text;
  }

  override async validateTwoFactorCode(_userJid: string, code: string): Promise<undefined> {
    if (code !== this.network.twoFactorCode) throw new XmppError("not-authorized", "Wrong code");
    return undefined;
  }

  override async validate(_userJid: string, form: FormValues): Promise<undefined> {
    try {
      this.network.login(String(form.username), String(form.password)).logout();
    } catch (err) {
      if (err instanceof DemoAuthError) throw new XmppError("not-authorized", err.message);
      throw err;
    }
    return undefined;
  }
}
