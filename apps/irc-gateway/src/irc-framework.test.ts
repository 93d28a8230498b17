/**
 * Checks the facts src/types/irc-framework.d.ts states against the real irc-framework 4.14.0,
 * without a network: server lines are fed to a client whose socket writes are captured.
 * If an upgrade changes an event name, a field or a default, this fails before the gateway does.
 */
import { Client, type ClientOptions, ircLineParser } from "irc-framework";
import { describe, expect, it } from "vitest";

interface Internals {
  connection: {
    emit(event: "message", message: unknown, line: string): void;
    write(line: string): boolean;
    options: ClientOptions;
  };
  _applyDefaultOptions(options: ClientOptions): ClientOptions;
}

/** A client that thinks it is connected: `serverSays` feeds it lines, `sent` holds what it wrote. */
function fakeClient(options: Partial<ClientOptions> = {}) {
  const client = new Client();
  const internals = client as unknown as Internals;
  const full = internals._applyDefaultOptions({ host: "irc.example.org", nick: "me", ...options });
  client.options = full;
  internals.connection.options = full;
  client.user.nick = full.nick ?? "";
  const sent: string[] = [];
  internals.connection.write = (line: string) => {
    sent.push(line);
    return true;
  };
  const serverSays = (line: string) => internals.connection.emit("message", ircLineParser(line), line);
  return { client, sent, serverSays };
}

describe("irc-framework: defaults", () => {
  it("has the defaults the declarations document", () => {
    const { client } = fakeClient();
    expect(client.options).toMatchObject({
      auto_reconnect: true,
      auto_reconnect_max_wait: 300000,
      auto_reconnect_max_retries: 3,
      enable_echomessage: false,
      message_max_length: 350,
      ping_interval: 30,
      ping_timeout: 120,
      version: "node.js irc-framework",
      sasl_disconnect_on_fail: false,
    });
    expect(client.network.options.CASEMAPPING).toBe("rfc1459");
    expect(client.network.cap.available).toBeInstanceOf(Map);
  });
});

describe("irc-framework: messages", () => {
  it("reports a private message with its tags", () => {
    const { client, serverSays } = fakeClient();
    const events: unknown[] = [];
    client.on("privmsg", (event) => events.push(event));
    serverSays("@time=2024-01-02T03:04:05.000Z;account=bobacct :bob!b@host PRIVMSG me :hello there");
    expect(events).toMatchObject([
      {
        nick: "bob",
        ident: "b",
        hostname: "host",
        target: "me",
        message: "hello there",
        time: Date.parse("2024-01-02T03:04:05.000Z"),
        account: "bobacct",
        from_server: false,
      },
    ]);
  });

  it("reports /me as an action, CTCP as a ctcp request, both delimiters required", () => {
    const { client, serverSays } = fakeClient();
    const seen: string[] = [];
    client.on("action", (event) => seen.push(`action:${event.message}`));
    client.on("ctcp request", (event) => seen.push(`ctcp:${event.type}:${event.message}`));
    client.on("privmsg", (event) => seen.push(`privmsg:${JSON.stringify(event.message)}`));
    serverSays(":bob!b@h PRIVMSG me :\x01ACTION waves\x01");
    serverSays(":bob!b@h PRIVMSG me :\x01PING 123\x01");
    serverSays(":bob!b@h PRIVMSG me :\x01ACTION no closing");
    expect(seen).toEqual(["action:waves", "ctcp:PING:PING 123", 'privmsg:"\\u0001ACTION no closing"']);
  });

  it("answers CTCP VERSION itself while `version` is set, and reports it when it is not", () => {
    const withVersion = fakeClient({ version: "Gangway IRC gateway 0.0.0" });
    withVersion.serverSays(":bob!b@h PRIVMSG me :\x01VERSION\x01");
    expect(withVersion.sent).toEqual(["NOTICE bob :\x01VERSION Gangway IRC gateway 0.0.0\x01"]);

    const withoutVersion = fakeClient({ version: null });
    const requests: string[] = [];
    withoutVersion.client.on("ctcp request", (event) => requests.push(event.message));
    withoutVersion.serverSays(":bob!b@h PRIVMSG me :\x01VERSION\x01");
    expect(withoutVersion.sent).toEqual([]);
    expect(requests).toEqual(["VERSION"]);
  });

  it("emits `message` with the kind for privmsg, notice and action", () => {
    const { client, serverSays } = fakeClient();
    const kinds: string[] = [];
    client.on("message", (event) => kinds.push(event.type));
    serverSays(":bob!b@h PRIVMSG me :a");
    serverSays(":bob!b@h NOTICE me :b");
    serverSays(":bob!b@h PRIVMSG me :\x01ACTION c\x01");
    expect(kinds).toEqual(["privmsg", "notice", "action"]);
  });

  it("reports tagmsg tags and ctcp responses", () => {
    const { client, serverSays } = fakeClient();
    const seen: unknown[] = [];
    client.on("tagmsg", (event) => seen.push(event.tags));
    client.on("ctcp response", (event) => seen.push([event.type, event.message]));
    serverSays("@+typing=active :bob!b@h TAGMSG me");
    serverSays(":bob!b@h NOTICE me :\x01PING 42\x01");
    expect(seen).toEqual([{ "+typing": "active" }, ["PING", "PING 42"]]);
  });

  it("splits say() at message_max_length and drops empty lines", () => {
    const { client, sent } = fakeClient({ message_max_length: 10 });
    client.say("bob", "0123456789abc\n\nsecond");
    expect(sent).toEqual(["PRIVMSG bob 0123456789", "PRIVMSG bob abc", "PRIVMSG bob second"]);
  });
});

