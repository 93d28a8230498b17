import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ALICE,
  MARKERS,
  MESSENGER,
  type MessengerStack,
  rawRun,
  startWithCarol,
  why,
} from "./messenger-support.js";
import { Cleanups } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * A 1:1 chat with alice.fb through the real `gangway-messenger --backend fake` and a real Prosody,
 * from slixmpp: her receipt and read marker, her "seen: X" answer as a reply, and how she follows
 * the user's correction, reaction, typing and retraction; search of friends; and a restart of the
 * gateway process, after which the user is still logged in and alice.fb answers again.
 */

const CORRECT = "urn:xmpp:message-correct:0";
const RETRACT = "urn:xmpp:message-retract:1";
const REACTIONS = "urn:xmpp:reactions:0";
const CHATSTATES = "http://jabber.org/protocol/chatstates";

const chat = (id: string, inner: string) =>
  `<message type="chat" to="${ALICE}" id="${id}">${inner}</message>`;

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;

  beforeAll(async () => {
    stack = await startWithCarol(cleanups, driver);
  }, 150_000);
  afterAll(() => cleanups.run());

  it("alice.fb's receipt and read marker, then 'seen: X' as a reply; she follows a correction, a reaction, typing and a retraction", async () => {
    const run = await rawRun(stack.server, "carol", [
      { send: chat("m1", `<body>hi alice</body><markable xmlns="${MARKERS}"/>`) },
      { expect: { from: ALICE, has: `{urn:xmpp:receipts}received[@id='m1']` }, timeoutMs: 30_000 },
      { expect: { from: ALICE, has: `{${MARKERS}}displayed[@id='m1']` }, timeoutMs: 30_000 },
      {
        expect: { stanza: "message", from: ALICE, type: "chat", body: "^seen: hi alice$" },
        capture: { answer: "@id", replyTo: "{urn:xmpp:reply:0}reply@id" },
        timeoutMs: 30_000,
      },
      { send: chat("m2", `<body>hello alice</body><replace xmlns="${CORRECT}" id="m1"/>`) },
      {
        expect: { from: ALICE, body: "^seen: hello alice$", has: `{${CORRECT}}replace` },
        capture: { corrected: `{${CORRECT}}replace@id` },
        timeoutMs: 30_000,
      },
      {
        send: chat(
          "x1",
          `<reactions xmlns="${REACTIONS}" id="{last:answer}"><reaction>👍</reaction></reactions><store xmlns="urn:xmpp:hints"/>`,
        ),
      },
      { expect: { from: ALICE, has: `{${REACTIONS}}reactions[@id='m1']` }, timeoutMs: 30_000 },
      { send: chat("s1", `<composing xmlns="${CHATSTATES}"/>`) },
      { expect: { from: ALICE, has: `{${CHATSTATES}}composing` }, timeoutMs: 30_000 },
      {
        send: chat(
          "r1",
          `<retract xmlns="${RETRACT}" id="m1"/><fallback xmlns="urn:xmpp:fallback:0" for="${RETRACT}"/><body>retracted</body>`,
        ),
      },
      {
        expect: { from: ALICE, has: `{${RETRACT}}retract` },
        capture: { retracted: `{${RETRACT}}retract@id` },
        timeoutMs: 30_000,
      },
      // The user's read marker on alice.fb's answer goes to Messenger silently: no error comes back.
      { send: chat("d1", `<displayed xmlns="${MARKERS}" id="{last:answer}"/>`) },
      { send: chat("m3", `<body>still there?</body>`) },
      { expect: { from: ALICE, body: "^seen: still there\\?$" }, timeoutMs: 30_000 },
    ]);
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const { answer, replyTo, corrected, retracted } = run.captured;
    expect(replyTo).toBe("m1");
    expect(corrected).toBe(answer);
    expect(retracted).toBe(answer);
    const reaction = parseXml(run.rawMatches[4]!.xml).getChild("reactions", REACTIONS)!;
    expect(reaction.getChildren("reaction").map((r) => r.text())).toEqual(["👍"]);
    expect(run.stanzas.filter((s) => s.xml.includes('type="error"'))).toEqual([]);
  }, 180_000);

  it("search: the gateway's XEP-0055 form, and 'ali' finds Alice Facebook", async () => {
    const search = (inner: string) =>
      `<iq type="set" id="q1" to="${MESSENGER}"><query xmlns="jabber:iq:search"><x xmlns="jabber:x:data" type="submit"><field var="FORM_TYPE" type="hidden"><value>jabber:iq:search</value></field>${inner}</x></query></iq>`;
    const run = await rawRun(stack.server, "carol", [
      { send: `<iq type="get" id="g1" to="${MESSENGER}"><query xmlns="jabber:iq:search"/></iq>` },
      { expect: { stanza: "iq", id: "g1", type: "result" }, timeoutMs: 30_000 },
      { send: search(`<field var="query"><value>ali</value></field>`) },
      { expect: { stanza: "iq", id: "q1", type: "result" }, timeoutMs: 30_000 },
    ]);
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const [formIq, resultIq] = run.rawMatches.map((m) => parseXml(m.xml));
    const form = formIq!.getChild("query", "jabber:iq:search")!.getChild("x", "jabber:x:data")!;
    expect(form.getChildText("title")).toBe("Search in your Facebook friends");
    const rows = resultIq!
      .getChild("query", "jabber:iq:search")!
      .getChild("x", "jabber:x:data")!
      .getChildren("item")
      .map((item) => item.getChildren("field").map((f) => f.getChildText("value")));
    expect(rows).toEqual([[ALICE, "Alice Facebook"]]);
  }, 90_000);

  it("a restart of the gateway process keeps the user logged in: alice.fb answers again", async () => {
    const gateway = await stack.restartGateway();
    const run = await rawRun(stack.server, "carol", [
      { send: chat("after", `<body>back again</body>`) },
      {
        expect: { from: ALICE, body: "^seen: back again$", has: "{urn:xmpp:reply:0}reply[@id='after']" },
        timeoutMs: 60_000,
      },
    ]);
    expect(run.rawError, why(run, gateway)).toBeUndefined();
    // Logged in from the stored registration at startup, not through a new one.
    const entries = gateway.logEntries();
    expect(entries.find((e) => e.msg === "gateway running")).toMatchObject({ users: 1 });
    expect(entries.filter((e) => e.msg === "logged in").map((e) => e.user)).toEqual(["carol@localhost"]);
    expect(entries.some((e) => e.msg === "user registered")).toBe(false);
    // The fake cloud (in the home dir, like Messenger's servers) counted one login with the
    // password, the registration's: the restarted gateway resumed the saved session.
    await gateway.stop();
    const cloud = JSON.parse(
      await readFile(join(stack.database.homeDir, "messenger-fake-cloud.json"), "utf8"),
    );
    expect(cloud.accounts["carol@example.org"].logins).toBe(1);
    expect(run.stanzas.filter((s) => s.xml.includes('type="error"'))).toEqual([]);
  }, 150_000);
});
