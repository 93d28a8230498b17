/**
 * Type declarations for the parts of irc-framework 4.14.0 (CommonJS, ships no types) that the
 * IRC gateway uses. Written from the package's source (src/client.js, src/connection.js,
 * src/networkinfo.js, src/transports/net.js, src/commands/handlers/*.js); nothing here is
 * guessed: an option, event or method that is not in that source is not declared.
 *
 * No top-level import/export: this file must stay a global script so that `declare module`
 * declares the module instead of augmenting one.
 */
declare module "irc-framework" {
  /** Options of `new Client(options)` / `client.connect(options)`; defaults from `_applyDefaultOptions`. */
  export interface ClientOptions {
    host: string;
    /** Default 6667 (transports/net.js), whatever `tls` says. */
    port?: number;
    /** TLS socket (`ssl` is the older alias). SNI is sent when `host` is not an IP address. */
    tls?: boolean;
    ssl?: boolean;
    /** Passed to `tls.connect`; Node's default (true) applies when left out. */
    rejectUnauthorized?: boolean;
    /** Default "ircbot". */
    nick?: string;
    /** Default "ircbot". */
    username?: string;
    /** Real name; default "ircbot". */
    gecos?: string;
    /**
     * Sent as `PASS`. When `account` is absent it is ALSO used for SASL PLAIN with the nick as
     * the account name (registration.js `getSaslAuth`).
     */
    password?: string;
    /**
     * SASL PLAIN credentials. An `account` object without `account` disables SASL even when
     * `password` is set.
     */
    account?: { account?: string; password?: string };
    /** "PLAIN" unless set; "EXTERNAL" uses `client_certificate`. */
    sasl_mechanism?: string;
    /** Ends the connection when SASL fails during CAP negotiation. Default false. */
    sasl_disconnect_on_fail?: boolean;
    client_certificate?: { private_key: string; certificate: string };
    /** Default "utf8"; anything iconv-lite knows. */
    encoding?: string;
    /**
     * Answer to CTCP VERSION, sent by the library itself. A falsy value turns the automatic
     * answer off and VERSION requests arrive as `ctcp request` events. Default
     * "node.js irc-framework".
     */
    version?: string | null;
    enable_chghost?: boolean;
    enable_setname?: boolean;
    /** Requests the `echo-message` capability. Default false. */
    enable_echomessage?: boolean;
    /** Default true. Reconnects only after a connection that was registered for over 5 s. */
    auto_reconnect?: boolean;
    /** Milliseconds, default 300000 (a jitter of 1–6 s is added). */
    auto_reconnect_max_wait?: number;
    /** Default 3; 0 also means 3 (`|| 3` in connection.js). */
    auto_reconnect_max_retries?: number;
    /** Seconds between client PINGs, default 30; 0 disables. */
    ping_interval?: number;
    /** Seconds without data before giving up, default 120; 0 disables. */
    ping_timeout?: number;
    /**
     * Bytes of text per PRIVMSG/NOTICE line: `say`/`notice` split longer lines (UTF-8 and
     * grapheme safe), `action` splits at this minus 9. Default 350.
     */
    message_max_length?: number;
    /** Local address to connect from. */
    outgoing_addr?: string;
    socks?: { host: string; port?: number; user?: string; pass?: string };
    webirc?: {
      password: string;
      username: string;
      hostname: string;
      address: string;
      options?: Record<string, string | boolean>;
    };
  }

  /** IRCv3 message tags as parsed: keys lower-cased, values unescaped ("" for value-less tags). */
  export type MessageTags = Record<string, string>;
  /** Tags to send: `true` writes a value-less tag. */
  export type OutgoingTags = Record<string, string | boolean | number>;

  export interface BatchInfo {
    id: string;
    type: string;
    params: string[];
  }

