import { createLogger, type Element, JID, sanitizeXmlText } from "@gangway/core";
import { registerUser, testGatewayDependencies } from "@gangway/core/testing";
import { openStore, type Store } from "@gangway/store";
import { canonicalXml, MemoryTransport } from "@gangway/testing";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DemoGateway, type DemoSession } from "./gateway.js";
import { DEMO_CONTACTS, type DemoContactInfo, type DemoPresence } from "./network.js";
import { GW, ROMEO } from "./test-support/gateway.js";

// Generated payloads pushed from the legacy side: contacts with any id, name, status and profile,
// and their messages, corrections, reactions, markers and chat states, with any Unicode (XML-invalid
// controls and lone surrogates included). Each one reaches the user as well-formed stanzas with
// valid JIDs, or is refused with a log line: never a crash, never invalid XML on the stream.

interface LogLine {
  level: number;
  msg: string;
  contact?: string;
}

const char = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
  fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  fc.constantFrom(
    "\ufffe",
    "\uffff",
    "<",
    "&",
    "]]>",
    '"',
    "'",
    "\\",
    "\\20",
    "@",
    "/",
    ":",
    " ",
    "\r\n",
    "👍",
    "🏳️‍🌈",
    "İ",
  ),
);
const text = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: char, maxLength: 30 }) },
  fc.tuple(char, fc.integer({ min: 200, max: 5_000 })).map(([c, n]) => c.repeat(n)),
);
const contactId = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: char, minLength: 1, maxLength: 20 }) },
  fc.constantFrom("Echo", "ALICE", "d'artagnan", "a b", " lead", "trail ", "c:\\5commas", "x".repeat(1100)),
);

const contact = fc.record({
  id: contactId,
  name: text,
  presence: fc.constantFrom<DemoPresence>("online", "away", "offline"),
  status: fc.option(text, { nil: undefined }),
  profile: fc.option(fc.record({ email: text, note: text }), { nil: undefined }),
});

type Event =
  | { kind: "message"; id: string; text: string }
  | { kind: "correction"; text: string }
  | { kind: "reaction"; emojis: string[] }
  | { kind: "chatState"; state: "composing" | "paused" }
  | { kind: "received" | "displayed" | "retraction" };

const event: fc.Arbitrary<Event> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("message" as const), id: text, text }) },
  fc.record({ kind: fc.constant("correction" as const), text }),
  fc.record({
    kind: fc.constant("reaction" as const),
    emojis: fc.array(fc.oneof(fc.constantFrom("👍", "❤️"), text), { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant("chatState" as const),
    state: fc.constantFrom("composing" as const, "paused" as const),
  }),
  fc.record({ kind: fc.constantFrom("received" as const, "displayed" as const, "retraction" as const) }),
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

/** Lets the gateway finish what the legacy events started: until nothing more is written. */
async function settle(transport: MemoryTransport): Promise<void> {
  let quiet = 0;
  let seen = transport.sent.length;
  while (quiet < 3) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (transport.sent.length === seen) quiet += 1;
    else [quiet, seen] = [0, transport.sent.length];
  }
}

describe("the demo gateway, fed generated legacy payloads", () => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;
  let session: DemoSession;
  const logs: LogLine[] = [];
  const extra: DemoContactInfo[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  /** The app's own mapping of a legacy id to a localpart, or undefined when it has none. */
  function mappable(id: string): string | undefined {
    try {
      return session.legacyIdToJidLocal(id);
    } catch {
      return undefined;
    }
  }

  beforeAll(async () => {
    process.on("unhandledRejection", onUnhandled);
    store = await openStore({ driver: "sqlite" });
    await registerUser(store, { jid: ROMEO, registration: { username: "romeo", password: "pw" } });
    transport = new MemoryTransport({ domain: GW });
    const logger = createLogger(
      { level: "warn" },
      { write: (line: string) => void logs.push(JSON.parse(line)) },
    );
    gateway = new DemoGateway({
      ...testGatewayDependencies(DemoGateway, store, transport, { domain: GW }),
      logger,
    });
    await gateway.start();
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    session = gateway.sessionFor(ROMEO) as DemoSession;
    // The network's contact list, grown by each run: what a real network reports as it goes.
    session.client.contacts = () => [...DEMO_CONTACTS, ...extra];
  });
  afterAll(async () => {
    await gateway.stop();
    await store.close();
    process.off("unhandledRejection", onUnhandled);
  });

  it("delivers what it can as well-formed stanzas from valid JIDs, and logs what it cannot", async () => {
    let seq = 1_000;
    let delivered = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(contact, fc.array(event, { minLength: 1, maxLength: 5 }), async (info, events) => {
        const index = extra.findIndex((known) => known.id === info.id);
        if (index === -1) extra.push(info);
        const before = transport.sent.length;
        const logsBefore = logs.length;
        const { client } = session;
        let lastId = "none";
        for (const e of events) {
          const from = info.id;
          if (e.kind === "message") {
            lastId = e.id;
            seq += 1;
            client.emit("message", { from, id: e.id, text: e.text, seq, at: Date.now() });
          } else if (e.kind === "correction") client.emit("correction", { from, id: lastId, text: e.text });
          else if (e.kind === "reaction") client.emit("reaction", { from, id: lastId, emojis: e.emojis });
          else if (e.kind === "chatState") client.emit("chatState", { from, state: e.state });
          else client.emit(e.kind, { from, id: lastId });
        }
        await settle(transport);
        const written = transport.sent.slice(before);
        for (const stanza of written) checkWritten(stanza);

        const local = DEMO_CONTACTS.some((known) => known.id === info.id) ? undefined : mappable(info.id);
        const fromContact = written.filter((s) => JID.tryParse(s.attrs.from)?.local === local?.toLowerCase());
        const newLogs = logs.slice(logsBefore);
        if (local === undefined) {
          // No JID for this id: nothing is sent in its name, and each event says why in the log.
          expect(fromContact.filter((s) => s.attrs.from !== GW)).toEqual([]);
          if (!DEMO_CONTACTS.some((known) => known.id === info.id)) {
            expect(newLogs.some((line) => line.level >= 40)).toBe(true);
            refused += 1;
          }
          return;
        }
        // Each message the contact sent reaches the user with its text, cleaned of what XML
        // cannot carry; whatever was not delivered was logged.
        for (const e of events) {
          if (e.kind !== "message") continue;
          const body = sanitizeXmlText(e.text);
          const shown = fromContact.some((s) => s.getChildText("body") === body);
          if (body.trim() !== "" && !shown) expect(newLogs.some((line) => line.level >= 40)).toBe(true);
          else if (body.trim() !== "") delivered += 1;
        }
      }),
      { numRuns: 400 },
    );
    await settle(transport);
    expect(unhandled).toEqual([]);
    // The run must have met both outcomes, not only one.
    expect(delivered).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(10);
  });
});
