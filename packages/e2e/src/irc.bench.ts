import {
  biboumiAvailable,
  connectClient,
  FULL_PRIVILEGES,
  type NgircdServer,
  type ProsodyServer,
  registerAccount,
  startNgircd,
  startProsody,
  type TestClient,
} from "@gangway/testing";
import { bench, describe } from "vitest";
import {
  benchSize,
  envInt,
  fixed,
  measureRoundTrips,
  measureWindowed,
  median,
  percentiles,
  QUICK,
  runPool,
  StanzaTap,
  sleep,
  xmppListener,
  xmppSender,
} from "./bench-support.js";
import { BareTarget } from "./irc-bench-bare.js";
import {
  BiboumiTarget,
  type CpuShare,
  type DirectionResult,
  type FarEnd,
  type GatewayUnderTest,
  medianRound,
  OursTarget,
  withCpu,
} from "./irc-bench-support.js";
import { perUserKb, reportIrc, type TargetResult, type ThrottleProbe } from "./irc-report.js";

/** One direction of traffic, labelled for the tables. */
async function withDirection(
  direction: DirectionResult["direction"],
  options: Parameters<typeof measureWindowed>[0],
): Promise<DirectionResult> {
  return { direction, ...(await measureWindowed(options)) };
}

/**
 * IRC gateway figures against one throwaway Prosody and one ngircd on 127.0.0.1:
 * `pnpm --filter @gangway/e2e exec vitest bench --run src/irc.bench.ts` (or `pnpm bench`). Needs
 * Prosody, ngircd, biboumi and the workspace built (`pnpm build`: the gateways run from dist).
 *
 * For each target (biboumi; the bare echo component, i.e. the XMPP server's pipe without any
 * gateway; ours, @gangway/irc-gateway's IrcGateway in its own Node process on a new SQLite file
 * in a temp home dir and `--irc-server` pinned to ngircd, users registered over XEP-0077):
 * 1. 1:1 throughput XMPP → IRC: one xmpp.js client (SASL PLAIN) sends N messages to the far end's
 *    JID on the gateway, at most WINDOW not yet seen by the far end (a raw IRC bot on ngircd; for
 *    the bare component, the component itself), counting lost, duplicated and reordered ones.
 * 2. 1:1 throughput IRC → XMPP: the far end sends N messages to the user, at most WINDOW not yet
 *    seen by the XMPP client.
 *    1 and 2 alternate, ROUNDS times each: the table shows the median round (the machine is shared).
 *    CPU time of every process (/proc/<pid>/stat) is sampled around each round, to show the limit,
 *    and the gateway's is set against the bare component's.
 * 3. Round trips XMPP client → gateway → IRC → bot echoes → gateway → client, one at a time.
 * 4. Memory of the gateway process: idle 2 s after start, and per additional user: K more XMPP
 *    users registered, REGISTER_CONCURRENCY at a time, within K_BUDGET_MS (biboumi: server
 *    settings + a channel join of their own; ours: XEP-0077; each opens one IRC connection). Node
 *    processes (ours, bare) are sampled after a forced GC (they run with --expose-gc), with their
 *    heap; biboumi by VmRSS. The K XMPP accounts are created on Prosody and connected before the
 *    targets run, CLIENT_CONCURRENCY at a time.
 * For biboumi, also: its default throttling (throttle_limit 10, then one line per second), measured
 * with a second user left at the default; the main user has throttling off (throttle_limit -1),
 * since at 1 line/s N=5000 would take ~83 minutes.
 *
 * Topology: this (vitest) process runs the XMPP clients and the IRC bots; biboumi, the bare
 * component and our gateway (Node processes of their own), Prosody and ngircd are separate
 * processes. Targets run one after the other (each stopped before the next). Prints markdown
 * tables and one `BENCH_JSON {…}` line (irc-report.ts); fails the run after printing when a
 * message was lost, duplicated or reordered, or a target failed. vitest's own table shows only
 * the wall time of the whole scenario. `GANGWAY_BENCH_QUICK=1` runs a reduced size.
 */

const N = benchSize(5000, 500);
const WINDOW = 50;
/** Each direction runs ROUNDS times (N each): the table shows the median, the JSON every round. */
const ROUNDS = benchSize(3, 1);
const WARMUP = benchSize(200, 50);
const RTT_SAMPLES = benchSize(500, 60);
const RTT_WARMUP = 20;
/** Users added to measure memory per user (GANGWAY_BENCH_IRC_K overrides). */
const K = envInt("GANGWAY_BENCH_IRC_K", benchSize(1000, 40));
const K_BUDGET_MS = 240_000;
const REGISTER_CONCURRENCY = 8;
const CLIENT_CONCURRENCY = 16;
const THROTTLE_PROBE = 15;
const PASSWORD = "pw";

const BIBOUMI = "biboumi.localhost";
const BARE = "echo-irc.localhost";
// A subdomain of the users' server (localhost): the gateway core allows users of the parent domain.
const OURS = "gangway-irc.localhost";

