import type { EventEmitter } from "node:events";
import { createLogger, type Element, JID, sanitizeXmlText } from "@gangway/core";
import { registerUser, testGatewayDependencies } from "@gangway/core/testing";
import { openStore, type Store } from "@gangway/store";
import { canonicalXml, MemoryTransport, type NgircdServer, startNgircd } from "@gangway/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ircToXmpp } from "./formatting.js";
import { IrcGateway, type IrcSession } from "./gateway.js";

// Generated IRC payloads through the gateway: nicks, bodies, notices, actions, client tags, nick
// changes, away/quit messages, with any Unicode (IRC formatting codes, XML-invalid controls, lone
// surrogates included). The session is connected to a real ngIRCd; the events are emitted on its
// irc-framework client as the library would, since a real server refuses most of these nicks and
// bodies before they could reach the gateway. Each one reaches the user as well-formed stanzas from
// valid JIDs, or is refused with a log line: never a crash, never invalid XML on the stream.

const GW = "irc.localhost";
const USER = "romeo@localhost";
const PASSWORD = "s3rver-pass";

interface LogLine {
  level: number;
  msg: string;
}

/** What the test reaches of irc-framework's client: its events and our own nick. */
type FakeableClient = EventEmitter & { user: { nick: string } };

const char = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 4, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  // mIRC formatting: bold, colour (with and without numbers), italics, reset, reverse.
  fc.constantFrom("\x02", "\x03", "\x034,12", "\x1d", "\x0f", "\x16", "\x1f", "\x01"),
  fc.constantFrom(
    "\ufffe",
    "<",
    "&",
    '"',
    "\\",
    "\\20",
    "@",
    "/",
    ":",
    " ",
    "👍",
    "İ",
    "Ä",
    "[",
    "]",
    "^",
    "~",
  ),
);
const text = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: char, maxLength: 40 }) },
  fc.tuple(char, fc.integer({ min: 200, max: 3_000 })).map(([c, n]) => c.repeat(n)),
);
const nick = fc.oneof(
  { weight: 2, arbitrary: fc.string({ unit: char, minLength: 1, maxLength: 12 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z[\]\\^_`{|}][A-Za-z0-9[\]\\^_`{|}-]{0,15}$/) },
  fc.constantFrom("alice", "Alice", "ALICE", "[bob]", "{bob}", "b^b", "d'art", "x".repeat(40), "Ä", "ä"),
);

type IrcEvent =
  | { kind: "privmsg" | "action" | "notice"; message: string; msgid?: string; fromServer: boolean }
  | { kind: "tagmsg"; typing?: string; react?: string; reply?: string }
  | { kind: "nick"; newNick: string }
  | { kind: "away" | "quit"; message: string }
  | { kind: "back" }
  | { kind: "users online"; extra: string[] };

const ircEvent: fc.Arbitrary<IrcEvent> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      {
        kind: fc.constantFrom("privmsg" as const, "action" as const, "notice" as const),
        message: text,
        msgid: text,
        fromServer: fc.boolean(),
      },
      { requiredKeys: ["kind", "message", "fromServer"] },
    ),
  },
  fc.record(
    {
      kind: fc.constant("tagmsg" as const),
      typing: fc.oneof(fc.constantFrom("active", "paused", "done"), text),
      react: fc.oneof(fc.constantFrom("👍", "❤️"), text),
      reply: text,
    },
    { requiredKeys: ["kind"] },
  ),
  fc.record({ kind: fc.constant("nick" as const), newNick: nick }),
  fc.record({ kind: fc.constantFrom("away" as const, "quit" as const), message: text }),
  fc.record({ kind: fc.constant("back" as const) }),
  fc.record({ kind: fc.constant("users online" as const), extra: fc.array(nick, { maxLength: 3 }) }),
);

const ONLY_XML_CHARS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

function checkWritten(written: Element): void {
  const serialized = written.toString();
  expect(ONLY_XML_CHARS.test(serialized), JSON.stringify(serialized.slice(0, 300))).toBe(true);
  canonicalXml(serialized); // parses it: throws on anything but one well-formed element
  for (const attr of ["from", "to"] as const) {
    const address = written.attrs[attr];
    if (address !== undefined) JID.parse(address);
  }
}

/** Lets the gateway finish what the events started: until nothing more is written. */
async function settle(transport: MemoryTransport): Promise<void> {
  let quiet = 0;
  let seen = transport.sent.length;
  while (quiet < 3) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (transport.sent.length === seen) quiet += 1;
    else [quiet, seen] = [0, transport.sent.length];
  }
}

