import {
  type AnyRoom,
  BaseGateway,
  BaseSession,
  type ChatHook,
  type ChatState,
  type FormField,
  type FormValues,
  type LegacyChat,
  LegacyContact,
  type OutgoingMessage,
  type SearchResult,
  XmppError,
} from "@gangway/core";
import type { Client, MessageEvent, TagmsgEvent } from "irc-framework";
import { type ChannelAddress, channelFromLocalpart, channelRulesOf } from "./channel-address.js";
import { listenToChannels } from "./channel-events.js";
import { ChannelRooms, IrcRoom } from "./channel-room.js";
import { answerCtcp, ctcpVersionText, parseCtcp } from "./ctcp.js";
import { ircToXmpp } from "./formatting.js";
import { connectIrc } from "./irc-connection.js";
import {
  type CaseMapping,
  caseMappingFromIsupport,
  isValidNick,
  nicksEqual,
  normalizeNick,
} from "./nicks.js";
import { IRC_OPTIONS } from "./options.js";
import { sendPrivmsgs } from "./privmsg.js";
import { type IrcAccount, ircAccountFromForm, registrationFields } from "./registration-fields.js";
import { whois, whoisResult } from "./whois.js";

export const VERSION = "0.0.0";
/** What we ask servers for; each is used only when the server grants it. */
const CAPABILITIES = ["message-tags", "server-time", "away-notify"];

/** One IRC user as a contact: `<nick>@gateway`, the legacy id being the case-folded nick. */
export class IrcContact extends LegacyContact<IrcSession> {
  /** The nick as the server last spelled it (the legacy id is its case-folded form). */
  nick: string | undefined;

  override async updateInfo(): Promise<void> {
    // A message (or subscription) to #chan@gateway: channels are rooms, not contacts.
    if (/^[#&]/.test(this.legacyId)) {
      throw new XmppError(
        "item-not-found",
        "This is an IRC channel: join it as a group chat (MUC) to talk there.",
      );
    }
    if (!isValidNick(this.legacyId)) {
      throw new XmppError("item-not-found", `"${this.legacyId}" is not a valid IRC nickname.`);
    }
    this.nick ??= this.legacyId;
    this.name = this.nick;
  }

  /** Where to send: the nick as the server spells it. */
  get target(): string {
    return this.nick ?? this.legacyId;
  }
}

/** One user's IRC connection. */
export class IrcSession extends BaseSession<IrcGateway, IrcContact> {
  static override Contact = IrcContact;
  /** IRC channels, joined as `#chan@gateway` (channel-room.ts). */
  static override Room = IrcRoom;
  /** A lost connection is retried by the core with its backoff, through `reconnect()` (= `login()`). */
  static override RECONNECT = true;
  /** Presence polling: one ISON for all contacts this often (IRC has no subscriptions). */
  static PRESENCE_POLL_MS = 30_000;

  private client: Client | undefined;
  /** The channels the user joined as rooms, by channel name. */
  readonly channels = new ChannelRooms(this);
  private stopping = false;
  private pollTimer: NodeJS.Timeout | undefined;

  get caseMapping(): CaseMapping {
    return caseMappingFromIsupport(this.client?.network.options.CASEMAPPING);
  }

  get hasMessageTags(): boolean {
    return this.client?.network.cap.isEnabled("message-tags") ?? false;
  }

  /** Our nick on the server now (the registered one until connected). */
  get nick(): string {
    return this.client?.user.nick ?? this.account.nickname;
  }

  isOwnNick(nick: string): boolean {
    return nicksEqual(nick, this.nick, this.caseMapping);
  }

  nicksEqual(a: string, b: string): boolean {
    return nicksEqual(a, b, this.caseMapping);
  }

  get account(): IrcAccount {
    return ircAccountFromForm(this.registration as FormValues, this.gateway.options["irc-server"]);
  }

  override async login(): Promise<string> {
    this.stopping = false;
    await this.connect();
    return this.connectedStatus();
  }

  override async logout(): Promise<void> {
    this.stopping = true;
    clearInterval(this.pollTimer);
    this.client?.quit("Gangway: logged out");
    this.client?.removeAllListeners();
    this.client = undefined;
  }