/** biboumi's default throttling, seen by the bot: a user left at throttle_limit 10. */
async function probeThrottle(
  target: BiboumiTarget,
  prosody: ProsodyServer,
  far: FarEnd,
): Promise<ThrottleProbe> {
  await registerAccount(prosody, "throttled", PASSWORD);
  const client = await connectClient({ server: prosody, username: "throttled", password: PASSWORD });
  try {
    await target.registerWith(client, "throttled", undefined);
    // Let the token bucket refill after the login lines (CAP, NICK, USER, CAP END, JOIN).
    await sleep(1500);
    const arrivals: number[] = [];
    const done = new Promise<void>((resolve) => {
      const started = performance.now();
      far.listen({ nick: "throttled", bareJid: client.bareJid }, (text) => {
        if (!text.startsWith("throttle-")) return;
        arrivals.push(performance.now() - started);
        if (arrivals.length === THROTTLE_PROBE) resolve();
      });
      xmppSender(client, target.jidFor(far.nick)).send(
        Array.from({ length: THROTTLE_PROBE }, (_, i) => `throttle-${i}`),
      );
    });
    await Promise.race([done, sleep(THROTTLE_PROBE * 1000 + 10_000)]);
    far.listen({ nick: "throttled", bareJid: client.bareJid }, undefined);
    const burst = arrivals.filter((ms) => ms < 250).length;
    const later = arrivals.slice(burst);
    const gaps = later.slice(1).map((ms, i) => ms - later[i]!);
    return {
      messages: THROTTLE_PROBE,
      arrivalsMs: arrivals.map((ms) => fixed(ms, 1)),
      burst,
      laterGapMs: gaps.length ? fixed(median(gaps)!, 1) : null,
    };
  } finally {
    await client.stop();
  }
}

async function runTarget(
  target: GatewayUnderTest,
  prosody: ProsodyServer,
  irc: NgircdServer,
  bencher: TestClient,
  users: TestClient[],
  short: string,
): Promise<TargetResult> {
  await sleep(2000);
  const idle = await target.memory();
  const far = await target.farEnd(`far${short}`);
  const tap = new StanzaTap(bencher);
  try {
    const nick = `bench${short}`;
    const key = { nick, bareJid: bencher.bareJid };
    await far.setEcho(true); // the bare component's register() is one echoed message
    await target.register(bencher, nick);
    await far.setEcho(false);
    const farJid = target.jidFor(far.nick);
    const toIrc = xmppSender(bencher, farJid);
    const fromIrc = xmppListener(tap, farJid);
    const xmppToIrc = (count: number, tag: string) =>
      withDirection("xmpp→irc", {
        count,
        window: WINDOW,
        tag,
        send: toIrc.send,
        listen: (handler) => far.listen(key, handler),
      });
    const ircToXmpp = (count: number, tag: string) =>
      withDirection("irc→xmpp", {
        count,
        window: WINDOW,
        tag,
        send: (texts) => far.send(nick, bencher.jid, texts),
        listen: fromIrc,
      });
    // Warm-up (JIT, first-use paths), not reported.
    await xmppToIrc(WARMUP, `${short}-warm-out`);
    await ircToXmpp(WARMUP, `${short}-warm-in`);
    // Rounds alternate directions, so a burst of load from elsewhere on the machine hits both.
    const outRounds: Array<[DirectionResult, CpuShare]> = [];
    const inRounds: Array<[DirectionResult, CpuShare]> = [];
    for (let round = 0; round < ROUNDS; round++) {
      outRounds.push(await withCpu(target, prosody, irc, () => xmppToIrc(N, `${short}-out${round}`)));
      inRounds.push(await withCpu(target, prosody, irc, () => ircToXmpp(N, `${short}-in${round}`)));
    }
    const [out, cpuOut] = medianRound(outRounds);
    const [inbound, cpuIn] = medianRound(inRounds);
    if (toIrc.error()) console.error(`${target.name}: sending failed:`, toIrc.error());

    await far.setEcho(true);
    await measureRoundTrips(bencher, tap, {
      to: farJid,
      samples: RTT_WARMUP,
      tag: `${short}-rttw`,
      // The far end echoes the text as it is.
      reply: (body) => body,
    });
    const rtt = percentiles(
      await measureRoundTrips(bencher, tap, {
        to: farJid,
        samples: RTT_SAMPLES,
        tag: `${short}-rtt`,
        // The far end echoes the text as it is.
        reply: (body) => body,
      }),
    );

    let throttle: ThrottleProbe | undefined;
    if (target instanceof BiboumiTarget) {
      await far.setEcho(false);
      throttle = await probeThrottle(target, prosody, far);
      await far.setEcho(true);
    }

    await sleep(500);
    const beforeUsers = await target.memory();
    const started = performance.now();
    let registered = 0;
    await runPool(users, REGISTER_CONCURRENCY, async (client, u) => {
      if (performance.now() - started > K_BUDGET_MS) return;
      await target.register(client, `${short}u${u}`);
      registered++;
    });
    const usersMs = performance.now() - started;
    await sleep(1000);
    const afterUsers = await target.memory();
    return {
      name: target.name,
      rounds: { xmppToIrc: outRounds.map(([d]) => d), ircToXmpp: inRounds.map(([d]) => d) },
      cpu: { xmppToIrc: cpuOut, ircToXmpp: cpuIn },
      xmppToIrc: out,
      ircToXmpp: inbound,
      rtt,
      idle,
      beforeUsers,
      afterUsers,
      users: registered,
      usersMs,
      rssPerUserKb: perUserKb(afterUsers.rss, beforeUsers.rss, registered),
      heapPerUserKb:
        afterUsers.heapUsed === null || beforeUsers.heapUsed === null
          ? null
          : perUserKb(afterUsers.heapUsed, beforeUsers.heapUsed, registered),
      ...(throttle && { throttle }),
      ...(target.stats && { stats: await target.stats() }),
      notes: target.notes,
    };
  } finally {
    await tap.close();
    await far.close();
  }
}

