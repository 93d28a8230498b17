import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  connectIrcBot,
  type IrcBot,
  IrcBotClosedError,
  IrcConnectError,
  IrcReplyError,
  IrcTimeoutError,
  parseLine,
} from "./irc-bot.js";
import { type NgircdServer, startNgircd } from "./ngircd.js";
import { pickFreePorts } from "./server-process.js";

// One ngircd for the file (no test here restarts or stops it); every test uses fresh nicks.
let irc: NgircdServer;
const bots: IrcBot[] = [];
let counter = 0;

beforeAll(async () => {
  irc = await startNgircd();
});

afterAll(async () => {
  await irc?.stop();
});

afterEach(async () => {
  await Promise.all(bots.splice(0).map((b) => b.quit()));
});

async function bot(
  nick: string,
  options: Partial<Parameters<typeof connectIrcBot>[0]> = {},
): Promise<IrcBot> {
  const connected = await connectIrcBot({ host: irc.host, port: irc.port, nick, ...options });
  bots.push(connected);
  return connected;
}

/** Distinct nicks per test, so a slow QUIT from the previous test cannot collide. */
function nicks(...names: string[]): string[] {
  counter++;
  return names.map((name) => `${name}${counter}`);
}

/** What ngircd puts in front of a relayed message: `:nick!~user@127.0.0.1 PRIVMSG target :`. */
function relayPrefixBytes(sender: IrcBot, target: string, username = sender.nick): number {
  return Buffer.byteLength(`:${sender.nick}!~${username}@127.0.0.1 PRIVMSG ${target} :`);
}

