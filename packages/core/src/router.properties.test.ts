import { openStore, type Store } from "@gangway/store";
import type { MemoryTransport } from "@gangway/testing";
import {
  type ChatState,
  type Element,
  type FormValues,
  JID,
  parseXml,
  sanitizeXmlText,
  type XmlChildInput,
  XmppError,
  xml,
} from "@gangway/xmpp";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import type { SearchResult } from "./session-types.js";
import { startTestGateway } from "./testing/index.js";

// Generated stanzas through the real router: from the registered user and from strangers, to
// puppets (known, new, oddly named) and to the gateway itself, with hooks that succeed, refuse or
// fail. Whatever comes in, nothing rejects unhandled, everything written is well-formed XML with
// valid addresses, and an error reply never quotes what the user wrote.

const GW = "gw.localhost";
const USER = "romeo@localhost";
const STRANGER = "mallory@evil.example";

/** How the app's hooks behave for the stanza being injected. */
let mode: "ok" | "refuse" | "fail" = "ok";
let hookCalls = 0;
/** The legacy id of the chat the last message went to. */
let lastChat: string | undefined;

async function hook(what: string): Promise<void> {
  hookCalls += 1;
  if (mode === "refuse") throw new XmppError("not-acceptable", "The network refused it.");
  // An app's own error may well quote the input: the gateway must not pass it on.
  if (mode === "fail") throw new Error(`network failure on ${what}`);
}

class Session extends BaseSession<PropertyGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(chat: LegacyContact, message: OutgoingMessage) {
    lastChat = chat.legacyId;
    await hook(message.body);
    return `L-${message.xmppId}`;
  }
  override async onCorrect(_chat: LegacyContact, legacyId: string, body: string) {
    await hook(`${legacyId} ${body}`);
  }
  override async onRetract(_chat: LegacyContact, legacyId: string) {
    await hook(legacyId);
  }
  override async onReact(_chat: LegacyContact, legacyId: string, emojis: readonly string[]) {
    await hook(`${legacyId} ${emojis.join("")}`);
  }
  override async onDisplayed(_chat: LegacyContact, legacyId: string) {
    await hook(legacyId);
  }
  override async onChatState(_chat: LegacyContact, state: ChatState) {
    await hook(state);
  }
  override async onSearch(values: FormValues): Promise<SearchResult | undefined> {
    await hook(JSON.stringify(values));
    return undefined;
  }
}

class PropertyGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  readonly Session = Session;
  override async validate(_jid: string, form: FormValues) {
    await hook(JSON.stringify(form));
  }
}

// ---- generators ----

const char = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom("\ufffe", "<", "&", '"', "\\", "@", "/", " ", "\n", "👍", "❤️", "é", "\\20"),
);
const text = fc.oneof(
  { weight: 10, arbitrary: fc.string({ unit: char, maxLength: 30 }) },
  fc.tuple(char, fc.integer({ min: 500, max: 20_000 })).map(([c, n]) => c.repeat(n)),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined, freq: 3 });
const refId = maybe(fc.oneof(fc.constantFrom("gw1", "gw2", "gw5", "m1", "m2", ""), text));

const STATES = "http://jabber.org/protocol/chatstates";
const messageChild: fc.Arbitrary<Element> = fc.oneof(
  { weight: 4, arbitrary: text.map((body) => xml("body", {}, body)) },
  refId.map((id) => xml("replace", { xmlns: "urn:xmpp:message-correct:0", id })),
  refId.map((id) => xml("retract", { xmlns: "urn:xmpp:message-retract:1", id })),
  fc
    .tuple(refId, fc.array(fc.oneof(fc.constantFrom("👍", "❤️", "x", ""), text), { maxLength: 22 }))
    .map(([id, emojis]) =>
      xml("reactions", { xmlns: "urn:xmpp:reactions:0", id }, ...emojis.map((e) => xml("reaction", {}, e))),
    ),
  fc.tuple(refId, maybe(text)).map(([id, to]) => xml("reply", { xmlns: "urn:xmpp:reply:0", id, to })),
  fc
    .tuple(maybe(fc.nat({ max: 40 }).map(String)), maybe(fc.oneof(fc.nat({ max: 40 }).map(String), text)))
    .map(([start, end]) =>
      xml("fallback", { xmlns: "urn:xmpp:fallback:0", for: "urn:xmpp:reply:0" }, xml("body", { start, end })),
    ),
  fc
    .tuple(fc.constantFrom("received", "displayed", "acknowledged", "markable"), refId)
    .map(([name, id]) => xml(name, { xmlns: "urn:xmpp:chat-markers:0", id })),
  fc.constantFrom("active", "composing", "paused", "inactive", "gone").map((s) => xml(s, { xmlns: STATES })),
  fc
    .tuple(fc.constantFrom("request", "received"), refId)
    .map(([name, id]) => xml(name, { xmlns: "urn:xmpp:receipts", id })),
);

