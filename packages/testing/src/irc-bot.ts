import { connect, type Socket } from "node:net";

/**
 * A small IRC client for tests: the "other IRC user" a gateway's users talk to.
 *
 * Written on raw `node:net` with its own line parser instead of irc-framework, on purpose:
 * - it stays independent of the gateway, which uses irc-framework: a parsing bug in that library
 *   cannot hide on both ends of a test;
 * - what a test sends is exactly what goes on the wire. irc-framework splits `say()` at 350
 *   characters, answers CTCPs, retries nicks and reconnects on its own, all of which would blur
 *   tests of line limits, nick errors and reconnects;
 * - every received line is kept with its byte length, so tests can measure what the server
 *   really delivered (truncation at 512 bytes) rather than what a library reassembled.
 */

export interface IrcBotOptions {
  host: string;
  port: number;
  nick: string;
  /** Server password, sent as `PASS` before `NICK`/`USER`. */
  password?: string;
  /** The `USER` name. Default: the nick's letters and digits, at most 9. */
  username?: string;
  /** The `USER` real name (WHOIS shows it). Default `Gangway test bot`. */
  realname?: string;
  /** How long registration (up to `001`) may take. Default 5 s. */
  connectTimeoutMs?: number;
  /** How long whois/ctcpRequest/changeNick/away/back/join/part wait for the server's answer. Default 5 s. */
  requestTimeoutMs?: number;
  /**
   * Automatic answers to CTCP requests, by upper-case type; a function gets the request's
   * parameters. Default: `VERSION` → `Gangway test bot`, `PING` → echoes its parameter,
   * `TIME` → the ISO time. `false` answers nothing.
   */
  ctcpReplies?: Readonly<Record<string, string | ((params: string) => string)>> | false;
}

/** One line as received, parsed (IRCv3 tags, prefix, command, parameters). */
export interface IrcLine {
  /** The decoded line without CR LF. */
  readonly raw: string;
  /** Bytes on the wire without CR LF (the server's 512-byte limit includes CR LF). */
  readonly bytes: number;
  readonly tags: Readonly<Record<string, string>>;
  /** `nick!user@host` or a server name; empty when the line has none. */
  readonly prefix: string;
  /** The nick (or server name) part of the prefix. */
  readonly from: string;
  /** Upper-cased command or three-digit numeric. */
  readonly command: string;
  readonly params: readonly string[];
  readonly receivedAt: Date;
}

export type IrcMessageKind = "privmsg" | "notice" | "action" | "ctcp";

/** A received PRIVMSG or NOTICE, CTCP decoded. */
export interface IrcMessage {
  /** Sender's nick (or the server's name for server notices). */
  readonly from: string;
  /** `nick!user@host` of the sender. */
  readonly prefix: string;
  /** Our nick for a private message, else the channel. */
  readonly target: string;
  /** The text; for `action` the action text; for `ctcp` the parameters after the CTCP type. */
  readonly text: string;
  readonly kind: IrcMessageKind;
  /** For `ctcp`: the upper-case CTCP type, e.g. `VERSION`. */
  readonly ctcpType?: string;
  /** For `ctcp`: true for a reply (sent as NOTICE), false for a request (sent as PRIVMSG). */
  readonly ctcpReply?: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly line: IrcLine;
}

export interface IrcWhois {
  nick: string;
  user: string;
  host: string;
  realname: string;
  server: string | undefined;
  /** The away message (RPL_AWAY 301), or undefined when not away. */
  away: string | undefined;
  /** Channels with their membership prefixes, e.g. `@#room`. */
  channels: string[];
  idleSeconds: number | undefined;
  operator: boolean;
  /** Every reply line between the request and RPL_ENDOFWHOIS. */
  replies: IrcLine[];
}

export interface IrcCloseInfo {
  /** The text of the server's `ERROR` line, if it sent one. */
  serverError: string | undefined;
  /** A socket error (e.g. ECONNRESET), if there was one. */
  socketError: Error | undefined;
}

