import { connectClient, registerAccount, startProsody, type TestClient } from "@gangway/testing";
import type { Element } from "@gangway/xmpp";
import { afterAll, expect, it } from "vitest";
import { startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, registerWithGateway } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * Floods against the real executable and a real Prosody, with a small per-JID rate limit (20 a
 * second, bursts of 50) so the test is quick. A stranger (an account that never registered)
 * floods a puppet and the gateway's JID; a registered user floods echo; meanwhile another
 * registered user talks to echo at a normal pace. Every flooded message is accounted for: handled
 * (echoed, or refused for what it is) or refused by the rate limit with policy-violation, none
 * lost in silence; the calm user gets every echo, in order; the gateway stays up.
 *
 * The fixture's Prosody does not load mod_limits: it passes c2s traffic on as fast as it comes,
 * so the gateway's limit is the only one at work here.
 */

const RATE = 20;
const BURST = 50;
const ECHO = `echo@${GW}`;
const ECHO_FULL = `${ECHO}/gangway`;
const RUNNING = /"msg":"gateway running"/;
const STRANGER_EACH = 1000;
const FLOOD = 2000;
const CALM = 50;
const IQS = 300;
const CALM_PACE_MS = 100;

const cleanups = new Cleanups();
afterAll(() => cleanups.run());

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function condition(stanza: Element): string | undefined {
  return stanza
    .getChild("error")
    ?.getChildElements()
    .find((child) => child.name !== "text")?.name;
}

