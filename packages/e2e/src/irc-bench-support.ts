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
import { HostProcess, type HostStats, newBenchStore } from "./bench-host.js";
import { fixed, procCpuMs, type ThroughputResult } from "./bench-support.js";

/**
 * Helpers for irc.bench.ts: the gateways under test behind one interface, the "far end" (the IRC
 * side: a raw IRC bot on ngircd, or the bare component standing in for it), and the directional
 * throughput / round-trip measurements. The bare component is in irc-bench-bare.ts.
 */

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
  /**
   * Memory of the gateway process: Node processes after a forced GC (heapUsed too), biboumi its
   * VmRSS (C++: nothing to collect).
   */
  memory(): Promise<GatewayMemory>;
  /** The gateway's own counters (log lines, id map), for ours only. */
  stats?(): Promise<HostStats>;
  /** CPU time (user + system) the gateway process has used so far, ms. */
  cpuMs(): number;
  /** The IRC side the bench talks to; created once per target. */
  farEnd(nick: string): Promise<FarEnd>;
  stop(): Promise<void>;
  /** Free-form facts printed under the table (throttling, process, …). */
  readonly notes: string[];
}

export interface GatewayMemory {
  rss: number;
  /** null for biboumi. */
  heapUsed: number | null;
  /** Whether a GC ran right before the sample. */
  gc: boolean;
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

  async memory(): Promise<GatewayMemory> {
    return { rss: this.biboumi.rssBytes(), heapUsed: null, gc: false };
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
 * Our IRC gateway (@gangway/irc-gateway) in its own Node process (bench-host.ts, kind "irc"): a
 * new SQLite store in a temp home dir (the CLI's default), `--irc-server` pinned to ngircd (plain),
 * TCP_NODELAY as shipped by ComponentTransport. `register` is XEP-0077 with the pinned-server form
 * (nickname, empty password), then waits for the gateway's "Connected to 127.0.0.1 as <nick>".
 */
export class OursTarget implements GatewayUnderTest {
  readonly name = "ours (@gangway/irc-gateway)";
  readonly notes: string[] = [];

  private constructor(
    private readonly host: HostProcess,
    private readonly irc: NgircdServer,
    readonly domain: string,
    private readonly dropStore: () => Promise<void>,
  ) {}

  static async start(prosody: ProsodyServer, irc: NgircdServer, domain: string): Promise<OursTarget> {
    const component = prosody.components.find((c) => c.domain === domain);
    if (!component) throw new Error(`no component ${domain} on this Prosody`);
    const store = await newBenchStore("sqlite");
    try {
      const host = await HostProcess.start({
        kind: "irc",
        domain,
        secret: component.secret,
        port: prosody.componentPort,
        ircPort: irc.port,
        store: store.spec,
      });
      return new OursTarget(host, irc, domain, store.drop);
    } catch (error) {
      await store.drop();
      throw error;
    }
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
    const reply = await client.waitFor((s) => s.is("iq") && s.attrs.id === id, 30_000);
    if (reply.attrs.type !== "result") throw new Error(`registration of ${nick} failed: ${reply.toString()}`);
    await client.waitFor(
      (s) =>
        s.is("presence") &&
        s.attrs.from === this.domain &&
        s.getChildText("status") === `Connected to 127.0.0.1 as ${nick}`,
      30_000,
    );
  }

  memory(): Promise<GatewayMemory> {
    return this.host.memory();
  }

  stats(): Promise<HostStats> {
    return this.host.stats();
  }

  cpuMs(): number {
    return procCpuMs(this.host.pid);
  }

  farEnd(nick: string): Promise<FarEnd> {
    return IrcBotFarEnd.connect(this.irc, nick);
  }

  async stop(): Promise<void> {
    await this.host.stop();
    await this.dropStore();
  }
}

export type DirectionResult = ThroughputResult & { direction: "xmpp→irc" | "irc→xmpp" };

/** CPU ms used per 1000 messages during one measured direction, by process. */
export interface CpuShare {
  gateway: number;
  prosody: number;
  ngircd: number;
  bench: number;
}

/**
 * The round with the median msg/s; its lost/dup/reordered are replaced by the sums over all
 * rounds, and its CPU by the mean over all rounds (weighted by messages: more 10 ms ticks, less noise).
 */
export function medianRound(rounds: Array<[DirectionResult, CpuShare]>): [DirectionResult, CpuShare] {
  const sorted = [...rounds].sort((a, b) => a[0].msgPerSec - b[0].msgPerSec);
  const [mid] = sorted[Math.floor(sorted.length / 2)]!;
  const sum = (key: "lost" | "duplicated" | "reordered") => rounds.reduce((n, [d]) => n + d[key], 0);
  const received = rounds.reduce((n, [d]) => n + d.received, 0);
  const mean = (key: keyof CpuShare) =>
    fixed(rounds.reduce((n, [d, cpu]) => n + cpu[key] * d.received, 0) / Math.max(1, received), 1);
  return [
    { ...mid, lost: sum("lost"), duplicated: sum("duplicated"), reordered: sum("reordered") },
    { gateway: mean("gateway"), prosody: mean("prosody"), ngircd: mean("ngircd"), bench: mean("bench") },
  ];
}

export async function withCpu<T extends { received: number }>(
  target: { cpuMs(): number },
  prosody: ProsodyServer,
  irc: NgircdServer,
  run: () => Promise<T>,
): Promise<[T, CpuShare]> {
  const bench = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const sample = () => [target.cpuMs(), procCpuMs(prosody.pid), procCpuMs(irc.pid), bench()] as const;
  const before = sample();
  const result = await run();
  const after = sample();
  const per1000 = (i: number) => fixed(((after[i]! - before[i]!) / Math.max(1, result.received)) * 1000, 1);
  return [result, { gateway: per1000(0), prosody: per1000(1), ngircd: per1000(2), bench: per1000(3) }];
}
