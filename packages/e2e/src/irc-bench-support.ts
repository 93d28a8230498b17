import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  type BiboumiServer,
  connectIrcBot,
  type IrcBot,
  type IrcMessage,
  type NgircdServer,
  type ProsodyServer,
  startBiboumi,
  type TestClient,
} from "@gangway/testing";
import type { ThroughputResult } from "./bench-support.js";

/**
 * Helpers for irc.bench.ts: the gateways under test behind one interface, the "far end" (the IRC
 * side: a raw IRC bot on ngircd, or the bare component standing in for it), and the directional
 * throughput / round-trip measurements.
 */

const E2E_DIR = fileURLToPath(new URL("..", import.meta.url));

/** The IRC side of a 1:1 conversation with one XMPP user. */
export interface FarEnd {
  /** The nick the XMPP user writes to (gateway.jidFor(nick)). */
  readonly nick: string;
  /**
   * From now on, every 1:1 text the far end receives from that user (IRC nick, or bare JID for the
   * bare component) goes to `handler` (`undefined` stops it). In echo mode it is also sent back.
   */
  listen(from: UserKey, handler: ((text: string) => void) | undefined): void;
  /** Echo every received 1:1 text back to its sender, byte for byte. */
  setEcho(on: boolean): Promise<void>;
  /** Sends `texts` in order to the user whose IRC nick is `toNick` (XMPP JID `toJid`), without waiting. */
  send(toNick: string, toJid: string, texts: readonly string[]): void;
  close(): Promise<void>;
}

/** How the far end recognizes a user: IRC targets by nick, the bare component by bare JID. */
export interface UserKey {
  nick: string;
  bareJid: string;
}

export interface GatewayUnderTest {
  readonly name: string;
  /** The JID an XMPP user writes to for IRC nick `nick`. */
  jidFor(nick: string): string;
  /** Makes `client` a user of the gateway with IRC nick `nick`, ready for 1:1 messages both ways. */
  register(client: TestClient, nick: string): Promise<void>;
  /** Resident set size of the gateway process (VmRSS), bytes. */
  rssBytes(): number;
  /** CPU time (user + system) the gateway process has used so far, ms. */
  cpuMs(): number;
  /** The IRC side the bench talks to; created once per target. */
  farEnd(nick: string): Promise<FarEnd>;
  stop(): Promise<void>;
  /** Free-form facts printed under the table (throttling, process, …). */
  readonly notes: string[];
}

/** utime + stime of a process from /proc/<pid>/stat, ms (clock ticks of 10 ms). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

export function vmRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** A raw IRC bot on ngircd as the far end: listens with a never-matching waitForMessage. */
export class IrcBotFarEnd implements FarEnd {
  private handlers = new Map<string, (text: string) => void>();
  private echo = false;
  private readonly tap: Promise<unknown>;

  private constructor(private readonly bot: IrcBot) {
    let live = false;
    this.tap = bot
      .waitForMessage((message: IrcMessage) => {
        if (!live || message.kind !== "privmsg" || message.target !== bot.nick) return false;
        if (this.echo) void bot.say(message.from, message.text).catch(() => {});
        this.handlers.get(message.from.toLowerCase())?.(message.text);
        return false;
      }, 3_600_000)
      .catch(() => {});
    live = true;
  }

  static async connect(irc: NgircdServer, nick: string): Promise<IrcBotFarEnd> {
    const bot = await connectIrcBot({ host: irc.host, port: irc.port, nick, password: irc.password });
    return new IrcBotFarEnd(bot);
  }

  get nick(): string {
    return this.bot.nick;
  }

  listen(from: UserKey, handler: ((text: string) => void) | undefined): void {
    if (handler) this.handlers.set(from.nick.toLowerCase(), handler);
    else this.handlers.delete(from.nick.toLowerCase());
  }

  async setEcho(on: boolean): Promise<void> {
    this.echo = on;
  }

  send(toNick: string, _toJid: string, texts: readonly string[]): void {
    // bot.say writes synchronously in call order; it resolves once the line is on the socket.
    for (const text of texts) void this.bot.say(toNick, text).catch(() => {});
  }

  async close(): Promise<void> {
    // quit() closes the connection, which ends the tap's waiter.
    await this.bot.quit("bench done").catch(() => {});
    await this.tap;
  }
}

/**
 * biboumi as the gateway under test. `register` stores the user's server settings (the ngircd port,
 * no TLS, throttling off unless `throttleLimit` says otherwise) and joins a channel of the user's
 * own, because biboumi opens the IRC connection only for a channel join.
 */
