import { readFile } from "node:fs/promises";
import { connectClient, registerAccount, startProsody } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startGatewayProcess } from "./gateway-process.js";
import { classify, FloodClient, type FloodCounts, type FloodRecord } from "./restart-flood.js";
import { Cleanups, GW } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * Prosody restarted 10 times under a user's steady traffic (issue 11, item 8): the real demo
 * executable on SQLite, a slixmpp client writing to echo at 50 msg/s. Nothing may be lost in
 * silence: every message that reached the server is echoed or answered with an error that says
 * what happened.
 *
 * How the counting keeps to the gateway's behaviour. The client loses its own stream on every
 * restart too, and what it wrote in the last instants before that may never have reached Prosody:
 * that is the client's luck, not the gateway's. So the client uses XEP-0198 with an ack requested
 * after every stanza (Prosody's mod_smacks): a message the server acknowledged is known to have
 * reached it, and from there the server and the gateway owe an answer. An answer comes back even
 * when the client was away meanwhile: echoes go to the bare JID (Prosody keeps them offline until
 * the client's next presence) and errors to the full JID, whose resource the reconnected client
 * takes again. Counted:
 * - not sent: ticks that fell while the client had no session (nothing was written);
 * - echoed; bounced, by error condition (Prosody's own "component unavailable" in the instants
 *   before the gateway is back, or the gateway's errors);
 * - unacked, unanswered: written to a stream that died before the ack (may never have arrived);
 * - silent: acknowledged by the server, yet neither echoed nor answered: must be 0. That includes
 *   the answers in flight when Prosody exits: on SIGTERM it closes its clients' streams, keeps
 *   routing what the component writes for a few hundred ms, then exits without closing the
 *   component's stream, so what the gateway wrote after Prosody's last read is gone while the
 *   socket reported it written (XEP-0114 has no acks). The transport writes a ping checkpoint
 *   after what it writes and writes again, after reconnecting, whatever no answered checkpoint
 *   covers (WriteConfirmations in @gangway/xmpp): before it, 0–11 answers a restart were lost so.
 * Echoes counted twice are Prosody's: it stores a message its client had not acked when the
 * client's stream closed (mod_smacks) and delivers it again from offline storage, with the same
 * stanza id.
 */

const RUNNING = /"msg":"gateway running"/;
const ECHO = `echo@${GW}`;
const RESTARTS = 10;
/** Messages per second from the client. */
const RATE = 50;
/** Outage of each restart: 2, 2.5, 3, 2, … s. */
const downMs = (i: number) => 2000 + (i % 3) * 500;
/** Traffic between two restarts, once Prosody listens again. */
const UP_MS = 2000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

function table(counts: FloodCounts): string {
  const rows: Array<[string, number]> = [
    [`ticks at ${RATE}/s`, counts.ticks],
    ["not sent (client had no session)", counts.notSent],
    ["sent", counts.sent],
    ["acked by the server (XEP-0198)", counts.acked],
    ["echoed", counts.echoed],
    ["  of which echoed twice", counts.duplicated],
    ...Object.entries(counts.bounced).map(([condition, n]): [string, number] => [`bounced: ${condition}`, n]),
    ["unacked, unanswered (client's stream died)", counts.unackedUnanswered],
    ["silent (acked, no echo, no error)", counts.silent.length],
    ["receipts", counts.receipts],
  ];
  return rows.map(([label, n]) => `  ${label.padEnd(46)} ${String(n).padStart(6)}`).join("\n");
}

describe("Prosody restarted under traffic (real executable, slixmpp)", () => {
  it(`${RESTARTS} restarts at ${RATE} msg/s: every message that reached the server is echoed or bounced with a text`, async () => {
    // mod_smacks: the client's acks (see above).
    const prosody = await startProsody({ componentDomain: GW, extraModules: ["smacks"] });
    cleanups.add(() => prosody.stop());
    const database = await createTestDatabase("sqlite", cleanups);
    const gateway = startGatewayProcess(cleanups, [...database.cliArgs, "--log-level", "debug"], {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    });
    await gateway.waitForOutput(RUNNING);
    await registerAccount(prosody, "flood", "pw");
    const registering = await connectClient({ server: prosody, username: "flood", password: "pw" });
    // The set-up waits for the gateway's own "logged in" line rather than the "Logged in as"
    // presence: under load that presence has, three times in this test only, not reached the
    // registering client (cause not found; see the closing note of issue 11). What this test
    // measures starts after it, with another client.
    await registering.request(
      `<iq type="set" to="${GW}"><query xmlns="jabber:iq:register">` +
        "<username>flood</username><password>S3cr3t-Xy7q</password></query></iq>",
    );
    await gateway.waitForOutput(/"user":"flood@localhost","contacts":\d+,"msg":"logged in"/);
    await registering.stop();

    const flood = new FloodClient({
      server: prosody,
      jid: "flood@localhost/flood",
      password: "pw",
      to: ECHO,
      rate: RATE,
      tailSeconds: 15,
    });
    cleanups.add(() => flood.kill());
    await flood.waitFor("online", 10_000);
    await sleep(UP_MS);

    // Each restart: when Prosody was stopped, and when it listened again (restart() resolved:
    // its c2s and component ports accept connections, polled every 20 ms).
    const restarts: Array<{ stoppingAt: number; listeningAt: number }> = [];
    for (let i = 0; i < RESTARTS; i++) {
      const stoppingAt = Date.now();
      await prosody.restart({ downMs: downMs(i) });
      restarts.push({ stoppingAt, listeningAt: Date.now() });
      await sleep(UP_MS);
    }
    const { records, sessions } = await flood.stop(30_000);
    const counts = classify(records);

    // The gateway's "component online" lines (pino's epoch ms): the first after each restart began.
    const onlineTimes = gateway
      .logEntries()
      .filter((entry) => entry.msg === "component online")
      .map((entry) => Number(entry.time));
    const backMs = restarts.map(({ stoppingAt, listeningAt }) => {
      const online = onlineTimes.find((time) => time > stoppingAt);
      return online === undefined ? Number.NaN : online - listeningAt;
    });
    const sorted = backMs.filter((ms) => !Number.isNaN(ms)).sort((a, b) => a - b);
    console.info(
      `Prosody restarted ${RESTARTS}x (down ${downMs(0)}–${downMs(2)} ms) under ${RATE} msg/s; ` +
        `client sessions: ${sessions.length}\n${table(counts)}\n` +
        // Negative: the gateway was in before the fixture's probe (every 20 ms) saw Prosody listen.
        `component online after Prosody listened (ms, per restart): ${backMs.join(", ")}\n` +
        `  min ${sorted[0]} / median ${percentile(sorted, 0.5)} / max ${sorted.at(-1)}`,
    );

    // The traffic really went through every restart: the client came back each time, and the
    // gateway reconnected each time.
    expect(sessions.length).toBe(RESTARTS + 1);
    expect(backMs.filter((ms) => Number.isNaN(ms))).toEqual([]);
    expect(counts.echoed).toBeGreaterThan(counts.sent / 2);
    expect(await describeSilent(counts.silent, prosody.logFile, gateway.logEntries())).toEqual([]);
    expect(counts.bouncedWithoutText.map((record) => record.errors)).toEqual([]);
    expect(await gateway.stop(), gateway.output()).toEqual({ code: 0, signal: null });
  }, 120_000);
});

/**
 * For each silent message: its record, and what Prosody's debug log says of its id, so a failure
 * in CI tells where it was lost.
 */
async function describeSilent(
  silent: readonly FloodRecord[],
  prosodyLog: string,
  gatewayLog: ReadonlyArray<{ level: number; msg: string }>,
): Promise<string[]> {
  if (silent.length === 0) return [];
  const lines = (await readFile(prosodyLog, "utf8")).split("\n");
  const warnings = gatewayLog.filter((entry) => entry.level >= 40).map((entry) => JSON.stringify(entry));
  return silent.map((record) => {
    const mentions = lines.filter(
      (line) => line.includes(`'${record.id}'`) || line.includes(`"${record.id}"`),
    );
    return `${JSON.stringify(record)}\n  prosody: ${mentions.slice(0, 8).join("\n  ")}\n  gateway warnings: ${warnings.slice(0, 20).join("\n  ")}`;
  });
}