describe("the IRC gateway, fed generated IRC events", () => {
  let ircd: NgircdServer;
  let store: Store;
  let transport: MemoryTransport;
  let gateway: IrcGateway;
  let session: IrcSession;
  let client: FakeableClient;
  const logs: LogLine[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    ircd = await startNgircd({ password: PASSWORD });
    store = await openStore({ driver: "sqlite" });
    await registerUser(store, { jid: USER, registration: { nickname: "romeo", password: PASSWORD } });
    transport = new MemoryTransport({ domain: GW });
    const logger = createLogger(
      { level: "warn" },
      { write: (line: string) => void logs.push(JSON.parse(line)) },
    );
    const args = ["--irc-server", `127.0.0.1:${ircd.port}:plain`];
    gateway = new IrcGateway({
      ...testGatewayDependencies(IrcGateway, store, transport, { domain: GW, args }),
      logger,
    });
    await gateway.start();
    await transport.waitForSent(
      (s) => /^Connected to 127\.0\.0\.1 as /.test(s.getChildText("status") ?? ""),
      10_000,
    );
    session = gateway.sessionFor(USER) as IrcSession;
    client = (session as unknown as { client: FakeableClient }).client;
  }, 30_000);
  afterAll(async () => {
    await gateway?.stop();
    await store?.close();
    await ircd?.stop();
    process.off("unhandledRejection", onUnhandled);
  });

  it("delivers what it can as well-formed stanzas from valid JIDs, and logs what it cannot", async () => {
    let delivered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(nick, fc.array(ircEvent, { minLength: 1, maxLength: 4 }), async (from, events) => {
        const before = transport.sent.length;
        const logsBefore = logs.length;
        const target = client.user.nick;
        let current = from;
        for (const e of events) {
          const base = { nick: current, ident: "u", hostname: "h", time: undefined };
          switch (e.kind) {
            case "privmsg":
            case "action":
            case "notice":
              client.emit(e.kind, {
                ...base,
                target,
                message: e.message,
                tags: e.msgid === undefined ? {} : { msgid: e.msgid },
                from_server: e.fromServer,
              });
              break;
            case "tagmsg": {
              const tags: Record<string, string> = {};
              if (e.typing !== undefined) tags["+typing"] = e.typing;
              if (e.react !== undefined) tags["+draft/react"] = e.react;
              if (e.reply !== undefined) tags["+draft/reply"] = e.reply;
              client.emit("tagmsg", { ...base, target, tags });
              break;
            }
            case "nick":
              client.emit("nick", { ...base, new_nick: e.newNick });
              current = e.newNick;
              break;
            case "away":
            case "quit":
              client.emit(e.kind, { ...base, message: e.message, self: false });
              break;
            case "back":
              client.emit("back", { ...base, message: "", self: false });
              break;
            case "users online":
              client.emit("users online", { nicks: [current, ...e.extra] });
              break;
          }
        }
        await settle(transport);
        const written = transport.sent.slice(before);
        for (const stanza of written) checkWritten(stanza);

        // A private message with text either reached the user or left a log line saying why.
        const texts = events.filter(
          (e) => e.kind === "privmsg" && !e.fromServer && sanitizeXmlText(ircToXmpp(e.message)).trim() !== "",
        );
        if (texts.length > 0) {
          const bodies = written.filter((s) => s.is("message") && s.getChild("body") !== undefined);
          const logged = logs.slice(logsBefore).some((line) => line.level >= 40);
          expect(bodies.length > 0 || logged).toBe(true);
          if (bodies.length > 0) delivered += 1;
          if (logged) refused += 1;
        }
        // Every contact the events made has a JID that leads back to it: a reply to the JID a
        // message came from (folded to lower case by the server) reaches the nick that wrote, up to
        // the case IRC does not fold. Nicks are case-folded the server's way (ASCII, plus [\]^ under
        // rfc1459), JIDs fold all of Unicode: nicks differing only in non-ASCII case ("Ä", "ä")
        // share one JID, the one seen last answering to it (the policy in the README).
        for (const contact of session.contacts) {
          const found = await session.contacts.byJidLocal(JID.parse(contact.jid).local);
          expect(found.legacyId.toLowerCase()).toBe(contact.legacyId.toLowerCase());
        }
      }),
      { numRuns: 400 },
    );
    await settle(transport);
    expect(unhandled).toEqual([]);
    expect(delivered).toBeGreaterThan(15);
    expect(refused).toBeGreaterThan(5);
  });
});