/** Payloads of IQs the gateway answers (and some it does not know). */
const iqPayload: fc.Arbitrary<Element> = fc.oneof(
  fc
    .constantFrom(
      "http://jabber.org/protocol/disco#info",
      "http://jabber.org/protocol/disco#items",
      "jabber:iq:search",
      "jabber:iq:gateway",
      "jabber:iq:register",
      "vcard-temp",
      "urn:xmpp:ping",
      "jabber:iq:version",
      "urn:example:unknown",
    )
    .chain((xmlns) =>
      fc
        .tuple(
          maybe(text),
          fc.array(
            fc.oneof(
              text.map((t) => xml("prompt", {}, t)),
              fc
                .tuple(
                  fc.constantFrom("submit", "form", "cancel", "x"),
                  fc.array(fc.tuple(text, text), { maxLength: 3 }),
                )
                .map(([type, fields]) =>
                  xml(
                    "x",
                    { xmlns: "jabber:x:data", type },
                    ...fields.map(([name, value]) => xml("field", { var: name }, xml("value", {}, value))),
                  ),
                ),
              // No <remove/>: the user would unregister early in the run and the rest of it would
              // only meet registration-required.
              text.map((t) => xml("username", {}, t)),
            ),
            { maxLength: 3 },
          ),
        )
        .map(([node, children]) =>
          xml(xmlns === "vcard-temp" ? "vCard" : "query", { xmlns, node }, ...children),
        ),
    ),
  fc.constant(
    xml(
      "pubsub",
      { xmlns: "http://jabber.org/protocol/pubsub" },
      xml("items", { node: "urn:xmpp:avatar:metadata" }),
    ),
  ),
);