  private connectedStatus(): string {
    const account = this.account;
    return `Connected to ${account.host} as ${this.client?.user.nick ?? account.nickname}`;
  }

  private async connect(): Promise<void> {
    const client = await connectIrc({
      account: this.account,
      version: ctcpVersionText(VERSION),
      capabilities: CAPABILITIES,
    });
    this.client = client;
    this.listen(client);
    // After a reconnection, the channels the user is still in are joined again.
    for (const room of this.channels) room.rejoin();
    clearInterval(this.pollTimer);
    this.pollTimer = setInterval(
      () => this.pollPresences(),
      (this.constructor as typeof IrcSession).PRESENCE_POLL_MS,
    );
    this.pollTimer.unref();
    // The roster is filled after login(); poll once it is there.
    setImmediate(() => this.pollPresences());
  }

  // ---- the chat hooks (XMPP → IRC) ----

  override async onMessage(chat: IrcContact | IrcRoom, message: OutgoingMessage): Promise<undefined> {
    this.sendText(targetOf(chat), message.body);
    return undefined;
  }

  /** Typing notifications travel in client tags: without message-tags they are simply not sent. */
  override async onChatState(chat: IrcContact | IrcRoom, state: ChatState): Promise<void> {
    if (!this.hasMessageTags) return;
    const typing = state === "composing" ? "active" : state === "paused" ? "paused" : "done";
    this.sendTags(targetOf(chat), { "+typing": typing });
  }

  override async onReact(
    chat: IrcContact | IrcRoom,
    legacyId: string,
    emojis: readonly string[],
  ): Promise<void> {
    if (!this.hasMessageTags) {
      throw new XmppError("feature-not-implemented", "This IRC server does not carry reactions.");
    }
    // IRC reactions are additions, one emoji each; the last one stands for the set.
    const emoji = emojis.at(-1);
    if (!emoji) throw new XmppError("feature-not-implemented", "IRC cannot take a reaction back.");
    this.sendTags(targetOf(chat), { "+draft/react": emoji, "+draft/reply": legacyId });
  }

  /** Typing and reactions travel in IRCv3 client tags: only servers with message-tags carry them. */
  override supports(hook: ChatHook, chat: LegacyChat): boolean {
    if (hook === "onChatState" || hook === "onReact") return this.hasMessageTags;
    return super.supports(hook, chat);
  }

  /** A join to `#chan@gateway` (or `#chan%server@gateway`) opens the channel's room on demand. */
  override async roomForJoin(jidLocal: string): Promise<AnyRoom | undefined> {
    const address = channelFromLocalpart(
      super.jidLocalToLegacyId(jidLocal),
      channelRulesOf(this.client?.network, this.account.host),
    );
    if (!address) return undefined;
    this.ircClient(); // not connected: refused now, before a room exists
    return this.rooms.byLegacyId(address.legacyId);
  }

  /** The channel of a room's legacy id (see channel-address.ts). */
  channelAddress(legacyId: string): ChannelAddress {
    const address = channelFromLocalpart(legacyId, channelRulesOf(this.client?.network, this.account.host));
    if (!address) throw new XmppError("item-not-found", "That is not an IRC channel.");
    return address;
  }

  /** The legacy id of a nick is its case-folded form, with the server's case mapping. */
  override jidLocalToLegacyId(jidLocal: string): string {
    return normalizeNick(super.jidLocalToLegacyId(jidLocal), this.caseMapping);
  }

  /** People the user talked to or added: IRC has no friend list, the gateway remembers them. */
  override async *listContacts(): AsyncIterable<IrcContact> {
    for (const legacyId of this.contacts.storedLegacyIds()) yield this.contacts.byLegacyId(legacyId);
  }

  /** The contact for a nick as the server spells it. */
  async contactByNick(nick: string): Promise<IrcContact> {
    const contact = await this.contacts.byLegacyId(normalizeNick(nick, this.caseMapping));
    contact.nick = nick;
    return contact;
  }

  /** Sends a text as PRIVMSGs: IRC formatting from XEP-0393, `/me` as an ACTION, lines split safely. */
  sendText(nick: string, body: string): void {
    sendPrivmsgs(this.requireClient(), nick, body);
  }