/** Polls until `done()`; fails with `what` after `timeoutMs`. */
async function until(done: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting: ${what()}`);
    await later(50);
  }
}

/** Error replies to `client`, by the id of the stanza they answer. */
function errorsById(client: TestClient): Map<string, string | undefined> {
  const errors = new Map<string, string | undefined>();
  for (const s of client.stanzas) {
    if (s.is("message") && s.attrs.type === "error" && s.attrs.id) errors.set(s.attrs.id, condition(s));
  }
  return errors;
}

const message = (to: string, id: string, body: string) =>
  `<message type="chat" to="${to}" id="${id}"><body>${body}</body></message>`;

it("a stranger and a registered user flood; another user is unaffected, nothing is lost in silence", async () => {
  const prosody = await startProsody({ componentDomain: GW });
  cleanups.add(() => prosody.stop());
  const database = await createTestDatabase("sqlite", cleanups);
  const gateway = startGatewayProcess(
    cleanups,
    [...database.cliArgs, "--rate-limit", String(RATE), "--rate-burst", String(BURST)],
    {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    },
  );
  await gateway.waitForOutput(RUNNING);

  const connect = async (name: string) => {
    await registerAccount(prosody, name, "pw");
    const client = await connectClient({ server: prosody, username: name, password: "pw" });
    cleanups.add(() => client.stop());
    return client;
  };
  const [stranger, flooder, calm] = await Promise.all([
    connect("stranger"),
    connect("flooder"),
    connect("calm"),
  ]);
  await registerWithGateway(flooder, "flooder");
  await registerWithGateway(calm, "calm");

  // The calm user: one message every 100 ms (10 a second, half the limit), all through the floods.
  const calmSending = (async () => {
    for (let i = 0; i < CALM; i++) {
      await calm.send(message(ECHO, `calm-${i}`, `calm ${i}`));
      await later(CALM_PACE_MS);
    }
  })();
  const started = performance.now();
  const strangerFlood = (async () => {
    for (let i = 0; i < STRANGER_EACH; i++) {
      await stranger.send(message(ECHO, `sp-${i}`, `to a puppet ${i}`));
      await stranger.send(message(GW, `sg-${i}`, `to the gateway ${i}`));
    }
  })();
  const registeredFlood = (async () => {
    for (let i = 0; i < FLOOD; i++) await flooder.send(message(ECHO, `f-${i}`, `flood ${i}`));
  })();
  await Promise.all([strangerFlood, registeredFlood]);
  const floodsSentMs = performance.now() - started;
  await calmSending;

  // The registered flooder: each message echoed or refused by the limit, and nothing else.
  const echoedFloods = () =>
    flooder.stanzas.filter(
      (s) => s.attrs.from === ECHO_FULL && s.getChildText("body")?.startsWith("echo: flood "),
    );
  const floodErrors = () => [...errorsById(flooder)].filter(([id]) => id.startsWith("f-"));
  await until(
    () => echoedFloods().length + floodErrors().length >= FLOOD,
    () => `flooder: ${echoedFloods().length} echoes + ${floodErrors().length} errors of ${FLOOD}`,
  );
  const echoed = echoedFloods().map((s) => s.getChildText("body"));
  const refused = floodErrors();
  expect(new Set(refused.map(([, c]) => c))).toEqual(new Set(["policy-violation"]));
  expect(echoed.length + refused.length).toBe(FLOOD);
  // No message both echoed and refused, or twice: the ids/bodies are all distinct.
  const echoedIndexes = new Set(echoed.map((body) => Number(body?.slice("echo: flood ".length))));
  expect(echoedIndexes.size).toBe(echoed.length);
  for (const [id] of refused) expect(echoedIndexes.has(Number(id.slice(2)))).toBe(false);
  // Refused were those over the limit: at least the burst went through, and far from everything.
  expect(echoed.length).toBeGreaterThanOrEqual(BURST);
  expect(refused.length).toBeGreaterThan(FLOOD / 2);
  // What went through was echoed in the order it was sent.
  expect([...echoedIndexes]).toEqual([...echoedIndexes].sort((a, b) => a - b));
  const refusal = flooder.stanzas.find((s) => s.attrs.type === "error");
  const text = refusal?.getChild("error")?.getChildText("text") ?? "";
  expect(text).toContain(`at most ${RATE} stanzas per second from one address`);
  expect(text).not.toContain("flood");
  expect(refusal?.getChild("error")?.attrs.type).toBe("wait");

  // The stranger: every message to the puppet answered with an error, by id; to the gateway's JID,
  // the limit's refusals by id and the chat bot's answers for the rest.
  const strangerErrors = () => errorsById(stranger);
  const toPuppet = () => [...strangerErrors()].filter(([id]) => id.startsWith("sp-"));
  await until(
    () => toPuppet().length >= STRANGER_EACH,
    () => `stranger: ${toPuppet().length} errors of ${STRANGER_EACH} messages to a puppet`,
  );
  const puppetConditions = countBy(toPuppet().map(([, c]) => String(c)));
  expect(Object.keys(puppetConditions).sort()).toEqual(["policy-violation", "registration-required"]);
  const toGateway = [...strangerErrors()].filter(([id]) => id.startsWith("sg-"));
  expect(new Set(toGateway.map(([, c]) => c))).toEqual(new Set(["policy-violation"]));
  const admittedToGateway = STRANGER_EACH - toGateway.length;
  const botAnswers = () =>
    stranger.stanzas.filter((s) => s.is("message") && s.attrs.from === GW && s.attrs.type !== "error");
  await until(
    () => botAnswers().length >= admittedToGateway,
    () => `stranger: ${botAnswers().length} chat-bot answers of ${admittedToGateway} admitted lines`,
  );
  const strangerAdmitted = (puppetConditions["registration-required"] ?? 0) + admittedToGateway;
  expect(strangerAdmitted).toBeGreaterThanOrEqual(BURST);
  expect(strangerAdmitted).toBeLessThan(STRANGER_EACH);

  // IQs count too: a burst of disco#info requests, each answered with a result or the refusal.
  const iqOutcomes = await Promise.allSettled(
    Array.from({ length: IQS }, (_, i) =>
      stranger.request(
        `<iq type="get" id="disco-${i}" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
        20_000,
      ),
    ),
  );
  const iqResults = countBy(
    iqOutcomes.map((o) =>
      o.status === "fulfilled" ? "result" : String((o.reason as { condition?: string }).condition),
    ),
  );
  expect(Object.keys(iqResults).sort()).toEqual(["policy-violation", "result"]);

  // The calm user: all 50 echoes, in order, and not one error.
  await until(
    () => calm.stanzas.filter((s) => s.getChildText("body")?.startsWith("echo: calm ")).length >= CALM,
    () => "calm: echoes",
  );
  expect(
    calm.stanzas
      .filter((s) => s.getChildText("body")?.startsWith("echo: calm "))
      .map((s) => s.getChildText("body")),
  ).toEqual(Array.from({ length: CALM }, (_, i) => `echo: calm ${i}`));
  expect(calm.stanzas.filter((s) => s.attrs.type === "error")).toEqual([]);

  // The gateway is up and answers the flooders again once they stop.
  await later((BURST / RATE) * 1000);
  await flooder.send(message(ECHO, "after", "after the flood"));
  await flooder.waitFor((s) => s.getChildText("body") === "echo: after the flood", 5000);
  expect(gateway.running).toBe(true);
  // Logged once per flooding JID (a minute has not passed), not per refused stanza.
  const warnings = gateway.logEntries().filter((e) => e.msg.startsWith("rate limit:"));
  expect(warnings.map((e) => e.jid).sort()).toEqual(["flooder@localhost", "stranger@localhost"]);
  // The stranger did not end up registered: the gateway's registration form says so.
  const form = await stranger.request(`<iq type="get" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`);
  expect(form.getChild("query")?.getChild("registered")).toBeUndefined();
  const calmForm = await calm.request(`<iq type="get" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`);
  expect(calmForm.getChild("query")?.getChild("registered")).toBeDefined();
  expect(await gateway.stop(), gateway.output()).toEqual({ code: 0, signal: null });

  console.info(
    `flood (limit ${RATE}/s, burst ${BURST}): floods sent in ${floodsSentMs.toFixed(0)} ms; ` +
      `registered flooder ${echoed.length} echoed + ${refused.length} policy-violation = ${FLOOD}; ` +
      `stranger to a puppet ${JSON.stringify(puppetConditions)}, to the gateway ${admittedToGateway} answered by the bot + ` +
      `${toGateway.length} policy-violation, ${IQS} disco#info IQs ${JSON.stringify(iqResults)}; calm user ${CALM}/${CALM} echoes in order`,
  );
}, 90_000);

function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