  /** `privmsg`, `notice` and `action` events (messaging.js). */
  export interface MessageEvent {
    /** True when the source has no nick (a server notice). */
    from_server: boolean;
    nick: string;
    ident: string;
    hostname: string;
    /** Our nick for a private message, the channel otherwise (STATUSMSG prefix removed). */
    target: string;
    /** The STATUSMSG prefix (`@` in `@#chan`), if any. */
    group: string | undefined;
    /** For `action`, the text after `\x01ACTION ` without the closing `\x01`. */
    message: string;
    tags: MessageTags;
    /** server-time in ms since the epoch, when the server sent the `time` tag. */
    time: number | undefined;
    /** The `account` tag (account-tag capability). */
    account: string | undefined;
    /** Set when the line came inside a BATCH. */
    batch: BatchInfo | undefined;
    /** Says `message` to the channel, or to the sender of a private message. */
    reply(message: string): void;
  }

  /** The `message` event: any of the three above, with its kind. */
  export interface AnyMessageEvent extends MessageEvent {
    type: "privmsg" | "notice" | "action";
  }

  /**
   * `ctcp request`: a PRIVMSG wrapped in `\x01` on both ends, except ACTION (an `action` event)
   * and VERSION while the `version` option is set (answered by the library).
   */
  export interface CtcpRequestEvent {
    from_server: boolean;
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    group: string | undefined;
    /** The CTCP command, upper-cased. */
    type: string | null;
    /** Everything between the `\x01`s, e.g. "PING 1234". */
    message: string;
    time: number | undefined;
    account: string | undefined;
    tags: MessageTags;
  }

  /** `ctcp response`: a NOTICE wrapped in `\x01` on both ends. `type` is not upper-cased. */
  export interface CtcpResponseEvent {
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    type: string;
    message: string;
    time: number | undefined;
    account: string | undefined;
    tags: MessageTags;
  }

  export interface TagmsgEvent {
    from_server: boolean;
    nick: string;
    ident: string;
    hostname: string;
    target: string;
    tags: MessageTags;
    time: number | undefined;
    account: string | undefined;
    batch: BatchInfo | undefined;
  }

  /** RPL_WELCOME (001). `connected` carries the same object. */
  export interface RegisteredEvent {
    nick: string;
    tags: MessageTags;
  }

  export interface NickEvent {
    nick: string;
    ident: string;
    hostname: string;
    new_nick: string;
    time: number | undefined;
    tags: MessageTags;
    batch: BatchInfo | undefined;
  }

  /** ERR_NICKNAMEINUSE (433) → `nick in use`; ERR_ERRONEOUSNICKNAME (432) → `nick invalid`. */
  export interface NickRefusedEvent {
    nick: string;
    reason: string;
    tags: MessageTags;
  }

  /**
   * `away` / `back`: away-notify (`self` false), RPL_NOWAWAY/RPL_UNAWAY for ourselves (`self`
   * true), and RPL_AWAY (301) outside a WHOIS, i.e. in answer to a PRIVMSG (`self` false).
   */
  export interface AwayEvent {
    self: boolean;
    nick: string;
    message: string;
    time: number | undefined;
    tags: MessageTags;
  }

  export interface JoinEvent {
    nick: string;
    ident: string;
    hostname: string;
    gecos: string;
    channel: string | undefined;
    /** Only with extended-join: the account, or false when logged out. */
    account?: string | false;
    time: number | undefined;
    tags: MessageTags;
    batch: BatchInfo | undefined;
  }

  /** PART (channel.js). `message` is "" without a part message. */
  export interface PartEvent {
    nick: string;
    ident: string;
    hostname: string;
    channel: string;
    message: string;
    time: number | undefined;
    tags: MessageTags;
    batch: BatchInfo | undefined;
  }

  /** KICK: `nick` kicked `kicked`; `message` is the reason (the kicker's nick when none was given). */
  export interface KickEvent {
    kicked: string;
    nick: string;
    ident: string;
    hostname: string;
    channel: string;
    message: string;
    time: number | undefined;
    tags: MessageTags;
    batch: BatchInfo | undefined;
  }

