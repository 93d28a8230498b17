import { createHash } from "node:crypto";
import {
  canonicalXml,
  type ProsodyServer,
  registerAccount,
  runSlixmppClient,
  type SlixmppRunOptions,
  type SlixmppRunResult,
  startProsody,
} from "@gangway/testing";
import { type Element, parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, GW, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * 1:1 messaging end to end: Debian's slixmpp (a client we did not write) talks to echo through a
 * real Prosody and the demo gateway running in this process. The same behaviours are pinned as
 * exact stanzas on an in-memory transport in apps/demo-gateway/src/messaging.test.ts; here they
 * must survive a real server in between, and the assertions are on what the client received.
 */

const USER = "romeo@localhost";
const ECHO = `echo@${GW}`;
const ECHO_FULL = `${ECHO}/gangway`;
const ALICE_FULL = `alice@${GW}/gangway`;
const NS_CAPS = "http://jabber.org/protocol/caps";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_MARKERS = "urn:xmpp:chat-markers:0";
const NS_RECEIPTS = "urn:xmpp:receipts";
const NS_CORRECT = "urn:xmpp:message-correct:0";
const NS_REACTIONS = "urn:xmpp:reactions:0";
const NS_REPLY = "urn:xmpp:reply:0";
const NS_RETRACT = "urn:xmpp:message-retract:1";
const NS_CHATSTATES = "http://jabber.org/protocol/chatstates";
const HINTS = "urn:xmpp:hints";

type RawSteps = NonNullable<SlixmppRunOptions["raw"]>["steps"];

const cleanups = new Cleanups();
let prosody: ProsodyServer;
/** The conversation of the driver whose suite runs now (the drivers' suites run one after the other). */
let run: SlixmppRunResult;
let runMs: number;

/**
 * The whole conversation in one slixmpp run, as a person would have it: presences first (they
 * answer the server's probes at login), a disco#info on echo, then text, correction, reaction,
 * reply, retraction and chat states. Each `expect` is loose on purpose (who, which element, which
 * id); the tests below compare the matched stanzas exactly.
 */
const STEPS: RawSteps = [
  { expect: { stanza: "presence", from: ECHO_FULL, type: "available" } },
  { expect: { stanza: "presence", from: ALICE_FULL, type: "available" } },
  { send: `<iq type="get" id="disco1" to="${ECHO_FULL}"><query xmlns="${NS_DISCO_INFO}"/></iq>` },
  { expect: { stanza: "iq", id: "disco1", from: ECHO_FULL } },
  // 3. text
  {
    send: `<message type="chat" to="${ECHO}" id="m1"><body>hi</body><markable xmlns="${NS_MARKERS}"/></message>`,
  },
  { expect: { from: ECHO_FULL, has: `{${NS_RECEIPTS}}received[@id='m1']` } },
  { expect: { from: ECHO_FULL, has: `{${NS_MARKERS}}displayed[@id='m1']` } },
  { expect: { from: ECHO_FULL, type: "chat", body: "^echo: hi$" }, capture: "echoHi" },
  // 8. correction of m1: echo corrects its answer
  {
    send: `<message type="chat" to="${ECHO}" id="m2"><body>hello</body><replace xmlns="${NS_CORRECT}" id="m1"/></message>`,
  },
  {
    expect: { from: ECHO_FULL, body: "^echo: hello$", has: `{${NS_CORRECT}}replace[@id='{last:echoHi}']` },
    capture: "echoCorrection",
  },
  // 10. reaction to echo's answer: echo reacts the same on m1
  {
    send: `<message type="chat" to="${ECHO}" id="x1"><reactions xmlns="${NS_REACTIONS}" id="{last:echoHi}"><reaction>👍</reaction></reactions><store xmlns="${HINTS}"/></message>`,
  },
  { expect: { from: ECHO_FULL, has: `{${NS_REACTIONS}}reactions[@id='m1']` } },
  // 12. reply to echo's (corrected) answer, with the XEP-0428 fallback quoting it: "> echo: hello\n"
  {
    send: `<message type="chat" to="${ECHO}" id="m3"><body>&gt; echo: hello\nand you?</body><reply xmlns="${NS_REPLY}" to="${ECHO}" id="{last:echoHi}"/><fallback xmlns="urn:xmpp:fallback:0" for="${NS_REPLY}"><body start="0" end="14"/></fallback><markable xmlns="${NS_MARKERS}"/></message>`,
  },
  { expect: { from: ECHO_FULL, has: `{${NS_RECEIPTS}}received[@id='m3']` } },
  { expect: { from: ECHO_FULL, has: `{${NS_MARKERS}}displayed[@id='m3']` } },
  { expect: { from: ECHO_FULL, body: "^echo: and you\\?$" }, capture: "echoReply" },
  // 16. retraction of m1: echo retracts its answer
  { send: `<message type="chat" to="${ECHO}" id="r1"><retract xmlns="${NS_RETRACT}" id="m1"/></message>` },
  { expect: { from: ECHO_FULL, has: `{${NS_RETRACT}}retract[@id='{last:echoHi}']` } },
  // 18. chat states
  { send: `<message type="chat" to="${ECHO}" id="s1"><composing xmlns="${NS_CHATSTATES}"/></message>` },
  { expect: { from: ECHO_FULL, has: `{${NS_CHATSTATES}}composing` } },
  { send: `<message type="chat" to="${ECHO}" id="s2"><paused xmlns="${NS_CHATSTATES}"/></message>` },
  { expect: { from: ECHO_FULL, has: `{${NS_CHATSTATES}}paused` } },
];

/** The stanza the `expect` at `stepIndex` matched, parsed. */
function matched(stepIndex: number): Element {
  const match = run.rawMatches.find((m) => m.stepIndex === stepIndex);
  if (!match) throw new Error(`step ${stepIndex} matched nothing: ${JSON.stringify(run.rawError)}`);
  return parseXml(match.xml);
}

/**
 * The stanza of `stepIndex` must be exactly `expected`; `{id}` stands for the id the gateway chose.
 * Echo writes to the user's bare JID; Prosody delivers it to the one resource unchanged, except
 * that it stamps the component stream's language on stanzas that carry none (`xml:lang="en"`).
 */
function expectStanza(stepIndex: number, expected: string): Element {
  const actual = matched(stepIndex);
  expect(canonicalXml(actual)).toBe(canonicalXml(expected.replaceAll("{id}", String(actual.attrs.id))));
  return actual;
}

/** XEP-0115 §5.1 verification string hashed with SHA-1 (identities and features; no forms here). */
function capsVer(query: Element): string {
  const identities = query
    .getChildren("identity")
    .map((i) => [i.attrs.category, i.attrs.type, i.attrs["xml:lang"] ?? "", i.attrs.name ?? ""].join("/"))
    .sort();
  const features = query
    .getChildren("feature")
    .map((f) => String(f.attrs.var))
    .sort();
  const s = [...identities, ...features].map((part) => `${part}<`).join("");
  return createHash("sha1").update(s, "utf8").digest("base64");
}

onEachDriver((driver) => {
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    await registerAccount(prosody, "romeo", "pw");
    // Registered before the gateway starts: it logs romeo in at startup and fills his roster
    // (XEP-0356) while he is offline; his client's presences then come as answers to probes.
    await startDemoGateway(prosody, cleanups, {
      database: await createTestDatabase(driver, cleanups),
      beforeStart: async (store) => {
        await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
      },
    });
    const started = performance.now();
    run = await runSlixmppClient({
      server: prosody,
      jid: USER,
      password: "pw",
      raw: { steps: STEPS },
      waitForRosterItems: [ECHO, `alice@${GW}`, `bob@${GW}`],
      timeoutMs: 20_000,
    });
    runMs = performance.now() - started;
    console.info(
      `${driver}: slixmpp echo script through Prosody: ${runMs.toFixed(0)} ms for ${STEPS.length} steps (login and roster included)`,
    );
  });
  afterAll(async () => {
    await cleanups.run();
  });

  describe("1:1 messaging with echo: slixmpp ↔ Prosody ↔ demo gateway", () => {
    it("runs the whole script without a failed step", () => {
      expect(run.rawError, JSON.stringify(run.rawError, null, 2)).toBeUndefined();
      expect(run.errors).toEqual([]);
      expect(run.ok).toBe(true);
      expect(run.rawMatches.map((m) => m.stepIndex)).toEqual(
        STEPS.flatMap((step, index) => ("expect" in step ? [index] : [])),
      );
    });

    it("text: echo's receipt and read marker for m1, then 'echo: hi', each exactly once", () => {
      expectStanza(
        5,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <received xmlns="${NS_RECEIPTS}" id="m1"/><received xmlns="${NS_MARKERS}" id="m1"/>
          <store xmlns="${HINTS}"/></message>`,
      );
      expectStanza(
        6,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <displayed xmlns="${NS_MARKERS}" id="m1"/><store xmlns="${HINTS}"/></message>`,
      );
      expectStanza(
        7,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <body>echo: hi</body><markable xmlns="${NS_MARKERS}"/><origin-id xmlns="urn:xmpp:sid:0" id="{id}"/></message>`,
      );
      // Nothing echo sent went unasserted, and nothing came twice: every message from echo is one
      // of the matched ones.
      const fromEcho = run.stanzas.filter(
        (s) => s.name === "message" && s.xml.includes(`from="${ECHO_FULL}"`),
      );
      const matchedIndexes = new Set(run.rawMatches.map((m) => m.index));
      expect(fromEcho.filter((s) => !matchedIndexes.has(s.index)).map((s) => s.xml)).toEqual([]);
    });

    it("correction: 'echo: hello' replaces echo's answer (XEP-0308)", () => {
      expectStanza(
        9,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <body>echo: hello</body><replace xmlns="${NS_CORRECT}" id="${run.captured.echoHi}"/></message>`,
      );
      expect(run.captured.echoCorrection).not.toBe(run.captured.echoHi);
    });

    it("reaction: 👍 on echo's answer comes back as echo's 👍 on the user's m1 (XEP-0444)", () => {
      expectStanza(
        11,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <reactions xmlns="${NS_REACTIONS}" id="m1"><reaction>👍</reaction></reactions><store xmlns="${HINTS}"/></message>`,
      );
    });

    it("reply: echo answers 'and you?' (fallback stripped) as a reply to the user's m3 (XEP-0461)", () => {
      expectStanza(
        13,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <received xmlns="${NS_RECEIPTS}" id="m3"/><received xmlns="${NS_MARKERS}" id="m3"/>
          <store xmlns="${HINTS}"/></message>`,
      );
      expectStanza(
        15,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <body>echo: and you?</body><reply xmlns="${NS_REPLY}" to="${USER}" id="m3"/>
          <markable xmlns="${NS_MARKERS}"/><origin-id xmlns="urn:xmpp:sid:0" id="{id}"/></message>`,
      );
    });

    it("retraction: retracting m1 retracts echo's answer, with both XEP-0424 forms and a fallback body", () => {
      const target = run.captured.echoHi;
      expectStanza(
        17,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <body>This person attempted to retract a previous message, but it's unsupported by your client.</body>
          <retract xmlns="${NS_RETRACT}" id="${target}"/>
          <apply-to xmlns="urn:xmpp:fasten:0" id="${target}"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>
          <fallback xmlns="urn:xmpp:fallback:0" for="${NS_RETRACT}"/>
          <store xmlns="${HINTS}"/></message>`,
      );
    });

    it("chat states: composing and paused come back, not stored (XEP-0085, XEP-0334)", () => {
      expectStanza(
        19,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <composing xmlns="${NS_CHATSTATES}"/><no-store xmlns="${HINTS}"/></message>`,
      );
      expectStanza(
        21,
        `<message from="${ECHO_FULL}" to="${USER}" type="chat" id="{id}" xml:lang="en">
          <paused xmlns="${NS_CHATSTATES}"/><no-store xmlns="${HINTS}"/></message>`,
      );
    });

    it("roster: echo, alice and bob with their names in group Demo", () => {
      expect(run.roster?.filter((item) => item.jid.endsWith(`@${GW}`))).toEqual([
        { jid: `alice@${GW}`, name: "Alice Demo", subscription: "both", groups: ["Demo"] },
        { jid: `bob@${GW}`, name: "Bob Demo", subscription: "both", groups: ["Demo"] },
        { jid: ECHO, name: "Echo Bot", subscription: "both", groups: ["Demo"] },
      ]);
    });

    it("presences: echo online 'I repeat everything', alice away, both with XEP-0115 caps; bob none", () => {
      const echo = matched(0);
      expect(echo.getChild("show")).toBeUndefined();
      expect(echo.getChildText("status")).toBe("I repeat everything");
      const alice = matched(1);
      expect(alice.getChildText("show")).toBe("away");
      for (const presence of [echo, alice]) {
        const c = presence.getChild("c", NS_CAPS);
        expect(c?.attrs).toMatchObject({ hash: "sha-1", node: expect.any(String), ver: expect.any(String) });
      }
      // bob is offline on the demo network: the client sees no available presence from him.
      const fromBob = run.stanzas.filter((s) => s.name === "presence" && s.xml.includes(`from="bob@${GW}`));
      expect(fromBob.map((s) => parseXml(s.xml).attrs.type ?? "available")).not.toContain("available");
    });

    it("disco#info on echo/gangway through the server: reactions, corrections, … and the caps hash matches", () => {
      const result = matched(3);
      expect(result.attrs.type).toBe("result");
      const query = result.getChild("query", NS_DISCO_INFO);
      const features = query?.getChildren("feature").map((f) => String(f.attrs.var)) ?? [];
      expect(features).toEqual(
        expect.arrayContaining([
          "urn:xmpp:reactions:0",
          "urn:xmpp:message-correct:0",
          NS_RETRACT,
          NS_REPLY,
          NS_RECEIPTS,
          NS_MARKERS,
          NS_CHATSTATES,
        ]),
      );
      // The ver echo's presence advertises is the hash of exactly this answer (XEP-0115 §5.1),
      // so a client's caps cache would hold the right features for echo.
      expect(matched(0).getChild("c", NS_CAPS)?.attrs.ver).toBe(capsVer(query!));
    });
  });
});