  sendTags(nick: string, tags: Record<string, string>): void {
    this.requireClient().tagmsg(nick, tags);
  }

  /** The connected IRC client, or the error a user understands. */
  ircClient(): Client {
    return this.requireClient();
  }

  private requireClient(): Client {
    if (!this.client?.connected) {
      throw new XmppError("recipient-unavailable", "The gateway is not connected to IRC right now.");
    }
    return this.client;
  }

  private listen(client: Client): void {
    const relay = (what: string, work: () => Promise<void>) => {
      work().catch((err) => this.log.warn({ err }, `could not relay an IRC ${what}`));
    };
    const isForUs = (event: { target: string }) => client.caseCompare(event.target, client.user.nick);
    const from = (event: MessageEvent) => this.contactByNick(event.nick);
    const when = (event: { time: number | undefined }) =>
      // server-time: only history the server replays is worth a delay stamp.
      event.time !== undefined && Date.now() - event.time > 5000 ? new Date(event.time) : undefined;

    client.on("privmsg", (event) => {
      if (!isForUs(event) || event.from_server) return;
      relay("message", async () => {
        const contact = await from(event);
        if (contact.currentPresence.available === false) await contact.online();
        await contact.sendText(ircToXmpp(event.message), {
          ...(event.tags.msgid ? { id: event.tags.msgid } : {}),
          ...(when(event) ? { when: when(event)! } : {}),
        });
      });
    });
    client.on("action", (event) => {
      if (!isForUs(event)) return;
      relay("action", async () => (await from(event)).sendText(`/me ${ircToXmpp(event.message)}`));
    });
    client.on("notice", (event) => {
      if (!isForUs(event)) return;
      relay("notice", async () => {
        // Server notices (and services before registration) are the network talking to the user.
        if (event.from_server || !event.nick) await this.sendGatewayMessage(ircToXmpp(event.message));
        else await (await from(event)).sendText(ircToXmpp(event.message));
      });
    });
    client.on("ctcp request", (event) => {
      // `message` is everything between the \x01s ("PING 1234").
      const request = parseCtcp(`\x01${event.message}\x01`);
      if (!request || !event.nick) return;
      // answerCtcp returns the whole \x01…\x01 reply, which goes out as a NOTICE.
      const answer = answerCtcp(request, { version: VERSION });
      if (answer !== undefined) client.raw("NOTICE", event.nick, answer);
    });
    client.on("tagmsg", (event) => relay("tag message", () => this.onTags(event)));
    client.on("nick", (event) => relay("nick change", () => this.onNickChange(event.nick, event.new_nick)));
    // Presence news about people who are no contact (yet) creates nothing.
    client.on("away", (event) => {
      if (!event.self) relay("away", async () => this.known(event.nick)?.away(event.message));
    });
    client.on("back", (event) => {
      if (!event.self) relay("back", async () => this.known(event.nick)?.online());
    });
    client.on("quit", (event) =>
      relay("quit", async () => this.known(event.nick)?.offline(event.message || undefined)),
    );
    client.on("users online", (event) => relay("presence", () => this.onIson(event.nicks.filter(Boolean))));
    client.on("socket close", () => this.onConnectionLost(client));
    listenToChannels(this, client, relay);
  }

  private async onTags(event: TagmsgEvent): Promise<void> {
    const contact = await this.contactByNick(event.nick);
    const typing = event.tags["+typing"];
    if (typing === "active") await contact.composing();
    else if (typing === "paused") await contact.paused();
    else if (typing === "done") await contact.active();
    const react = event.tags["+draft/react"];
    const reply = event.tags["+draft/reply"];
    if (react && reply) await contact.react(reply, [react]);
  }

  private async onNickChange(oldNick: string, newNick: string): Promise<void> {
    if (this.client?.caseCompare(oldNick, this.client.user.nick) || newNick === this.client?.user.nick)
      return;
    const before = this.known(oldNick);
    if (!before) return;
    const after = await this.contactByNick(newNick);
    // JIDs follow nicks: the old one says where it went, the new one comes online.
    await before.sendText(`(I am now known as ${newNick}: ${after.jid})`);
    await before.offline(`now known as ${newNick}`);
    await after.online();
  }