  /**
   * `topic`: RPL_TOPIC (332) and RPL_NOTOPIC (331, topic "") on join, without `nick`; a TOPIC
   * command with the setter's `nick` and `time`.
   */
  export interface TopicEvent {
    channel: string;
    topic: string;
    nick?: string;
    time?: number | undefined;
    tags: MessageTags;
  }

  /** RPL_TOPICWHOTIME (333): who set the topic, `when` in Unix seconds as sent. */
  export interface TopicSetByEvent {
    nick: string;
    ident: string;
    hostname: string;
    channel: string;
    when: string;
    tags: MessageTags;
  }

  /** One member of a channel in RPL_NAMREPLY: prefix symbols turned into their mode letters. */
  export interface UserlistMember {
    nick: string;
    ident: string;
    hostname: string;
    /** Prefix mode letters (`o` for `@`, `v` for `+`…), from ISUPPORT PREFIX. */
    modes: string[];
    tags: MessageTags;
  }

  /** `userlist`: RPL_ENDOFNAMES (366), with every RPL_NAMREPLY member before it. */
  export interface UserlistEvent {
    channel: string;
    users: UserlistMember[];
    tags: MessageTags;
  }

  /** MODE (misc.js): `modes` parsed with ISUPPORT CHANMODES and PREFIX, e.g. `{ mode: "+o", param: "bob" }`. */
  export interface ModeEvent {
    target: string;
    nick: string;
    modes: { mode: string; param: string | null }[];
    time: number | undefined;
    raw_modes: string;
    raw_params: string[];
    tags: MessageTags;
    batch: BatchInfo | undefined;
  }

  export interface QuitEvent {
    nick: string;
    ident: string;
    hostname: string;
    message: string;
    time: number | undefined;
    tags: MessageTags;
    batch: BatchInfo | undefined;
  }

  /**
   * `account`: ACCOUNT (account-notify) for anyone, RPL_LOGGEDIN (900) / RPL_LOGGEDOUT (901)
   * for ourselves. `account` is false when logged out. `loggedin`/`loggedout` carry the same.
   */
  export interface AccountEvent {
    nick: string;
    ident: string;
    hostname: string;
    account: string | false;
    time: number | undefined;
    tags: MessageTags;
  }

  /**
   * `sasl failed`. `capability_missing`: we had credentials (a `password` counts) but the
   * server did not ACK `sasl`; `unsupported_mechanism`: the server's `sasl=` list lacks ours;
   * `fail` (904), `too_long` (905), `nick_locked` (902) come with the server's text.
   */
  export interface SaslFailedEvent {
    reason: "fail" | "too_long" | "nick_locked" | "unsupported_mechanism" | "capability_missing";
    message?: string;
    nick?: string;
    time?: number | undefined;
    tags?: MessageTags;
  }

  /**
   * `irc error` (generics.js): ERROR (`error: "irc"`, `reason` = the server's text),
   * ERR_PASSWDMISMATCH (464), ERR_NOSUCHNICK (401), ERR_CANNOTSENDTOUSER, ERR_YOUREBANNEDCREEP
   * (465, `banned_from_network`), … Which of `nick`/`channel`/`reason` is set depends on `error`.
   */
  export interface IrcErrorEvent {
    error: string;
    reason?: string;
    nick?: string;
    channel?: string;
    server?: string;
    command?: string;
    target_group?: string;
  }