export interface IrcBot {
  /** The current nick (follows accepted nick changes). */
  readonly nick: string;
  /** Every PRIVMSG/NOTICE received, in order (including ones already returned by waitForMessage). */
  readonly received: readonly IrcMessage[];
  /** Every line received, in order. */
  readonly lines: readonly IrcLine[];
  /** ISUPPORT (005) tokens, e.g. `NICKLEN` → `31`; flags map to `""`. */
  readonly isupport: Readonly<Record<string, string>>;
  readonly connected: boolean;
  /** Resolves when the connection has closed, for whatever reason. Never rejects. */
  readonly closed: Promise<IrcCloseInfo>;
  /** PRIVMSG. IRC has no acknowledgement: resolves once the line is written to the socket. */
  say(target: string, text: string): Promise<void>;
  notice(target: string, text: string): Promise<void>;
  /** CTCP ACTION (`/me`). */
  action(target: string, text: string): Promise<void>;
  /** Sends a CTCP request and resolves with the parameters of the target's CTCP reply of that type. */
  ctcpRequest(target: string, type: string, ...params: string[]): Promise<string>;
  /** Resolves once the server confirms the change; rejects with IrcReplyError (432, 433, …). */
  changeNick(newNick: string): Promise<void>;
  /** Marks us away (RPL_NOWAWAY 306); `back()` undoes it (RPL_UNAWAY 305). */
  away(message?: string): Promise<void>;
  back(): Promise<void>;
  /** Joins and resolves with the channel's member list (from NAMES, with prefixes such as `@`). */
  join(channel: string, key?: string): Promise<string[]>;
  part(channel: string, message?: string): Promise<void>;
  /**
   * The first received message matching `predicate` that no earlier waitForMessage returned,
   * including messages that arrived before the call. Default timeout 5 s; the error lists what arrived.
   */
  waitForMessage(predicate: (message: IrcMessage) => boolean, timeoutMs?: number): Promise<IrcMessage>;
  /** The same over raw lines (NICK, QUIT, JOIN, numerics, …), with its own "already returned" set. */
  waitForLine(predicate: (line: IrcLine) => boolean, timeoutMs?: number): Promise<IrcLine>;
  /** Resolves undefined when the server knows no such nick (ERR_NOSUCHNICK 401). */
  whois(nick: string): Promise<IrcWhois | undefined>;
  /** Sends QUIT and waits for the server to close the connection (destroys it after 3 s). Idempotent. */
  quit(message?: string): Promise<void>;
  /** Writes one line as is (CR LF appended). No length check, so tests can provoke the server's limit. */
  raw(line: string): void;
}

/** Registration failed: refused password, nick in use, timeout, connection refused. */
export class IrcConnectError extends Error {
  /** The numeric that refused us (e.g. `433`), if any. */
  readonly code: string | undefined;
  /** The server's `ERROR` text, e.g. ngircd's `Access denied: Bad password?`. */
  readonly serverError: string | undefined;
  readonly lines: readonly IrcLine[];

  constructor(
    message: string,
    details: { code?: string; serverError?: string; lines: readonly IrcLine[]; cause?: unknown },
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "IrcConnectError";
    this.code = details.code;
    this.serverError = details.serverError;
    this.lines = details.lines;
  }
}

/** The server answered a request with an error numeric. */
export class IrcReplyError extends Error {
  readonly code: string;
  readonly line: IrcLine;

  constructor(request: string, line: IrcLine) {
    super(`${request} failed: ${line.raw}`);
    this.name = "IrcReplyError";
    this.code = line.command;
    this.line = line;
  }
}

/** A wait ran out of time. */
export class IrcTimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "IrcTimeoutError";
  }
}

/** The connection closed while something was waiting for the server. */
export class IrcBotClosedError extends Error {
  constructor(what: string, info: IrcCloseInfo) {
    const reason = info.serverError ?? info.socketError?.message ?? "connection closed";
    super(`${what}: the IRC connection closed (${reason})`);
    this.name = "IrcBotClosedError";
  }
}

/** RFC 2812's line limit, CR LF included; ngircd disconnects a client that sends more. */
const MAX_LINE_BYTES = 512;
const DEFAULT_TIMEOUT_MS = 5000;
const CTCP = "\x01";

const NICK_ERRORS = new Set(["431", "432", "433", "436", "437", "484"]);
const JOIN_ERRORS = new Set(["403", "405", "471", "473", "474", "475", "476", "477", "489"]);