export class BiboumiTarget implements GatewayUnderTest {
  readonly name = "biboumi";
  readonly notes: string[] = [];

  private constructor(
    readonly biboumi: BiboumiServer,
    private readonly irc: NgircdServer,
    private readonly throttleLimit: number | undefined,
  ) {}

  static async start(
    prosody: ProsodyServer,
    irc: NgircdServer,
    domain: string,
    options: { throttleLimit?: number } = {},
  ): Promise<BiboumiTarget> {
    const biboumi = await startBiboumi({ prosody, componentDomain: domain, ircServer: irc });
    return new BiboumiTarget(biboumi, irc, options.throttleLimit);
  }

  jidFor(nick: string): string {
    return this.biboumi.jidFor(nick);
  }

  register(client: TestClient, nick: string): Promise<void> {
    return this.registerWith(client, nick, this.throttleLimit);
  }

  /** As register(), with this throttle_limit (undefined: biboumi's default, 10). */
  async registerWith(client: TestClient, nick: string, throttleLimit: number | undefined): Promise<void> {
    await this.biboumi.configureIrcServer(client, throttleLimit === undefined ? {} : { throttleLimit });
    await this.biboumi.joinChannel(client, `#${nick}`, nick, 15_000);
  }

  rssBytes(): number {
    return this.biboumi.rssBytes();
  }

  cpuMs(): number {
    return procCpuMs(this.biboumi.pid);
  }

  farEnd(nick: string): Promise<FarEnd> {
    return IrcBotFarEnd.connect(this.irc, nick);
  }

  stop(): Promise<void> {
    return this.biboumi.stop();
  }
}

/**
 * Our IRC gateway (@gangway/irc-gateway) in its own Node process (so its RSS is its own), run
 * from packages/e2e with the packages' built dist: in-memory PGlite store, `--irc-server` pinned
 * to ngircd (plain), TCP_NODELAY as shipped by ComponentTransport.
 */
const OURS_SCRIPT = `
import { loadGatewayConfig } from "@gangway/core";
import { IrcGateway } from "@gangway/irc-gateway";
import { openStore } from "@gangway/store";
import { ComponentTransport } from "@gangway/xmpp";
import { pino } from "pino";

const spec = JSON.parse(process.env.GANGWAY_IRC_BENCH_OURS);
const logger = pino({ level: "silent" });
process.on("disconnect", () => process.exit(0));
try {
  const config = loadGatewayConfig({
    appName: "irc",
    argv: [
      "--jid", spec.domain, "--secret", spec.secret, "--server", "127.0.0.1", "--port", String(spec.port),
      "--irc-server", "127.0.0.1:" + spec.ircPort + ":plain",
    ],
    env: {},
    appOptions: [{ name: "irc-server", description: "" }],
  });
  const store = await openStore({ driver: "pglite" }, logger);
  const transport = new ComponentTransport({
    service: "xmpp://127.0.0.1:" + spec.port,
    domain: spec.domain,
    password: spec.secret,
    logger,
  });
  const gateway = new IrcGateway({ config, store, transport, logger });
  await gateway.start();
  process.on("message", async (message) => {
    try {
      if (message.cmd === "stop") {
        await gateway.stop();
        await store.close();
        process.send?.({ id: message.id });
        process.disconnect();
      }
    } catch (err) {
      process.send?.({ id: message.id, error: String(err?.stack ?? err) });
    }
  });
  process.send?.({ ready: true });
} catch (err) {
  process.send?.({ ready: false, error: String(err?.stack ?? err) });
  process.exit(1);
}
`;