  /** `whois`, emitted at RPL_ENDOFWHOIS; `error: "not_found"` when the nick does not exist. */
  export interface WhoisEvent {
    nick: string;
    error?: "not_found";
    ident?: string;
    hostname?: string;
    real_name?: string;
    /** RPL_AWAY text while the user is away. */
    away?: string;
    server?: string;
    server_info?: string;
    operator?: string;
    channels?: string;
    modes?: string;
    /** Seconds, as sent. */
    idle?: string;
    /** Unix time in seconds, as sent. */
    logon?: string;
    registered_nick?: string;
    account?: string;
    secure?: boolean;
    certfp?: string;
    certfps?: string[];
    special?: string[];
    helpop?: string;
    bot?: string;
    country?: string;
    country_code?: string;
    asn?: string;
    actual_ip?: string;
    actual_hostname?: string;
    actual_username?: string;
  }

  export interface ReconnectingEvent {
    attempt: number;
    max_retries: number;
    /** Milliseconds until the next attempt. */
    wait: number;
  }

  export interface ServerOptionsEvent {
    /** ISUPPORT tokens by upper-cased name (`CASEMAPPING`, `NICKLEN`, `CHANTYPES` as an array…). */
    options: NetworkOptions;
    /** The capabilities enabled so far. */
    cap: string[];
    tags: MessageTags;
  }

  export interface CapEvent {
    command: string;
    capabilities: Record<string, string>;
  }

  export interface RawEvent {
    line: string;
    from_server: boolean;
  }

  export interface ClientEvents {
    /** RPL_WELCOME: registration with the server is complete. */
    registered: [event: RegisteredEvent];
    connected: [event: RegisteredEvent];
    /** A new connection attempt starts (also before each reconnection). */
    connecting: [];
    "socket connected": [];
    "raw socket connected": [socket: unknown];
    /**
     * The socket closed: the transport's last socket error, or false. Emitted before deciding
     * whether to reconnect. (`socket error` is proxied too but the TCP transport never emits it.)
     */
    "socket close": [error: Error | false];
    /** Closed for good: no reconnection follows. The argument says whether there was an error. */
    close: [hadError: boolean];
    reconnecting: [event: ReconnectingEvent];
    "ping timeout": [];
    privmsg: [event: MessageEvent];
    notice: [event: MessageEvent];
    action: [event: MessageEvent];
    message: [event: AnyMessageEvent];
    "ctcp request": [event: CtcpRequestEvent];
    "ctcp response": [event: CtcpResponseEvent];
    tagmsg: [event: TagmsgEvent];
    nick: [event: NickEvent];
    "nick in use": [event: NickRefusedEvent];
    "nick invalid": [event: NickRefusedEvent];
    away: [event: AwayEvent];
    back: [event: AwayEvent];
    join: [event: JoinEvent];
    part: [event: PartEvent];
    kick: [event: KickEvent];
    topic: [event: TopicEvent];
    topicsetby: [event: TopicSetByEvent];
    userlist: [event: UserlistEvent];
    mode: [event: ModeEvent];
    quit: [event: QuitEvent];
    whois: [event: WhoisEvent];
    account: [event: AccountEvent];
    loggedin: [event: AccountEvent];
    loggedout: [event: AccountEvent];
    "sasl failed": [event: SaslFailedEvent];
    "irc error": [event: IrcErrorEvent];
    "server options": [event: ServerOptionsEvent];
    "cap ls": [event: CapEvent];
    "cap ack": [event: CapEvent];
    "cap nak": [event: CapEvent];
    "cap new": [event: CapEvent];
    "cap del": [event: CapEvent];
    /** RPL_ISON (303): which of the nicks an ISON asked about are online. */
    "users online": [event: { nicks: string[]; tags: MessageTags }];
    raw: [event: RawEvent];
    debug: [message: string];
  }

  export interface NetworkOptions {
    CASEMAPPING: string;
    PREFIX: { symbol: string; mode: string }[];
    CHANTYPES?: string[];
    NICKLEN?: string;
    [token: string]: unknown;
  }

  export interface NetworkCapabilities {
    /** True while CAP negotiation is in progress. */
    negotiating: boolean;
    requested: string[];
    enabled: string[];
    /** Capabilities the server offered (CAP LS / NEW), with their values ("" when none). */
    available: Map<string, string>;
    isEnabled(capability: string): boolean;
  }