/** Connects, registers (PASS, NICK, USER) and resolves after the server's welcome (001). */
export async function connectIrcBot(options: IrcBotOptions): Promise<IrcBot> {
  checkParam("nick", options.nick);
  if (options.password !== undefined) checkText("password", options.password);
  const username = options.username ?? (options.nick.replace(/[^A-Za-z0-9]/g, "").slice(0, 9) || "bot");
  checkParam("username", username);
  const realname = options.realname ?? "Gangway test bot";
  checkText("realname", realname);

  const socket = connect({ host: options.host, port: options.port });
  const bot = new IrcBotConnection(socket, options);
  const where = `${options.host}:${options.port}`;
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT_MS;

  const welcome = bot.expect("registration", timeoutMs, (line) => {
    if (line.command === "001") return true;
    if (line.command === "ERROR") {
      throw new IrcConnectError(
        `IRC server ${where} refused "${options.nick}": ERROR :${line.params[0] ?? ""}`,
        {
          serverError: line.params[0],
          lines: bot.lines,
        },
      );
    }
    // Registration-time refusals: bad password, bad or taken nick, banned. The bot does not pick
    // another nick on its own: tests want to see the collision.
    if (/^(4[0-9][0-9]|5[0-9][0-9])$/.test(line.command) && !["421", "451"].includes(line.command)) {
      throw new IrcConnectError(`IRC server ${where} refused "${options.nick}": ${line.raw}`, {
        code: line.command,
        lines: bot.lines,
      });
    }
    return undefined;
  });
  const opened = new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  try {
    await opened;
  } catch (error) {
    welcome.catch(() => {});
    socket.destroy();
    throw new IrcConnectError(`Could not connect to IRC server ${where}: ${(error as Error).message}`, {
      lines: [],
      cause: error,
    });
  }
  if (options.password !== undefined) bot.raw(`PASS ${options.password}`);
  bot.raw(`NICK ${options.nick}`);
  bot.raw(`USER ${username} 0 * :${realname}`);
  try {
    await welcome;
  } catch (error) {
    socket.destroy();
    if (error instanceof IrcConnectError) throw error;
    throw new IrcConnectError(
      `IRC registration of "${options.nick}" at ${where} failed: ${(error as Error).message}`,
      {
        lines: bot.lines,
        cause: error,
      },
    );
  }
  return bot;
}

interface Waiter {
  onLine(line: IrcLine): void;
  onClose(info: IrcCloseInfo): void;
}

class IrcBotConnection implements IrcBot {
  readonly received: IrcMessage[] = [];
  readonly lines: IrcLine[] = [];
  readonly isupport: Record<string, string> = {};
  readonly closed: Promise<IrcCloseInfo>;
  #nick: string;
  #connected = true;
  #closeInfo: IrcCloseInfo | undefined;
  #serverError: string | undefined;
  #socketError: Error | undefined;
  #buffer: Buffer = Buffer.alloc(0);
  readonly #socket: Socket;
  readonly #waiters = new Set<Waiter>();
  readonly #returnedMessages = new Set<IrcMessage>();
  readonly #returnedLines = new Set<IrcLine>();
  readonly #requestTimeoutMs: number;
  readonly #ctcpReplies: Readonly<Record<string, string | ((params: string) => string)>>;
  /** WHOIS replies carry no request id: one WHOIS at a time keeps them apart. */
  #whoisQueue: Promise<unknown> = Promise.resolve();