interface TargetSpec {
  short: string;
  start(prosody: ProsodyServer, irc: NgircdServer): Promise<GatewayUnderTest>;
}

async function scenario(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const prosody = await startProsody({
      componentDomain: BIBOUMI,
      privileges: false,
      upload: false,
      extraComponents: [
        { domain: BARE, privileges: false },
        { domain: OURS, privileges: FULL_PRIVILEGES },
      ],
    });
    cleanups.push(() => prosody.stop());
    const irc = await startNgircd();
    cleanups.push(() => irc.stop());

    const skipped: string[] = [];
    const specs: TargetSpec[] = [];
    if (biboumiAvailable()) {
      specs.push({
        short: "b",
        start: (p, i) => BiboumiTarget.start(p, i, BIBOUMI, { throttleLimit: -1 }),
      });
    } else {
      skipped.push("biboumi: skipped (not installed: apt-get install biboumi)");
    }
    specs.push({ short: "e", start: (p) => BareTarget.start(p, BARE) });
    specs.push({ short: "o", start: (p, i) => OursTarget.start(p, i, OURS) });

    await registerAccount(prosody, "bencher", PASSWORD);
    const bencher = await connectClient({ server: prosody, username: "bencher", password: PASSWORD });
    cleanups.push(() => bencher.stop());
    const users: TestClient[] = new Array(K);
    cleanups.push(() => runPool(users.filter(Boolean), CLIENT_CONCURRENCY, (client) => client.stop()));
    await runPool(users, CLIENT_CONCURRENCY, async (_, u) => {
      const username = `user${String(u).padStart(4, "0")}`;
      await registerAccount(prosody, username, PASSWORD, 60_000);
      users[u] = await connectClient({ server: prosody, username, password: PASSWORD });
    });

    const results: TargetResult[] = [];
    const failures: string[] = [];
    for (const spec of specs) {
      // One target failing must not hide the others' figures: it is reported and fails the run at the end.
      let target: GatewayUnderTest | undefined;
      try {
        target = await spec.start(prosody, irc);
        results.push(await runTarget(target, prosody, irc, bencher, users, spec.short));
      } catch (error) {
        failures.push(
          `${spec.short === "o" ? "ours" : spec.short === "b" ? "biboumi" : "bare"}: ${String(error)}`,
        );
      } finally {
        await target?.stop();
      }
    }

    reportIrc(results, [...skipped, ...failures.map((f) => `FAILED ${f}`)], {
      n: N,
      window: WINDOW,
      rounds: ROUNDS,
      rttSamples: RTT_SAMPLES,
      k: K,
      kBudgetMs: K_BUDGET_MS,
      registerConcurrency: REGISTER_CONCURRENCY,
      quick: QUICK,
    });
    const broken = results.flatMap((r) =>
      [...r.rounds.xmppToIrc, ...r.rounds.ircToXmpp]
        .filter((d) => d.lost || d.duplicated || d.reordered)
        .map(
          (d) =>
            `${r.name} ${d.direction}: lost ${d.lost}, duplicated ${d.duplicated}, reordered ${d.reordered}`,
        ),
    );
    if (broken.length || failures.length) {
      throw new Error(
        [
          broken.length ? `IRC 1:1 delivery not exact: ${broken.join("; ")}` : "",
          ...failures.map((f) => `target failed: ${f}`),
        ]
          .filter(Boolean)
          .join("\n"),
      );
    }
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
}

describe("IRC gateways via a real Prosody and ngircd", () => {
  // vitest 4 runs no beforeAll/afterAll in bench mode: the whole scenario is one iteration.
  bench(`IRC 1:1 throughput both ways, round trips and RSS (N=${N}, ${RTT_SAMPLES} RTTs, K≤${K})`, scenario, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
  });
});