/** A bench-owned Node child speaking a tiny IPC protocol: `{ ready }`, `{ id, error? }`, anything else to `onOther`. */
class ChildHost {
  private nextId = 0;
  private readonly pending = new Map<number, (error?: string) => void>();
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    onOther: (message: ChildMessage) => void,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (raw) => {
      const message = raw as ChildMessage;
      if (message.ready !== undefined) return;
      if (message.id !== undefined) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiter?.(message.error);
      } else onOther(message);
    });
    child.once("exit", () => {
      for (const waiter of this.pending.values()) waiter("child process exited");
      this.pending.clear();
    });
  }

  static start(
    what: string,
    script: string,
    env: Record<string, string>,
    onOther: (message: ChildMessage) => void,
    timeoutMs = 30_000,
  ): Promise<ChildHost> {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: E2E_DIR,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const host = new ChildHost(child, onOther);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${what} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on("message", (raw) => {
        const message = raw as ChildMessage;
        if (message.ready === undefined) return;
        clearTimeout(timer);
        if (message.ready) resolve(host);
        else reject(new Error(`${what} failed: ${message.error}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${what} exited with ${code} before it was ready`));
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("child has no PID");
    return this.child.pid;
  }

  request(message: Record<string, unknown>, timeoutMs = 20_000): Promise<void> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`child did not answer ${String(message.cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (error) => {
        clearTimeout(timer);
        if (error) reject(new Error(error));
        else resolve();
      });
      this.child.send({ ...message, id });
    });
  }

  /** Asks it to stop, SIGKILLs our child (by its own PID) after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request({ cmd: "stop" }).catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * Our IRC gateway as the gateway under test. `register` is XEP-0077 with the pinned-server form
 * (nickname, empty password), then waits for the gateway's "Connected to 127.0.0.1 as <nick>".
 */
export class OursTarget implements GatewayUnderTest {
  readonly name = "ours (@gangway/irc-gateway)";
  readonly notes: string[] = [];

  private constructor(
    private readonly host: ChildHost,
    private readonly irc: NgircdServer,
    readonly domain: string,
  ) {}

  static async start(prosody: ProsodyServer, irc: NgircdServer, domain: string): Promise<OursTarget> {
    const component = prosody.components.find((c) => c.domain === domain);
    if (!component) throw new Error(`no component ${domain} on this Prosody`);
    const spec = { domain, secret: component.secret, port: prosody.componentPort, ircPort: irc.port };
    const host = await ChildHost.start(
      `our IRC gateway on ${domain}`,
      OURS_SCRIPT,
      { GANGWAY_IRC_BENCH_OURS: JSON.stringify(spec) },
      (message) => {
        if (message.error) console.error(`our IRC gateway: ${message.error}`);
      },
    );
    return new OursTarget(host, irc, domain);
  }

  jidFor(nick: string): string {
    return `${nick.toLowerCase()}@${this.domain}`;
  }

  async register(client: TestClient, nick: string): Promise<void> {
    const id = `reg-${nick}`;
    await client.send(`
      <iq type="set" id="${id}" to="${this.domain}">
        <query xmlns="jabber:iq:register">
          <x xmlns="jabber:x:data" type="submit">
            <field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
            <field var="nickname"><value>${nick}</value></field>
            <field var="password"><value></value></field>
          </x>
        </query>
      </iq>`);
    const reply = await client.waitFor((s) => s.is("iq") && s.attrs.id === id, 15_000);
    if (reply.attrs.type !== "result") throw new Error(`registration of ${nick} failed: ${reply.toString()}`);
    await client.waitFor(
      (s) =>
        s.is("presence") &&
        s.attrs.from === this.domain &&
        s.getChildText("status") === `Connected to 127.0.0.1 as ${nick}`,
      15_000,
    );
  }

  rssBytes(): number {
    return vmRssBytes(this.host.pid);
  }

  cpuMs(): number {
    return procCpuMs(this.host.pid);
  }

  farEnd(nick: string): Promise<FarEnd> {
    return IrcBotFarEnd.connect(this.irc, nick);
  }

  stop(): Promise<void> {
    return this.host.stop();
  }
}

/**
 * The bare component's code, run with `node --input-type=module -e` from packages/e2e (workspace
 * packages resolve to their built dist): XmppComponent + ComponentTransport, no gateway core, no
 * store. It is its own far end: in sink mode it forwards every received body to the bench process
 * over IPC (batched per event-loop turn), in echo mode it answers each body with the same body; on
 * `send` it writes the given messages to the user. What it measures is the XMPP server's pipe.
 */
const BARE_SCRIPT = `
import { ComponentTransport, XmppComponent, xml } from "@gangway/xmpp";
import { pino } from "pino";

const spec = JSON.parse(process.env.GANGWAY_IRC_BENCH_BARE);
const logger = pino({ level: "silent" });
process.on("disconnect", () => process.exit(0));
let echo = false;
let batch = [];
let flushing = false;
let chain = Promise.resolve();
const flush = () => {
  flushing = false;
  const texts = batch;
  batch = [];
  process.send?.({ texts });
};
try {
  const transport = new ComponentTransport({
    service: "xmpp://127.0.0.1:" + spec.port,
    domain: spec.domain,
    password: spec.secret,
    logger,
  });
  const component = new XmppComponent(transport, { logger });
  // ComponentTransport queues sends in call order and flushes them in batches: no await per stanza.
  const write = (to, from, body) => {
    chain = component
      .send(xml("message", { to, from, type: "chat" }, xml("body", {}, body)))
      .catch((err) => process.send?.({ error: String(err?.stack ?? err) }));
  };
  component.onMessage((stanza) => {
    const body = stanza.getChildText("body");
    if (body === null || stanza.attrs.type === "error") return;
    if (echo) {
      write(stanza.attrs.from, stanza.attrs.to, body);
      return;
    }
    batch.push([String(stanza.attrs.from).split("/")[0], body]);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  });
  await component.start();
  process.on("message", async (message) => {
    try {
      if (message.cmd === "echo") {
        echo = message.on;
        process.send?.({ id: message.id });
      } else if (message.cmd === "send") {
        for (const text of message.texts) write(message.to, message.from, text);
      } else if (message.cmd === "stop") {
        await chain;
        await component.stop();
        process.send?.({ id: message.id });
        process.disconnect();
      }
    } catch (err) {
      process.send?.({ id: message.id, error: String(err?.stack ?? err) });
    }
  });
  process.send?.({ ready: true });
} catch (err) {
  process.send?.({ ready: false, error: String(err?.stack ?? err) });
  process.exit(1);
}
`;

/** What the bench's child processes send over IPC. */
interface ChildMessage {
  ready?: boolean;
  id?: number;
  error?: string;
  texts?: Array<[string, string]>;
}

/** The bare echo component in its own process: the XMPP server's pipe without any gateway. */
export class BareTarget implements GatewayUnderTest, FarEnd {
  readonly name = "bare component";
  readonly notes: string[] = [];
  private readonly handlers = new Map<string, (text: string) => void>();
  private host!: ChildHost;

  private constructor(readonly domain: string) {}

  static async start(prosody: ProsodyServer, domain: string): Promise<BareTarget> {
    const component = prosody.components.find((c) => c.domain === domain);
    if (!component) throw new Error(`no component ${domain} on this Prosody`);
    const spec = { domain, secret: component.secret, port: prosody.componentPort };
    const target = new BareTarget(domain);
    target.host = await ChildHost.start(
      `bare component ${domain}`,
      BARE_SCRIPT,
      { GANGWAY_IRC_BENCH_BARE: JSON.stringify(spec) },
      (message) => {
        for (const [from, text] of message.texts ?? []) target.handlers.get(from)?.(text);
        if (message.error) console.error(`bare component: ${message.error}`);
      },
    );
    return target;
  }

  // GatewayUnderTest
  jidFor(nick: string): string {
    return `${nick.toLowerCase()}@${this.domain}`;
  }

  /**
   * A stateless component has nothing to register: one round trip through the pipe instead (the
   * far end must be in echo mode), so a "user" has at least sent and received a message.
   */
  async register(client: TestClient, nick: string): Promise<void> {
    const body = `hello-from-${nick}`;
    const echoed = client.waitFor((s) => s.is("message") && s.getChildText("body") === body, 10_000);
    await client.send(
      `<message type="chat" to="${this.jidFor(this.farNick)}"><body>${body}</body></message>`,
    );
    await echoed;
  }

  rssBytes(): number {
    return vmRssBytes(this.host.pid);
  }

  cpuMs(): number {
    return procCpuMs(this.host.pid);
  }

  async farEnd(nick: string): Promise<FarEnd> {
    this.farNick = nick;
    return this;
  }

  stop(): Promise<void> {
    return this.host.stop();
  }

  // FarEnd: the component itself stands in for the IRC side.
  private farNick = "far";

  get nick(): string {
    return this.farNick;
  }

  /** The component sees JIDs, not nicks: keyed by the sender's bare JID. */
  listen(from: UserKey, handler: ((text: string) => void) | undefined): void {
    if (handler) this.handlers.set(from.bareJid, handler);
    else this.handlers.delete(from.bareJid);
  }

  setEcho(on: boolean): Promise<void> {
    return this.host.request({ cmd: "echo", on });
  }

  send(_toNick: string, toJid: string, texts: readonly string[]): void {
    this.host.child.send({ cmd: "send", to: toJid, from: this.jidFor(this.farNick), texts });
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}

export type DirectionResult = ThroughputResult & { direction: "xmpp→irc" | "irc→xmpp" };