  constructor(socket: Socket, options: IrcBotOptions) {
    this.#socket = socket;
    this.#nick = options.nick;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#ctcpReplies =
      options.ctcpReplies === false
        ? {}
        : (options.ctcpReplies ?? {
            VERSION: "Gangway test bot",
            PING: (params: string) => params,
            TIME: () => new Date().toISOString(),
          });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    // Without a listener an ECONNRESET would crash the test process; it is reported via `closed`.
    socket.on("error", (error) => {
      this.#socketError = error;
    });
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.#connected = false;
        const info = { serverError: this.#serverError, socketError: this.#socketError };
        this.#closeInfo = info;
        for (const waiter of [...this.#waiters]) waiter.onClose(info);
        resolve(info);
      });
    });
  }

  get nick(): string {
    return this.#nick;
  }

  get connected(): boolean {
    return this.#connected;
  }

  say(target: string, text: string): Promise<void> {
    return this.#sendText("PRIVMSG", target, text);
  }

  notice(target: string, text: string): Promise<void> {
    return this.#sendText("NOTICE", target, text);
  }

  action(target: string, text: string): Promise<void> {
    checkText("action text", text);
    return this.#sendText("PRIVMSG", target, `${CTCP}ACTION ${text}${CTCP}`);
  }

  async ctcpRequest(target: string, type: string, ...params: string[]): Promise<string> {
    const upper = type.toUpperCase();
    if (!/^[A-Z0-9]+$/.test(upper)) throw new Error(`Invalid CTCP type: ${JSON.stringify(type)}`);
    for (const param of params) checkText("CTCP parameter", param);
    const body = params.length > 0 ? `${upper} ${params.join(" ")}` : upper;
    const reply = this.expect(`CTCP ${upper} to ${target}`, this.#requestTimeoutMs, (line) => {
      const message = this.#toMessage(line);
      if (
        message?.kind === "ctcp" &&
        message.ctcpReply &&
        message.ctcpType === upper &&
        this.#sameName(message.from, target)
      ) {
        return message.text;
      }
      return undefined;
    });
    try {
      await this.#sendText("PRIVMSG", target, `${CTCP}${body}${CTCP}`);
    } catch (error) {
      reply.catch(() => {});
      throw error;
    }
    return reply;
  }

  async changeNick(newNick: string): Promise<void> {
    checkParam("nick", newNick);
    if (newNick === this.#nick) return; // servers answer nothing to a no-op change
    const oldNick = this.#nick;
    const done = this.expect(`NICK ${newNick}`, this.#requestTimeoutMs, (line) => {
      if (line.command === "NICK" && this.#sameName(line.from, oldNick)) return true;
      if (NICK_ERRORS.has(line.command)) throw new IrcReplyError(`NICK ${newNick}`, line);
      return undefined;
    });
    this.raw(`NICK ${newNick}`);
    await done;
  }

  async away(message = "away"): Promise<void> {
    checkText("away message", message);
    const done = this.expect("AWAY", this.#requestTimeoutMs, (line) =>
      line.command === "306" ? true : undefined,
    );
    this.raw(`AWAY :${message}`);
    await done;
  }

  async back(): Promise<void> {
    const done = this.expect("AWAY (back)", this.#requestTimeoutMs, (line) =>
      line.command === "305" ? true : undefined,
    );
    this.raw("AWAY");
    await done;
  }

  async join(channel: string, key?: string): Promise<string[]> {
    checkParam("channel", channel);
    if (key !== undefined) checkParam("channel key", key);
    const names: string[] = [];
    const done = this.expect(`JOIN ${channel}`, this.#requestTimeoutMs, (line) => {
      const about = line.command === "353" ? line.params[2] : line.params[1];
      if (line.command === "353" && about !== undefined && this.#sameName(about, channel)) {
        names.push(...(line.params[3] ?? "").split(" ").filter(Boolean));
      }
      if (line.command === "366" && about !== undefined && this.#sameName(about, channel)) return names;
      if (JOIN_ERRORS.has(line.command) && about !== undefined && this.#sameName(about, channel)) {
        throw new IrcReplyError(`JOIN ${channel}`, line);
      }
      return undefined;
    });
    this.raw(key === undefined ? `JOIN ${channel}` : `JOIN ${channel} ${key}`);
    return done;
  }

  async part(channel: string, message?: string): Promise<void> {
    checkParam("channel", channel);
    if (message !== undefined) checkText("part message", message);
    const done = this.expect(`PART ${channel}`, this.#requestTimeoutMs, (line) => {
      if (line.command === "PART" && this.#sameName(line.from, this.#nick)) {
        if (line.params[0] !== undefined && this.#sameName(line.params[0], channel)) return true;
      }
      if (["403", "442"].includes(line.command) && line.params[1] !== undefined) {
        if (this.#sameName(line.params[1], channel)) throw new IrcReplyError(`PART ${channel}`, line);
      }
      return undefined;
    });
    this.raw(message === undefined ? `PART ${channel}` : `PART ${channel} :${message}`);
    await done;
  }

  waitForMessage(
    predicate: (message: IrcMessage) => boolean,
    timeoutMs = DEFAULT_TIMEOUT_MS,
  ): Promise<IrcMessage> {
    const pick = (message: IrcMessage) => {
      if (this.#returnedMessages.has(message) || !predicate(message)) return undefined;
      this.#returnedMessages.add(message);
      return message;
    };
    for (const message of this.received) {
      const hit = pick(message);
      if (hit) return Promise.resolve(hit);
    }
    return this.expect("waitForMessage", timeoutMs, (line) => {
      // #onData records the message before waiters run, so it is the last one received.
      const message = this.received.at(-1);
      return message?.line === line ? pick(message) : undefined;
    }).catch((error: unknown) => {
      throw this.#withReceived(
        error,
        this.received.map((m) => `${m.kind} ${m.from} → ${m.target}: ${m.text}`),
      );
    });
  }

  waitForLine(predicate: (line: IrcLine) => boolean, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<IrcLine> {
    const pick = (line: IrcLine) => {
      if (this.#returnedLines.has(line) || !predicate(line)) return undefined;
      this.#returnedLines.add(line);
      return line;
    };
    for (const line of this.lines) {
      const hit = pick(line);
      if (hit) return Promise.resolve(hit);
    }
    return this.expect("waitForLine", timeoutMs, pick).catch((error: unknown) => {
      throw this.#withReceived(
        error,
        this.lines.slice(-30).map((l) => l.raw),
      );
    });
  }

  whois(nick: string): Promise<IrcWhois | undefined> {
    checkParam("nick", nick);
    const run = async (): Promise<IrcWhois | undefined> => {
      const replies: IrcLine[] = [];
      let notFound = false;
      const done = this.expect(`WHOIS ${nick}`, this.#requestTimeoutMs, (line) => {
        if (!/^\d{3}$/.test(line.command) || line.params[1] === undefined) return undefined;
        if (!this.#sameName(line.params[1], nick)) return undefined;
        replies.push(line);
        if (line.command === "401") notFound = true;
        return line.command === "318" ? true : undefined;
      });
      this.raw(`WHOIS ${nick}`);
      await done;
      const user = replies.find((l) => l.command === "311");
      if (notFound || !user) return undefined;
      const param = (code: string, index: number) => replies.find((l) => l.command === code)?.params[index];
      const idle = param("317", 2);
      return {
        nick: user.params[1] ?? nick,
        user: user.params[2] ?? "",
        host: user.params[3] ?? "",
        realname: user.params[5] ?? "",
        server: param("312", 2),
        away: param("301", 2),
        channels: replies
          .filter((l) => l.command === "319")
          .flatMap((l) => (l.params[2] ?? "").split(" ").filter(Boolean)),
        idleSeconds: idle === undefined ? undefined : Number(idle),
        operator: replies.some((l) => l.command === "313"),
        replies,
      };
    };
    const result = this.#whoisQueue.then(run, run);
    this.#whoisQueue = result.catch(() => {});
    return result;
  }

  async quit(message = "bye"): Promise<void> {
    if (!this.#connected) return;
    checkText("quit message", message);
    if (!this.#socket.destroyed && this.#socket.writable) this.raw(`QUIT :${message}`);
    const timer = setTimeout(() => this.#socket.destroy(), 3000);
    await this.closed;
    clearTimeout(timer);
  }

  raw(line: string): void {
    if (/[\r\n]/.test(line))
      throw new Error(`An IRC line must not contain CR or LF: ${JSON.stringify(line)}`);
    if (this.#socket.destroyed)
      throw new IrcBotClosedError(`Sending ${line.split(" ")[0]}`, this.#closeState());
    this.#socket.write(`${line}\r\n`);
  }

  /**
   * Registers a waiter before the caller sends its request, so a fast answer cannot be missed.
   * `onLine` returns a value to resolve, undefined to keep waiting, or throws to reject.
   */
  expect<T>(what: string, timeoutMs: number, onLine: (line: IrcLine) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#closeInfo) {
        reject(new IrcBotClosedError(what, this.#closeInfo));
        return;
      }
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        settle();
      };
      const waiter: Waiter = {
        onLine: (line) => {
          let value: T | undefined;
          try {
            value = onLine(line);
          } catch (error) {
            finish(() => reject(error));
            return;
          }
          if (value !== undefined) finish(() => resolve(value));
        },
        onClose: (info) => finish(() => reject(new IrcBotClosedError(what, info))),
      };
      const timer = setTimeout(
        () => finish(() => reject(new IrcTimeoutError(`${what}: no answer within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.#waiters.add(waiter);
    });
  }

  #closeState(): IrcCloseInfo {
    return this.#closeInfo ?? { serverError: this.#serverError, socketError: this.#socketError };
  }

  #withReceived(error: unknown, what: string[]): unknown {
    if (error instanceof IrcTimeoutError) {
      return new IrcTimeoutError(`${error.message}; received:\n${what.join("\n") || "(nothing)"}`);
    }
    return error;
  }

  async #sendText(command: "PRIVMSG" | "NOTICE", target: string, text: string): Promise<void> {
    checkParam("target", target);
    if (/[\r\n\0]/.test(text)) throw new Error(`IRC message text must not contain CR, LF or NUL`);
    const line = `${command} ${target} :${text}`;
    const bytes = Buffer.byteLength(line) + 2;
    // ngircd answers an over-long line with "ERROR :Request too long" and drops the connection:
    // refuse here with a clear error (raw() still sends anything, to test exactly that).
    if (bytes > MAX_LINE_BYTES) {
      throw new RangeError(`IRC line is ${bytes} bytes with CR LF, over the ${MAX_LINE_BYTES}-byte limit`);
    }
    if (this.#socket.destroyed) throw new IrcBotClosedError(command, this.#closeState());
    await new Promise<void>((resolve, reject) => {
      this.#socket.write(`${line}\r\n`, (error) => (error ? reject(error) : resolve()));
    });
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    // Split on bytes, not decoded text: a multi-byte UTF-8 character may straddle two chunks.
    for (let end = this.#buffer.indexOf(0x0a); end !== -1; end = this.#buffer.indexOf(0x0a)) {
      const lineBytes = this.#buffer.subarray(0, end > 0 && this.#buffer[end - 1] === 0x0d ? end - 1 : end);
      this.#buffer = this.#buffer.subarray(end + 1);
      if (lineBytes.length > 0) this.#onLine(parseLine(lineBytes));
    }
  }

  #onLine(line: IrcLine): void {
    this.lines.push(line);
    switch (line.command) {
      case "PING":
        this.raw(line.params.length > 0 ? `PONG :${line.params.at(-1)}` : "PONG");
        break;
      case "001":
        if (line.params[0]) this.#nick = line.params[0];
        break;
      case "005":
        for (const token of line.params.slice(1, -1)) {
          const eq = token.indexOf("=");
          if (eq === -1) this.isupport[token] = "";
          else this.isupport[token.slice(0, eq)] = token.slice(eq + 1);
        }
        break;
      case "NICK":
        if (this.#sameName(line.from, this.#nick) && line.params[0]) this.#nick = line.params[0];
        break;
      case "ERROR":
        this.#serverError = line.params[0];
        break;
      case "PRIVMSG":
      case "NOTICE": {
        const message = this.#toMessage(line);
        if (message) {
          this.received.push(message);
          this.#answerCtcp(message);
        }
        break;
      }
    }
    for (const waiter of [...this.#waiters]) waiter.onLine(line);
  }

  #toMessage(line: IrcLine): IrcMessage | undefined {
    if (line.command !== "PRIVMSG" && line.command !== "NOTICE") return undefined;
    const target = line.params[0] ?? "";
    const body = line.params[1] ?? "";
    const base = { from: line.from, prefix: line.prefix, target, tags: line.tags, line };
    if (body.startsWith(CTCP) && body.length > 1) {
      const inner = body.slice(1, body.endsWith(CTCP) ? -1 : undefined);
      const space = inner.indexOf(" ");
      const type = (space === -1 ? inner : inner.slice(0, space)).toUpperCase();
      const params = space === -1 ? "" : inner.slice(space + 1);
      if (type === "ACTION" && line.command === "PRIVMSG") return { ...base, kind: "action", text: params };
      return { ...base, kind: "ctcp", text: params, ctcpType: type, ctcpReply: line.command === "NOTICE" };
    }
    return { ...base, kind: line.command === "PRIVMSG" ? "privmsg" : "notice", text: body };
  }

  #answerCtcp(message: IrcMessage): void {
    // Answer only users' requests (a prefix with "!"), as NOTICE, so two bots cannot loop.
    if (message.kind !== "ctcp" || message.ctcpReply || !message.prefix.includes("!")) return;
    const answer = this.#ctcpReplies[message.ctcpType ?? ""];
    if (answer === undefined) return;
    const text = typeof answer === "function" ? answer(message.text) : answer;
    const body = text === "" ? message.ctcpType : `${message.ctcpType} ${text}`;
    this.#sendText("NOTICE", message.from, `${CTCP}${body}${CTCP}`).catch(() => {
      // The connection went away meanwhile: nobody to answer.
    });
  }

  /** Nick/channel comparison under the server's CASEMAPPING (ngircd: ascii). */
  #sameName(a: string, b: string): boolean {
    return foldCase(a, this.isupport.CASEMAPPING) === foldCase(b, this.isupport.CASEMAPPING);
  }
}

function foldCase(name: string, casemapping: string | undefined): string {
  const lower = name.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
  if (casemapping === "ascii") return lower;
  // rfc1459 (the RFC default) also folds []\~ to {}|^; strict-rfc1459 leaves ~ alone.
  return lower.replace(/[[\]\\~]/g, (ch) =>
    ch === "~" && casemapping === "strict-rfc1459"
      ? ch
      : ({ "[": "{", "]": "}", "\\": "|", "~": "^" }[ch] ?? ch),
  );
}

/** Parses `[@tags] [:prefix] COMMAND params… [:trailing]` (RFC 1459 + IRCv3 message tags). */
export function parseLine(bytes: Buffer): IrcLine {
  const raw = bytes.toString("utf8");
  let rest = raw;
  const tags: Record<string, string> = {};
  if (rest.startsWith("@")) {
    const space = rest.indexOf(" ");
    const tagText = space === -1 ? rest.slice(1) : rest.slice(1, space);
    rest = space === -1 ? "" : rest.slice(space + 1);
    for (const tag of tagText.split(";").filter(Boolean)) {
      const eq = tag.indexOf("=");
      if (eq === -1) tags[tag] = "";
      else tags[tag.slice(0, eq)] = unescapeTagValue(tag.slice(eq + 1));
    }
  }
  rest = rest.replace(/^ +/, "");
  let prefix = "";
  if (rest.startsWith(":")) {
    const space = rest.indexOf(" ");
    prefix = space === -1 ? rest.slice(1) : rest.slice(1, space);
    rest = space === -1 ? "" : rest.slice(space + 1);
  }
  rest = rest.replace(/^ +/, "");
  const commandEnd = rest.indexOf(" ");
  const command = (commandEnd === -1 ? rest : rest.slice(0, commandEnd)).toUpperCase();
  rest = commandEnd === -1 ? "" : rest.slice(commandEnd + 1);
  const params: string[] = [];
  while (rest.length > 0) {
    if (rest.startsWith(" ")) {
      rest = rest.slice(1);
      continue;
    }
    if (rest.startsWith(":")) {
      params.push(rest.slice(1));
      break;
    }
    const space = rest.indexOf(" ");
    params.push(space === -1 ? rest : rest.slice(0, space));
    rest = space === -1 ? "" : rest.slice(space + 1);
  }
  const bang = prefix.indexOf("!");
  const at = prefix.indexOf("@");
  const from = bang !== -1 ? prefix.slice(0, bang) : at !== -1 ? prefix.slice(0, at) : prefix;
  return { raw, bytes: bytes.length, tags, prefix, from, command, params, receivedAt: new Date() };
}

function unescapeTagValue(value: string): string {
  return value.replace(/\\(.?)/g, (_, ch: string) => ({ ":": ";", s: " ", r: "\r", n: "\n" })[ch] ?? ch);
}

/** A middle parameter: non-empty, no spaces or line breaks, not starting with ":". */
function checkParam(what: string, value: string): void {
  if (!/^[^\s:\0][^\s\0]*$/.test(value)) throw new Error(`Invalid IRC ${what}: ${JSON.stringify(value)}`);
}

function checkText(what: string, value: string): void {
  if (/[\r\n\0]/.test(value)) throw new Error(`IRC ${what} must not contain CR, LF or NUL`);
}