  private pollPresences(): void {
    const client = this.client;
    if (!client?.connected) return;
    const nicks = [...this.contacts].map((c) => c.nick ?? c.legacyId);
    // ISON takes as many nicks as fit in one line.
    for (let i = 0; i < nicks.length; i += 40) client.raw("ISON", nicks.slice(i, i + 40).join(" "));
  }

  private async onIson(online: string[]): Promise<void> {
    const mapping = this.caseMapping;
    const here = new Set(online.map((nick) => normalizeNick(nick, mapping)));
    for (const contact of this.contacts) {
      if (here.has(contact.legacyId)) {
        if (!contact.currentPresence.available) await contact.online();
      } else if (contact.currentPresence.available) {
        await contact.offline();
      }
    }
  }

  /** The contact for a nick, if there is one already. */
  private known(nick: string): IrcContact | undefined {
    return this.contacts.known(normalizeNick(nick, this.caseMapping));
  }

  /** The core reconnects (RECONNECT); contacts are offline until the first ISON after it. */
  private onConnectionLost(client: Client): void {
    if (this.stopping || client !== this.client) return;
    client.removeAllListeners();
    this.client = undefined;
    clearInterval(this.pollTimer);
    for (const contact of this.contacts) if (contact.currentPresence.available) void contact.offline();
    for (const room of this.channels) room.disconnected();
    void this.setConnectionState("transient-disconnect", "Lost the connection to IRC");
  }

  /** WHOIS as a search (XEP-0055, XEP-0100 prompt, `find`): one nick, exactly. */
  override async onSearch(values: FormValues): Promise<SearchResult> {
    const found = await whois(this.requireClient(), String(values.nick ?? "").trim());
    const contact = found && (await this.contactByNick(found.nick));
    return whoisResult(contact ? [{ jid: contact.jid, nick: found.nick, name: found.real_name ?? "" }] : []);
  }
}

/** Where a chat's messages go on IRC: the nick of a contact, the channel of a room. */
function targetOf(chat: IrcContact | IrcRoom): string {
  return chat instanceof IrcRoom ? chat.channel : chat.target;
}

export class IrcGateway extends BaseGateway<IrcSession, typeof IRC_OPTIONS> {
  static override COMPONENT_NAME = "IRC (Gangway)";
  static override OPTIONS = IRC_OPTIONS;
  static override COMPONENT_TYPE = "irc";
  static override ROSTER_GROUP = "IRC";
  /** IRC channels are rooms, joined by name (`#chan@gateway`). */
  static override GROUPS = true;
  static override REGISTRATION_INSTRUCTIONS =
    "Enter the IRC server and your nickname. The password, if any, is used for SASL PLAIN or as the server password.";
  static override SEARCH_FIELDS: readonly FormField[] = [
    { var: "nick", type: "text-single", label: "Nickname", required: true },
  ];
  static override SEARCH_TITLE = "Find an IRC user";
  static override SEARCH_INSTRUCTIONS = "The exact nickname (WHOIS).";
  /** IRC has no delivery reports: a message the server took is as delivered as we can know. */
  static override PROPER_RECEIPTS = false;
  static override WELCOME_MESSAGE =
    "Welcome to the IRC gateway. Write to nick@this-gateway to talk to someone; add them to your roster to see when they are online.";

  readonly Session = IrcSession;

  /** `--irc-server host:port[:plain]`: every user connects there, and the form does not ask for it. */
  protected override registrationFields(): readonly FormField[] {
    return registrationFields(this.options["irc-server"]);
  }

  /** Logs in once with the form's values: a wrong password or an unreachable server is said now. */
  override async validate(_userJid: string, form: FormValues): Promise<undefined> {
    const account = ircAccountFromForm(form, this.options["irc-server"]);
    const client = await connectIrc({ account, version: ctcpVersionText(VERSION), timeoutMs: 15_000 });
    client.quit("Gangway: registration checked");
    client.removeAllListeners();
    return undefined;
  }
}