describe("connectIrcBot against ngircd", () => {
  it("two bots exchange PRIVMSG, NOTICE and ACTION both ways", async () => {
    const [a, b] = nicks("alice", "bob") as [string, string];
    const alice = await bot(a);
    const bobBot = await bot(b);

    await alice.say(b, "hello bob");
    const hello = await bobBot.waitForMessage((m) => m.kind === "privmsg");
    expect(hello).toMatchObject({ from: a, target: b, text: "hello bob", kind: "privmsg", tags: {} });
    expect(hello.prefix).toBe(`${a}!~${a}@127.0.0.1`);

    await bobBot.notice(a, "a notice");
    await bobBot.action(a, "waves");
    await bobBot.say(a, "plain");
    expect(await alice.waitForMessage((m) => m.kind === "notice")).toMatchObject({
      from: b,
      text: "a notice",
    });
    expect(await alice.waitForMessage((m) => m.kind === "action")).toMatchObject({ from: b, text: "waves" });
    expect(await alice.waitForMessage((m) => m.kind === "privmsg")).toMatchObject({ from: b, text: "plain" });

    await alice.action(b, "smiles back");
    expect(await bobBot.waitForMessage((m) => m.kind === "action")).toMatchObject({
      from: a,
      target: b,
      text: "smiles back",
    });
    // Arrival order is kept in `received`; server notices from registration are not messages here.
    expect(alice.received.map((m) => m.kind)).toEqual(["notice", "action", "privmsg"]);
  });

  it("a 400-byte UTF-8 message arrives intact, byte for byte", async () => {
    const [a, b] = nicks("utfa", "utfb") as [string, string];
    const alice = await bot(a);
    const bobBot = await bot(b);
    // 2-, 3- and 4-byte characters and ASCII: 40 × (é 2 + € 3 + 🙂 4 + x 1) = 400 bytes.
    const text = "é€🙂x".repeat(40);
    expect(Buffer.byteLength(text)).toBe(400);
    await alice.say(b, text);
    const got = await bobBot.waitForMessage((m) => m.from === a);
    expect(got.text).toBe(text);
    expect(got.line.bytes).toBe(relayPrefixBytes(alice, b) + 400);
  });

  it('measures ngircd\'s limits: relays are cut to 510 bytes + CR LF with "[CUT]"; a client line over 512 is fatal', async () => {
    const [a, b] = nicks("lima", "limb") as [string, string];
    const alice = await bot(a);
    const bobBot = await bot(b);
    const room = 510 - relayPrefixBytes(alice, b);

    // The longest text that arrives intact fills the relayed line to exactly 510 bytes.
    const fits = "x".repeat(room);
    await alice.say(b, fits);
    const intact = await bobBot.waitForMessage((m) => m.from === a);
    expect(intact.text).toBe(fits);
    expect(intact.line.bytes).toBe(510);

    // One byte more is still a legal client line (its own prefix is shorter), but ngircd cuts the
    // relayed line at 505 bytes and appends "[CUT]", silently for the sender.
    await alice.say(b, `${"y".repeat(room)}1`);
    const cut = await bobBot.waitForMessage((m) => m.from === a);
    expect(cut.line.bytes).toBe(510);
    expect(cut.text).toBe(`${"y".repeat(room - 5)}[CUT]`);

    // The cut counts bytes, not characters: a 2-byte "é" straddling byte 505 is split, and the
    // receiver decodes the lone leading byte as U+FFFD. A gateway must split long messages itself.
    const keptBytes = room - 5;
    // One ASCII byte of padding when needed, so that byte 505 always falls inside an "é".
    const pad = keptBytes % 2 === 0 ? "a" : "";
    await alice.say(b, pad + "é".repeat(Math.ceil(room / 2)));
    const split = await bobBot.waitForMessage((m) => m.from === a);
    expect(split.line.bytes).toBe(510);
    expect(split.text).toBe(`${pad}${"é".repeat((keptBytes - pad.length - 1) / 2)}\ufffd[CUT]`);

    // say() refuses lines over 512 bytes; raw() sends one and ngircd drops the connection.
    await expect(alice.say(b, "w".repeat(510))).rejects.toThrow(RangeError);
    alice.raw(`PRIVMSG ${b} :${"w".repeat(500)}`);
    expect((await alice.closed).serverError).toBe("Request too long");
    await expect(alice.say(b, "too late")).rejects.toBeInstanceOf(IrcBotClosedError);
  });

  it("ctcpRequest resolves with the peer's reply; the default answers cover VERSION, PING and TIME", async () => {
    const [a, b, c] = nicks("ctcpa", "ctcpb", "ctcpc") as [string, string, string];
    const alice = await bot(a);
    await bot(b);
    const custom = await bot(c, { ctcpReplies: { VERSION: "custom 1.0" } });

    expect(await alice.ctcpRequest(b, "version")).toBe("Gangway test bot");
    expect(await alice.ctcpRequest(b, "PING", "12345")).toBe("12345");
    expect(Date.parse(await alice.ctcpRequest(b, "TIME"))).not.toBeNaN();
    expect(await alice.ctcpRequest(c, "VERSION")).toBe("custom 1.0");
    // The request itself is visible to the peer as a ctcp message.
    expect(await custom.waitForMessage((m) => m.kind === "ctcp")).toMatchObject({
      from: a,
      ctcpType: "VERSION",
      ctcpReply: false,
    });

    const quick = await bot(nicks("ctcpq")[0]!, { requestTimeoutMs: 300 });
    await expect(quick.ctcpRequest(c, "TIME")).rejects.toBeInstanceOf(IrcTimeoutError);
  });

  it("a nick change is seen by a bot sharing a channel; a taken nick is refused with 433", async () => {
    const [a, b, renamed] = nicks("nicka", "nickb", "renamed") as [string, string, string];
    const alice = await bot(a);
    const bobBot = await bot(b);
    const channel = `#nicks${counter}`;
    await alice.join(channel);
    const members = await bobBot.join(channel);
    expect(members.sort()).toEqual([`@${a}`, b].sort());

    await alice.changeNick(renamed);
    expect(alice.nick).toBe(renamed);
    const seen = await bobBot.waitForLine((l) => l.command === "NICK");
    expect(seen).toMatchObject({ from: a, params: [renamed] });

    const refused = await alice.changeNick(b).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(IrcReplyError);
    expect((refused as IrcReplyError).code).toBe("433");
    expect(alice.nick).toBe(renamed);

    // Messages to the new nick reach the renamed bot; the old nick is gone.
    await bobBot.say(renamed, "found you");
    expect(await alice.waitForMessage((m) => m.text === "found you")).toMatchObject({ target: renamed });
    expect(await bobBot.whois(a)).toBeUndefined();
  });

  it("whois reports user, host, real name, server and channels; away shows in WHOIS and on PRIVMSG", async () => {
    const [a, b] = nicks("whoa", "whob") as [string, string];
    const alice = await bot(a, { realname: "Alice Liddell", username: "liddell" });
    const bobBot = await bot(b);
    const channel = `#whois${counter}`;
    await alice.join(channel);

    const info = await bobBot.whois(a);
    expect(info).toMatchObject({
      nick: a,
      user: "~liddell",
      host: "127.0.0.1",
      realname: "Alice Liddell",
      server: "irc.localhost",
      away: undefined,
      channels: [`@${channel}`],
      operator: false,
    });
    expect(info?.idleSeconds).toBeGreaterThanOrEqual(0);

    await alice.away("gone fishing");
    expect((await bobBot.whois(a))?.away).toBe("gone fishing");
    // Messaging an away user answers RPL_AWAY to the sender, as a gateway user would see it.
    await bobBot.say(a, "are you there?");
    const rplAway = await bobBot.waitForLine((l) => l.command === "301");
    expect(rplAway.params.slice(1)).toEqual([a, "gone fishing"]);

    await alice.back();
    expect((await bobBot.whois(a))?.away).toBeUndefined();
    expect(await bobBot.whois("nobody-here")).toBeUndefined();
  });

  it("waitForMessage sees messages that came before the call and never returns one twice", async () => {
    const [a, b] = nicks("waita", "waitb") as [string, string];
    const alice = await bot(a);
    const bobBot = await bot(b);
    await alice.say(b, "one");
    await alice.say(b, "two");
    await bobBot.waitForLine((l) => l.command === "PRIVMSG" && l.params[1] === "two");
    expect((await bobBot.waitForMessage(() => true)).text).toBe("one");
    expect((await bobBot.waitForMessage(() => true)).text).toBe("two");
    const timeout = await bobBot.waitForMessage(() => true, 200).catch((e: unknown) => e);
    expect(timeout).toBeInstanceOf(IrcTimeoutError);
    expect((timeout as Error).message).toContain(`privmsg ${a} → ${b}: two`);
    expect(bobBot.received).toHaveLength(2);
  });

  it("quit is seen by channel members and closes the connection", async () => {
    const [a, b] = nicks("quita", "quitb") as [string, string];
    const alice = await bot(a);
    const bobBot = await bot(b);
    const channel = `#quit${counter}`;
    await alice.join(channel);
    await bobBot.join(channel);
    await alice.quit("see you");
    expect(alice.connected).toBe(false);
    const seen = await bobBot.waitForLine((l) => l.command === "QUIT");
    expect(seen.from).toBe(a);
    // ngircd wraps the quit message in quotes.
    expect(seen.params[0]).toBe('"see you"');
    await alice.quit(); // idempotent
  });

  it("registration failures are IrcConnectError: nick in use (433), connection refused", async () => {
    const [a] = nicks("taken") as [string];
    await bot(a);
    await expect(connectIrcBot({ host: irc.host, port: irc.port, nick: a })).rejects.toMatchObject({
      name: "IrcConnectError",
      code: "433",
    });
    const [closedPort] = (await pickFreePorts(1)) as [number];
    const refused = await connectIrcBot({ host: "127.0.0.1", port: closedPort, nick: "x" }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(IrcConnectError);
    expect((refused as Error).message).toContain("ECONNREFUSED");
    await expect(connectIrcBot({ host: irc.host, port: irc.port, nick: "bad nick" })).rejects.toThrow(
      "Invalid IRC nick",
    );
  });
});

describe("parseLine", () => {
  it("parses tags, prefix, middle and trailing parameters", () => {
    const line = parseLine(
      Buffer.from(
        "@time=2024-01-01T00:00:00.000Z;msgid=a\\sb\\:c;flag :nick!user@host PRIVMSG #chan :hi there",
      ),
    );
    expect(line).toMatchObject({
      tags: { time: "2024-01-01T00:00:00.000Z", msgid: "a b;c", flag: "" },
      prefix: "nick!user@host",
      from: "nick",
      command: "PRIVMSG",
      params: ["#chan", "hi there"],
    });
    expect(parseLine(Buffer.from("ping  :irc.localhost"))).toMatchObject({
      prefix: "",
      command: "PING",
      params: ["irc.localhost"],
    });
    expect(parseLine(Buffer.from(":irc.localhost 005 me NICKLEN=31 :are supported")).params).toEqual([
      "me",
      "NICKLEN=31",
      "are supported",
    ]);
  });
});
