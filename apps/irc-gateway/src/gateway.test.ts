import { startTestGateway } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import {
  connectIrcBot,
  type IrcBot,
  type MemoryTransport,
  type NgircdServer,
  startNgircd,
} from "@gangway/testing";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { IrcGateway, IrcSession } from "./gateway.js";

/**
 * The IRC gateway on an in-memory XMPP transport and a REAL ngIRCd: what the user's client
 * sends comes out as IRC lines a bot receives, and what the bot says comes in as stanzas.
 */

const GW = "irc.localhost";
const USER = "romeo@localhost";
const PASSWORD = "s3rver-pass";

class FastPollSession extends IrcSession {
  static override PRESENCE_POLL_MS = 150;
}
class TestIrcGateway extends IrcGateway {
  override readonly Session = FastPollSession;
}

let ircd: NgircdServer;
beforeAll(async () => {
  ircd = await startNgircd({ password: PASSWORD });
});
afterAll(async () => {
  await ircd?.stop();
});

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: IrcGateway;
  const bots: IrcBot[] = [];

  async function start() {
    ({ gateway, transport } = await startTestGateway(TestIrcGateway, store, {
      domain: GW,
      args: ["--irc-server", `127.0.0.1:${ircd.port}:plain`],
      keepStartupStanzas: true,
    }));
  }
  async function bot(nick: string): Promise<IrcBot> {
    const connected = await connectIrcBot({ host: "127.0.0.1", port: ircd.port, nick, password: PASSWORD });
    bots.push(connected);
    return connected;
  }
  beforeEach(async () => {
    store = await driver.openStore();
  });
  afterEach(async () => {
    await gateway?.stop();
    for (const b of bots.splice(0)) await b.quit().catch(() => {});
  });

  const register = (password: string, nickname = "romeo") =>
    transport.inject(`<iq type="set" id="reg" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register">
      <x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
      <field var="nickname"><value>${nickname}</value></field><field var="password"><value>${password}</value></field></x></query></iq>`);

  async function registered(nickname = "romeo") {
    await start();
    await register(PASSWORD, nickname);
    await transport.waitForSent((s) => s.is("iq") && s.attrs.id === "reg");
    await transport.waitForSent(
      (s) => /^Connected to 127\.0\.0\.1 as /.test(s.getChildText("status") ?? ""),
      10_000,
    );
  }

  const userSays = (to: string, body: string, id = "m1") =>
    transport.inject(
      `<message type="chat" id="${id}" from="${USER}/phone" to="${to}@${GW}"><body>${body}</body></message>`,
    );

  it("asks only for a nickname and password when the operator pinned the server", async () => {
    await start();
    await transport.inject(
      `<iq type="get" id="f" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`,
    );
    const form = transport.nextSent().getChild("query")!.getChild("x", "jabber:x:data")!;
    expect(form.getChildren("field").map((f) => f.attrs.var)).toEqual(["FORM_TYPE", "nickname", "password"]);
  });

  it("refuses a wrong password at registration with not-authorized, then registers and logs in", async () => {
    await start();
    await register("wrong");
    const refused = await transport.waitForSent((s) => s.is("iq") && s.attrs.id === "reg", 10_000);
    expect(refused.attrs.type).toBe("error");
    expect(
      refused.getChild("error")?.getChild("not-authorized", "urn:ietf:params:xml:ns:xmpp-stanzas"),
    ).toBeDefined();
    expect(refused.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toMatch(
      /refused the password/,
    );
    expect(await store.users.get(USER)).toBeUndefined();
    while (transport.uncheckedCount > 0) transport.nextSent();
    await register(PASSWORD);
    await transport.waitForSent(
      (s) => s.getChildText("status") === "Connected to 127.0.0.1 as romeo",
      10_000,
    );
  });

  it("private messages both ways, with IRC formatting ↔ XEP-0393 styling", async () => {
    await registered();
    const alice = await bot("alice");
    await userSays("alice", "hello *there*");
    const got = await alice.waitForMessage((m) => m.kind === "privmsg" && m.from === "romeo");
    expect(got.text).toBe("hello \x02there\x02");

    await alice.say("romeo", "hi \x1Dromeo\x1D");
    const stanza = await transport.waitForSent(
      (s) => s.is("message") && s.getChildText("body") === "hi _romeo_",
    );
    expect(stanza.attrs.from).toBe(`alice@${GW}/gangway`);
    // No delivery reports on IRC: the gateway acks what the server took (PROPER_RECEIPTS false).
  });

  it("passes a shared file on as its URL, and a URL from IRC stays a link", async () => {
    await registered();
    const alice = await bot("alice");
    const url = "https://upload.example.org/abc/photo.jpg";
    await transport.inject(
      `<message type="chat" id="f1" from="${USER}/phone" to="alice@${GW}"><body>${url}</body>` +
        `<x xmlns="jabber:x:oob"><url>${url}</url></x></message>`,
    );
    const got = await alice.waitForMessage((m) => m.kind === "privmsg" && m.from === "romeo");
    expect(got.text).toBe(url);
    await alice.say("romeo", `look: ${url}`);
    await transport.waitForSent((s) => s.is("message") && s.getChildText("body") === `look: ${url}`);
  });

  it("/me both ways as CTCP ACTION, and a NOTICE arrives as a chat message", async () => {
    await registered();
    const alice = await bot("alice");
    await userSays("alice", "/me waves");
    const action = await alice.waitForMessage((m) => m.kind === "action");
    expect(action.text).toBe("waves");
    await alice.action("romeo", "nods");
    await transport.waitForSent((s) => s.getChildText("body") === "/me nods");
    await alice.notice("romeo", "just so you know");
    await transport.waitForSent((s) => s.getChildText("body") === "just so you know");
  });

  it("splits a long, multi-line body at the protocol's byte limit without cutting a character", async () => {
    await registered();
    const alice = await bot("alice");
    const word = "grüße😀";
    const long = Array.from({ length: 120 }, () => word).join(" ");
    await userSays("alice", `first line\n${long}`);
    await alice.waitForMessage((m) => m.text === "first line");
    const parts: string[] = [];
    while (parts.join(" ") !== long) {
      const next = await alice.waitForMessage((m) => m.kind === "privmsg" && m.text !== "first line");
      expect(next.line.bytes).toBeLessThanOrEqual(510);
      expect(next.text).not.toContain("\uFFFD");
      parts.push(next.text);
    }
    expect(parts.length).toBeGreaterThan(1);
  });

  it("answers CTCP VERSION and PING", async () => {
    await registered();
    const alice = await bot("alice");
    expect(await alice.ctcpRequest("romeo", "VERSION")).toMatch(/Gangway IRC gateway/);
    expect(await alice.ctcpRequest("romeo", "PING", "12345")).toBe("12345");
  });

  it("shows contacts online and offline by polling ISON", async () => {
    await registered();
    await transport.inject(`<presence type="subscribe" from="${USER}" to="bob@${GW}"/>`);
    await transport.waitForSent((s) => s.attrs.type === "subscribed" && s.attrs.from === `bob@${GW}`);
    const bob = await bot("bob");
    await transport.waitForSent(
      (s) => s.is("presence") && s.attrs.from === `bob@${GW}/gangway` && !s.attrs.type,
      5000,
    );
    await bob.quit();
    await transport.waitForSent(
      (s) => s.attrs.from === `bob@${GW}/gangway` && s.attrs.type === "unavailable",
      5000,
    );
  });

  it("finds a user by nick with WHOIS (XEP-0055)", async () => {
    await registered();
    await bot("carol");
    await transport.inject(`<iq type="set" id="s1" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:search">
      <x xmlns="jabber:x:data" type="submit"><field var="nick"><value>carol</value></field></x></query></iq>`);
    const result = await transport.waitForSent((s) => s.attrs.id === "s1");
    const item = result.getChild("query")!.getChild("x")!.getChild("item")!;
    expect(item.getChildren("field").map((f) => f.getChildText("value"))).toEqual([
      `carol@${GW}`,
      "carol",
      "Gangway test bot",
    ]);
  });

  it("takes another nick when its own is in use", async () => {
    await bot("romeo");
    await registered();
    expect(gateway.sessionFor(USER)!.isLoggedIn).toBe(true);
    expect(transport.sent.some((s) => s.getChildText("status") === "Connected to 127.0.0.1 as romeo_")).toBe(
      true,
    );
  });

  it("says when the IRC connection is lost, reconnects by itself and works again", async () => {
    await registered();
    await ircd.restart({ downMs: 300 });
    await transport.waitForSent(
      (s) => /^Lost the connection to IRC/.test(s.getChildText("status") ?? ""),
      5000,
    );
    await transport.waitForSent(
      (s) => s.getChildText("status") === "Connected to 127.0.0.1 as romeo",
      10_000,
    );
    const alice = await bot("alice");
    await userSays("alice", "back again", "m2");
    await alice.waitForMessage((m) => m.text === "back again");
  });

  it("follows a contact's nick change when IRC shows it (a channel in common)", async () => {
    await registered();
    const alice = await bot("alice");
    await alice.say("romeo", "hi");
    await transport.waitForSent((s) => s.getChildText("body") === "hi");
    // IRC tells about nick changes only to people who share a channel: make them share one.
    const client = (gateway.sessionFor(USER) as unknown as { client: { join(channel: string): void } })
      .client;
    client.join("#gangway");
    await alice.join("#gangway");
    await new Promise((resolve) => setTimeout(resolve, 200));
    await alice.changeNick("alicia");
    const moved = await transport.waitForSent((s) =>
      /now known as alicia/.test(s.getChildText("body") ?? ""),
    );
    expect(moved.attrs.from).toBe(`alice@${GW}/gangway`);
    expect(moved.getChildText("body")).toBe(`(I am now known as alicia: alicia@${GW})`);
    await transport.waitForSent(
      (s) => s.is("presence") && s.attrs.from === `alicia@${GW}/gangway` && !s.attrs.type,
    );
  });
});
