import {
  connectIrcBot,
  type IrcBot,
  type IrcMessage,
  type NgircdServer,
  type ProsodyServer,
  type TestClient,
} from "@gangway/testing";
import { measureWindowed, type StanzaTap } from "./bench-support.js";
import { BareTarget } from "./irc-bench-bare.js";
import {
  BiboumiTarget,
  type CpuShare,
  type DirectionResult,
  medianRound,
  OursTarget,
  withCpu,
} from "./irc-bench-support.js";

/**
 * The channel fan-out of irc-channels.bench.ts: one XMPP user joined to one IRC channel through
 * each gateway (ours, biboumi), and the bare component standing in for both the gateway and the
 * channel (the XMPP server's pipe). Throughput both ways: an IRC bot's channel messages to the
 * joined user, and the user's groupchat messages to the channel (each reflected to the user, as
 * a MUC does; the bare component reflects too).
 */

export const CHANNEL = "#fanout";
const MUC = "http://jabber.org/protocol/muc";
const MUC_USER = "http://jabber.org/protocol/muc#user";

/** One gateway (or the bare pipe) with the user joined to CHANNEL and the IRC side ready. */
export interface ChannelUnderTest {
  readonly name: string;
  /** The room's bare JID. */
  readonly roomJid: string;
  /** The occupant nick the far end's messages come from. */
  readonly farNick: string;
  /** Says `texts` in the channel, in order, without waiting. */
  say(texts: readonly string[]): void;
  /** Every text the user said in the channel, as the IRC side got it, goes to `handler`. */
  listen(handler: ((text: string) => void) | undefined): void;
  cpuMs(): number;
  stop(): Promise<void>;
  readonly notes: string[];
}

/** A MUC join (no history) that resolves on the room's self-presence (110), or throws its error. */
export async function joinRoom(client: TestClient, room: string, nick: string): Promise<void> {
  await client.send(
    `<presence to="${room}/${nick}"><x xmlns="${MUC}"><history maxstanzas="0"/></x></presence>`,
  );
  const self = await client.waitFor(
    (s) =>
      s.is("presence") &&
      String(s.attrs.from).startsWith(`${room}/`) &&
      (s.attrs.type === "error" ||
        (s
          .getChild("x", MUC_USER)
          ?.getChildren("status")
          .some((status) => status.attrs.code === "110") ??
          false)),
    30_000,
  );
  if (self.attrs.type === "error") throw new Error(`could not join ${room}: ${self.toString()}`);
}

/** The IRC side of a channel: a raw bot in CHANNEL (it joins first, so it is op). */
class ChannelBot {
  private handler: ((text: string) => void) | undefined;
  private readonly tap: Promise<unknown>;

  private constructor(
    readonly bot: IrcBot,
    private readonly userNick: string,
  ) {
    let live = false;
    this.tap = bot
      .waitForMessage((message: IrcMessage) => {
        if (live && message.kind === "privmsg" && message.target.toLowerCase() === CHANNEL) {
          if (message.from.toLowerCase() === this.userNick.toLowerCase()) this.handler?.(message.text);
        }
        return false;
      }, 3_600_000)
      .catch(() => {});
    live = true;
  }

  static async join(irc: NgircdServer, nick: string, userNick: string): Promise<ChannelBot> {
    const bot = await connectIrcBot({ host: irc.host, port: irc.port, nick, password: irc.password });
    await bot.join(CHANNEL);
    return new ChannelBot(bot, userNick);
  }

  say(texts: readonly string[]): void {
    // bot.say writes synchronously in call order.
    for (const text of texts) void this.bot.say(CHANNEL, text).catch(() => {});
  }

  listen(handler: ((text: string) => void) | undefined): void {
    this.handler = handler;
  }

  async close(): Promise<void> {
    await this.bot.quit("bench done").catch(() => {});
    await this.tap;
  }
}

/** A gateway whose user joins CHANNEL as a room, with a bot in the channel. */
class GatewayChannel implements ChannelUnderTest {
  readonly notes: string[] = [];

  constructor(
    readonly name: string,
    readonly roomJid: string,
    private readonly bot: ChannelBot,
    private readonly target: { cpuMs(): number; stop(): Promise<void> },
  ) {}

  get farNick(): string {
    return this.bot.bot.nick;
  }

  say(texts: readonly string[]): void {
    this.bot.say(texts);
  }

  listen(handler: ((text: string) => void) | undefined): void {
    this.bot.listen(handler);
  }

  cpuMs(): number {
    return this.target.cpuMs();
  }

  async stop(): Promise<void> {
    await this.bot.close();
    await this.target.stop();
  }
}

/** Ours: XEP-0077 registration, then `#fanout@<domain>` joined (the gateway JOINs the channel). */
export async function oursChannel(
  prosody: ProsodyServer,
  irc: NgircdServer,
  domain: string,
  client: TestClient,
  nick: string,
): Promise<ChannelUnderTest> {
  const target = await OursTarget.start(prosody, irc, domain);
  try {
    const bot = await ChannelBot.join(irc, "farbot", nick);
    await target.register(client, nick);
    const room = `${CHANNEL}@${domain}`;
    await joinRoom(client, room, nick);
    return new GatewayChannel("ours (@gangway/irc-gateway)", room, bot, target);
  } catch (error) {
    await target.stop();
    throw error;
  }
}