  export interface NetworkInfo {
    /** ISUPPORT NETWORK, "Network" until known. */
    name: string;
    /** The server's name, from RPL_WELCOME's prefix. */
    server: string;
    options: NetworkOptions;
    cap: NetworkCapabilities;
    /** An ISUPPORT token's value (`true` for tokens without one), by name in any case. */
    supports(token: string): unknown;
    /** Whether a client tag may be sent (message-tags enabled and not in CLIENTTAGDENY). */
    supportsTag(tag: string): boolean;
    isChannelName(name: string): boolean;
  }

  export interface ClientUser {
    nick: string;
    username: string;
    gecos: string;
    /** Filled from RPL_HOSTCLOAKING (396) or our own WHO reply; "" until then. */
    host: string;
    away: boolean;
    modes: Set<string>;
  }

  export class Message {
    constructor(command: string, ...params: string[]);
    tags: OutgoingTags;
    prefix: string;
    command: string;
    params: string[];
    to1459(): string;
  }

  export class Client {
    constructor(options?: ClientOptions);
    options: ClientOptions | null;
    readonly connected: boolean;
    user: ClientUser;
    network: NetworkInfo;

    on<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this;
    once<E extends keyof ClientEvents>(event: E, listener: (...args: ClientEvents[E]) => void): this;
    off<E extends keyof ClientEvents>(event: E, listener?: (...args: ClientEvents[E]) => void): this;
    removeListener<E extends keyof ClientEvents>(
      event: E,
      listener?: (...args: ClientEvents[E]) => void,
    ): this;
    removeAllListeners(event?: keyof ClientEvents): this;
    emit<E extends keyof ClientEvents>(event: E, ...args: ClientEvents[E]): boolean;

    /** Adds capabilities to request besides the library's own list; call before `connect`. */
    requestCap(capability: string | string[]): void;
    /** Starts connecting (closes the current connection first). Without options, reuses the last ones. */
    connect(options?: ClientOptions): void;
    /** Sends QUIT and ends the connection; no reconnection follows. */
    quit(message?: string): void;
    /** Writes one line; the last argument gets a `:` when it contains a space or starts with one. */
    raw(...args: (string | number)[]): void;
    raw(message: Message): void;
    ping(message?: string): void;
    changeNick(nick: string): void;
    /** Splits on newlines (empty lines dropped) and at `message_max_length` bytes. */
    say(target: string, message: string, tags?: OutgoingTags): void;
    notice(target: string, message: string, tags?: OutgoingTags): void;
    /** CTCP ACTION, split at `message_max_length - 9` bytes; returns the blocks sent. */
    action(target: string, message: string): string[];
    /** PRIVMSG `\x01TYPE params…\x01` (type upper-cased). */
    ctcpRequest(target: string, type: string, ...params: string[]): void;
    /** NOTICE `\x01TYPE params…\x01` (type upper-cased). */
    ctcpResponse(target: string, type: string, ...params: string[]): void;
    tagmsg(target: string, tags?: OutgoingTags): void;
    /** WHOIS; the callback gets the `whois` event for that nick (also on `error: "not_found"`). */
    whois(target: string, callback?: (event: WhoisEvent) => void): void;
    join(channel: string, key?: string): void;
    part(channel: string, message?: string): void;
    /** Compares with the server's CASEMAPPING (rfc1459 unless it said ascii/strict-rfc1459). */
    caseCompare(a: string, b: string): boolean;
    caseLower(text: string): string;
    caseUpper(text: string): string;
  }

  /** Parses one raw IRC line (tags, prefix, command, params). */
  export function ircLineParser(line: string): unknown;

  export const Helpers: {
    parseMask(mask: string): { nick: string; user: string; host: string };
  };
}