const sender = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(`${USER}/pc`, `${USER}/phone`, USER) },
  fc.constantFrom(`${STRANGER}/x`, STRANGER, "localhost", `${GW}`, `alice@${GW}/gangway`),
);
const puppetLocal = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom("alice", "bob", "Alice", "d\\27artagnan", "a\\20b", "\\5c", "e\\40x"),
  },
  text.map((t) =>
    sanitizeXmlText(t)
      .replace(/[\s"&'/:<>@]/g, "")
      .slice(0, 40),
  ),
);
const recipient = fc.oneof(
  { weight: 2, arbitrary: fc.constant(GW) },
  puppetLocal.map((local) => (local === "" ? `${GW}/res` : `${local}@${GW}`)),
  puppetLocal.map((local) => `${local || "x"}@${GW}/gangway`),
  fc.constant("elsewhere.example"),
);

/** The common case: the registered user writes to a contact, with a body and maybe more. */
const userChat = fc
  .tuple(
    fc.constantFrom(`${USER}/pc`, `${USER}/phone`),
    fc.constantFrom("alice", "bob", "carol", "Alice", "d\\27artagnan"),
    maybe(fc.constantFrom("m1", "m2", "m3")),
    text,
    fc.array(messageChild, { maxLength: 2 }),
    fc.constantFrom("ok", "ok", "refuse", "fail"),
  )
  .map(([from, local, id, body, children, behaviour]) => ({
    built: xml(
      "message",
      { from, to: `${local}@${GW}`, id, type: "chat" },
      xml("body", {}, body),
      ...children,
    ),
    behaviour,
  }));

/** Anything: any sender, any address, any kind and type, any mix of extensions. */
const anyStanza = fc
  .tuple(
    fc.constantFrom("message", "message", "message", "presence", "iq"),
    sender,
    recipient,
    refId,
    maybe(
      fc.constantFrom(
        "chat",
        "normal",
        "error",
        "groupchat",
        "get",
        "set",
        "result",
        "subscribe",
        "unavailable",
        "probe",
        "unsubscribe",
        "subscribed",
        "bogus",
      ),
    ),
    fc.array(messageChild, { maxLength: 5 }),
    iqPayload,
    fc.constantFrom("ok", "ok", "refuse", "fail"),
  )
  .map(([kind, from, to, id, type, children, payload, behaviour]) => ({
    built:
      kind === "message"
        ? xml("message", { from, to, id, type }, ...(children as XmlChildInput[]))
        : kind === "presence"
          ? xml("presence", { from, to, id, type }, xml("status", {}, children[0]?.text() ?? ""))
          : xml("iq", { from, to, id, type: type === "set" ? "set" : "get" }, payload),
    behaviour,
  }));

/** One generated stanza as a server delivers it, and what the user wrote in it. */
const stanza = fc.oneof(userChat, anyStanza).map(({ built, behaviour }) => {
  // Characters XML cannot carry never reach the component: the server refuses them.
  const wire = parseXml(sanitizeXmlText(built.toString()));
  const bodies = wire.getChildren("body").map((body) => body.text());
  return { wire, bodies, behaviour };
});

// ---- the property ----

const ONLY_XML_CHARS = /^[\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]*$/u;

/**
 * Every body injected so far, trimmed, that is long enough to be told apart from the gateway's
 * own words. Replies are checked against all of them: a chat's hooks run after `inject` settles
 * at times, so a reply may land in a later stanza's window.
 */
const userTexts = new Set<string>();

function checkWritten(written: Element): void {
  const serialized = written.toString();
  expect(ONLY_XML_CHARS.test(serialized)).toBe(true);
  parseXml(serialized);
  for (const attr of ["from", "to"] as const) {
    const address = written.attrs[attr];
    if (address !== undefined) JID.parse(address);
  }
  if (written.attrs.type !== "error") return;
  const error = written.getChild("error");
  expect(error).toBeDefined();
  const errorText = error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas") ?? "";
  // The error never echoes the stanza's content, let alone quotes the body in its text.
  expect(written.getChild("body")).toBeUndefined();
  for (const quoted of userTexts) expect(errorText).not.toContain(quoted);
}

describe("the router, fed generated stanzas", () => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: PropertyGateway;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    store = await openStore({ driver: "sqlite" });
    ({ gateway, transport } = await startTestGateway(PropertyGateway, store, {
      domain: GW,
      users: [{ jid: USER, registration: {} }],
      // Every generated stanza comes from a handful of JIDs: rate limiting would refuse most.
      args: ["--rate-limit", "0"],
    }));
    // Contacts with history, so references to gw1, gw2… can resolve.
    const session = gateway.sessionFor(USER)!;
    for (const legacyId of ["alice", "bob"]) {
      const contact = await session.contacts.byLegacyId(legacyId);
      await contact.sendText(`hello from ${legacyId}`, { id: `${legacyId}-1` });
    }
  });
  afterAll(async () => {
    await gateway.stop();
    await store.close();
    process.off("unhandledRejection", onUnhandled);
  });

  it("answers every stanza with well-formed XML, never crashes, never quotes the user in an error", async () => {
    let checked = 0;
    const start = transport.sent.length;
    await fc.assert(
      fc.asyncProperty(stanza, async ({ wire, bodies, behaviour }) => {
        mode = behaviour;
        for (const body of bodies) if (body.trim().length >= 12) userTexts.add(body.trim());
        const before = transport.sent.length;
        await transport.inject(wire);
        // Unsubscribing from the gateway unregisters (XEP-0100): register again, so the rest of
        // the run still meets a logged-in user.
        if (!gateway.sessionFor(USER)) {
          if (!(await store.users.get(USER))) await store.users.create({ jid: USER, registration: {} });
          await gateway.restartSession(USER);
        }
        for (const written of transport.sent.slice(before)) {
          checkWritten(written);
          checked += 1;
        }
        expect(unhandled).toEqual([]);
      }),
      { numRuns: 1_500 },
    );
    // The run must have exercised the router and the app's hooks, not been dropped at the door.
    expect(checked).toBeGreaterThan(500);
    expect(hookCalls).toBeGreaterThan(250);
    // What was still on its way when the last stanza settled, checked against every text too.
    await new Promise((resolve) => setTimeout(resolve, 100));
    for (const written of transport.sent.slice(start)) checkWritten(written);
    expect(unhandled).toEqual([]);
    mode = "ok";
  });

  it("finds a known contact whose localpart has capitals by the lowercased JID the user writes to", async () => {
    mode = "ok";
    const session = gateway.sessionFor(USER)!;
    const contact = await session.contacts.byLegacyId("ZELDA");
    expect(contact.jidLocal).toBe("ZELDA");
    // Servers and JID.parse fold the localpart: the reply comes to zelda@, and must reach ZELDA.
    await transport.inject(
      xml(
        "message",
        { from: `${USER}/pc`, to: `zelda@${GW}`, type: "chat", id: "c1" },
        xml("body", {}, "hi"),
      ),
    );
    expect(lastChat).toBe("ZELDA");
  });
});