describe("irc-framework: nicks, presence, errors", () => {
  it("reports 433, NICK, AWAY and 401", () => {
    const { client, serverSays } = fakeClient();
    const seen: unknown[] = [];
    client.on("nick in use", (event) => seen.push(["in use", event.nick]));
    client.on("nick", (event) => seen.push(["nick", event.nick, event.new_nick]));
    client.on("away", (event) => seen.push(["away", event.nick, event.message, event.self]));
    client.on("back", (event) => seen.push(["back", event.nick]));
    client.on("irc error", (event) => seen.push(["error", event.error, event.nick]));
    serverSays(":server 433 * me :Nickname is already in use");
    serverSays(":bob!b@h NICK :robert");
    serverSays(":robert!b@h AWAY :lunch");
    serverSays(":robert!b@h AWAY");
    serverSays(":server 401 me ghost :No such nick/channel");
    expect(seen).toEqual([
      ["in use", "me"],
      ["nick", "bob", "robert"],
      ["away", "robert", "lunch", false],
      ["back", "robert"],
      ["error", "no_such_nick", "ghost"],
    ]);
  });

  it("reports a WHOIS, and not_found for an unknown nick", () => {
    const { client, serverSays } = fakeClient();
    const results: unknown[] = [];
    client.whois("bob", (event) => results.push(event));
    serverSays(":server 311 me bob b host.example * :Bob Smith");
    serverSays(":server 330 me bob bobacct :is logged in as");
    serverSays(":server 318 me bob :End of /WHOIS list.");
    client.whois("ghost", (event) => results.push(event));
    serverSays(":server 318 me ghost :End of /WHOIS list.");
    expect(results).toMatchObject([
      { nick: "bob", ident: "b", hostname: "host.example", real_name: "Bob Smith", account: "bobacct" },
      { nick: "ghost", error: "not_found" },
    ]);
  });

  it("records ISUPPORT CASEMAPPING and uses it in caseCompare", () => {
    const { client, serverSays } = fakeClient();
    serverSays(":server 005 me CASEMAPPING=ascii NICKLEN=16 :are supported by this server");
    expect(client.network.options.CASEMAPPING).toBe("ascii");
    expect(client.network.supports("nicklen")).toBe("16");
    expect(client.caseCompare("[a]", "{a}")).toBe(false);
    expect(client.caseCompare("ROMEO", "romeo")).toBe(true);
  });
});

describe("irc-framework: CAP and SASL", () => {
  it("requests sasl with credentials and authenticates with PLAIN", () => {
    const { client, sent, serverSays } = fakeClient({ account: { account: "romeo", password: "pw" } });
    serverSays(":server CAP * LS :sasl=PLAIN,EXTERNAL message-tags server-time");
    expect(sent.at(-1)).toBe("CAP REQ :sasl message-tags server-time");
    serverSays(":server CAP * ACK :sasl message-tags server-time");
    expect(client.network.cap.isEnabled("sasl")).toBe(true);
    expect(sent.at(-1)).toBe("AUTHENTICATE PLAIN");
    serverSays("AUTHENTICATE +");
    expect(sent.at(-1)).toBe(`AUTHENTICATE ${Buffer.from("romeo\0romeo\0pw").toString("base64")}`);
  });

  it("sends CAP END at RPL_LOGGEDIN (900), before 903: the bug #391 fixes upstream", () => {
    const { sent, serverSays } = fakeClient({ account: { account: "romeo", password: "pw" } });
    serverSays(":server CAP * LS :sasl");
    serverSays(":server CAP * ACK :sasl");
    serverSays("AUTHENTICATE +");
    serverSays(":server 900 me me!r@h romeo :You are now logged in as romeo");
    expect(sent.at(-1)).toBe("CAP END");
  });

  it("uses a plain server password for SASL too, and says capability_missing when there is none", () => {
    const { client, sent, serverSays } = fakeClient({ password: "serverpw" });
    const failures: string[] = [];
    client.on("sasl failed", (event) => failures.push(event.reason));
    // ngIRCd 26 offers only multi-prefix: the `sasl` it would want is missing.
    serverSays(":server CAP * LS :multi-prefix");
    serverSays(":server CAP * ACK :multi-prefix");
    expect(failures).toEqual(["capability_missing"]);
    expect(sent.at(-1)).toBe("CAP END");
  });

  it("reports a SASL failure with the server's text", () => {
    const { client, serverSays } = fakeClient({ account: { account: "romeo", password: "bad" } });
    const failures: unknown[] = [];
    client.on("sasl failed", (event) => failures.push(event));
    serverSays(":server CAP * LS :sasl");
    serverSays(":server CAP * ACK :sasl");
    serverSays(":server 904 me :SASL authentication failed");
    expect(failures).toMatchObject([{ reason: "fail", message: "SASL authentication failed" }]);
  });

  it("requests extra capabilities given to requestCap before connecting", () => {
    const { client, sent, serverSays } = fakeClient();
    client.requestCap(["draft/read-marker"]);
    // connect() hands them to the command handler; without a connection we do it by hand.
    (
      client as unknown as { command_handler: { requestExtraCaps(caps: string[]): void } }
    ).command_handler.requestExtraCaps(["draft/read-marker"]);
    serverSays(":server CAP * LS :draft/read-marker echo-message");
    expect(sent.at(-1)).toBe("CAP REQ :draft/read-marker");
  });
});