/** biboumi: its server settings (throttling off, as in the 1:1 bench), then the channel joined. */
export async function biboumiChannel(
  prosody: ProsodyServer,
  irc: NgircdServer,
  domain: string,
  client: TestClient,
  nick: string,
): Promise<ChannelUnderTest> {
  const target = await BiboumiTarget.start(prosody, irc, domain, { throttleLimit: -1 });
  try {
    const bot = await ChannelBot.join(irc, "farbib", nick);
    await target.biboumi.configureIrcServer(client, { throttleLimit: -1 });
    await target.biboumi.joinChannel(client, CHANNEL, nick, 30_000);
    const channel = new GatewayChannel("biboumi", target.biboumi.channelJid(CHANNEL), bot, target);
    channel.notes.push(
      "history on (its default: every channel message is written to its SQLite database), throttle_limit -1",
    );
    return channel;
  } catch (error) {
    await target.stop();
    throw error;
  }
}

/** The bare component as both gateway and channel: groupchat messages straight through Prosody. */
export async function bareChannel(
  prosody: ProsodyServer,
  domain: string,
  client: TestClient,
  options: { mucStanzas?: boolean } = {},
): Promise<ChannelUnderTest> {
  const target = await BareTarget.start(prosody, domain, options);
  const roomJid = `${CHANNEL}@${domain}`;
  const farNick = "far";
  return {
    name: target.name,
    roomJid,
    farNick,
    notes: [
      options.mucStanzas
        ? "no IRC, no join; its groupchat messages carry what a MUC's do (id, markable, origin-id, stanza-id, occupant-id)"
        : "no IRC, no join: the component sends and reflects groupchat messages (a body only) itself",
    ],
    say: (texts) => target.sendGroupchat(`${roomJid}/${farNick}`, client.jid, texts),
    listen: (handler) => target.listen({ nick: "user", bareJid: client.bareJid }, handler),
    cpuMs: () => target.cpuMs(),
    stop: () => target.stop(),
  };
}

export interface ChannelResult {
  name: string;
  rounds: { xmppToIrc: DirectionResult[]; ircToXmpp: DirectionResult[] };
  xmppToIrc: DirectionResult;
  ircToXmpp: DirectionResult;
  cpu: { xmppToIrc: CpuShare; ircToXmpp: CpuShare };
  notes: string[];
}

export interface ChannelBenchSize {
  n: number;
  window: number;
  rounds: number;
  warmup: number;
}

/** Groupchat messages to `room`, one chain so the wire order is the call order; each text is its id. */
function groupchatSender(client: TestClient, room: string): (texts: string[]) => void {
  let chain: Promise<void> = Promise.resolve();
  return (texts) => {
    for (const text of texts) {
      chain = chain
        .then(() =>
          client.send(`<message type="groupchat" to="${room}" id="${text}"><body>${text}</body></message>`),
        )
        .catch(() => {});
    }
  };
}

/** Both directions, `rounds` times each (alternating), with the CPU every process used. */
export async function measureChannel(
  channel: ChannelUnderTest,
  client: TestClient,
  tap: StanzaTap,
  servers: { prosody: ProsodyServer; irc: NgircdServer },
  size: ChannelBenchSize,
  short: string,
): Promise<ChannelResult> {
  const fromFar = `${channel.roomJid}/${channel.farNick}`;
  const send = groupchatSender(client, channel.roomJid);
  const toIrc = async (count: number, tag: string): Promise<DirectionResult> => ({
    direction: "xmpp→irc",
    ...(await measureWindowed({ count, window: size.window, tag, send, listen: (h) => channel.listen(h) })),
  });
  const toXmpp = async (count: number, tag: string): Promise<DirectionResult> => ({
    direction: "irc→xmpp",
    ...(await measureWindowed({
      count,
      window: size.window,
      tag,
      send: (texts) => channel.say(texts),
      listen: (handler) => {
        tap.handler = handler
          ? (stanza) => {
              if (!stanza.is("message") || stanza.attrs.type !== "groupchat") return;
              if (String(stanza.attrs.from).toLowerCase() !== fromFar.toLowerCase()) return;
              const body = stanza.getChildText("body");
              if (body !== null) handler(body);
            }
          : () => {};
      },
    })),
  });
  await toIrc(size.warmup, `${short}-cw-out`);
  await toXmpp(size.warmup, `${short}-cw-in`);
  const target = { cpuMs: () => channel.cpuMs() };
  const out: Array<[DirectionResult, CpuShare]> = [];
  const inbound: Array<[DirectionResult, CpuShare]> = [];
  for (let round = 0; round < size.rounds; round++) {
    out.push(await withCpu(target, servers.prosody, servers.irc, () => toIrc(size.n, `${short}-co${round}`)));
    inbound.push(
      await withCpu(target, servers.prosody, servers.irc, () => toXmpp(size.n, `${short}-ci${round}`)),
    );
  }
  const [xmppToIrc, cpuOut] = medianRound(out);
  const [ircToXmpp, cpuIn] = medianRound(inbound);
  return {
    name: channel.name,
    rounds: { xmppToIrc: out.map(([d]) => d), ircToXmpp: inbound.map(([d]) => d) },
    xmppToIrc,
    ircToXmpp,
    cpu: { xmppToIrc: cpuOut, ircToXmpp: cpuIn },
    notes: channel.notes,
  };
}
