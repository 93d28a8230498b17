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
  markdownTable,
  mb,
  measureRoundTrips,
  measureWindowed,
  type Percentiles,
  percentiles,
  StanzaTap,
  xmppListener,
  xmppSender,
} from "./bench-support.js";
import {
  BareTarget,
  BiboumiTarget,
  type DirectionResult,
  type FarEnd,
  type GatewayUnderTest,
  OursTarget,
  procCpuMs,
} from "./irc-bench-support.js";

/** One direction of traffic, labelled for the tables. */
async function withDirection(
  direction: DirectionResult["direction"],
  options: Parameters<typeof measureWindowed>[0],
): Promise<DirectionResult> {
  return { direction, ...(await measureWindowed(options)) };
}

/**
 * IRC gateway figures against one throwaway Prosody and one ngircd on 127.0.0.1:
 * `pnpm --filter @gangway/e2e exec vitest bench --run src/irc.bench.ts`. Needs Prosody, ngircd,
 * biboumi (skipped when missing) and the workspace built (`pnpm build`: the bare component runs
 * from @gangway/xmpp's dist).
 *
 * For each target (biboumi; the bare echo component, i.e. the XMPP server's pipe without any
 * gateway; ours, @gangway/irc-gateway's IrcGateway in its own Node process with an in-memory
 * PGlite store and `--irc-server` pinned to ngircd, users registered over XEP-0077):
 * 1. 1:1 throughput XMPP → IRC: one xmpp.js client (SASL PLAIN) sends N messages to the far end's
 *    JID on the gateway, at most WINDOW not yet seen by the far end (a raw IRC bot on ngircd; for
 *    the bare component, the component itself), counting lost, duplicated and reordered ones.
 * 2. 1:1 throughput IRC → XMPP: the far end sends N messages to the user, at most WINDOW not yet
 *    seen by the XMPP client.
 *    1 and 2 alternate, ROUNDS times each: the table shows the median round (the machine is shared).
 *    CPU time of every process (/proc/<pid>/stat) is sampled around each round, to show the limit.
 * 3. Round trips XMPP client → gateway → IRC → bot echoes → gateway → client, one at a time.
 * 4. RSS of the gateway process (/proc/<pid>/status VmRSS): idle 2 s after start, and per
 *    additional user: K more XMPP users registered (biboumi: server settings + a channel join of
 *    their own, which opens one IRC connection each), within K_BUDGET_MS.
 * For biboumi, also: its default throttling (throttle_limit 10, then one line per second), measured
 * with a second user left at the default; the main user has throttling off (throttle_limit -1),
 * since at 1 line/s N=5000 would take ~83 minutes.
 *
 * Topology: this (vitest) process runs the XMPP clients and the IRC bots; biboumi, the bare
 * component and our gateway (Node processes of their own), Prosody and ngircd are separate
 * processes. Targets run one after the other (each stopped before the next). Prints markdown
 * tables and one `BENCH_JSON {…}` line; fails the run after printing when a message was lost,
 * duplicated or reordered, or a target failed. vitest's own table shows only the wall time of the whole scenario.
 */

const N = 5000;
const WINDOW = 50;
/** Each direction runs ROUNDS times (N each): the table shows the median, the JSON every round. */
const ROUNDS = 3;
const WARMUP = 200;
const RTT_SAMPLES = 500;
const RTT_WARMUP = 20;
const K = 200;
const K_BUDGET_MS = 60_000;
const THROTTLE_PROBE = 15;
const PASSWORD = "pw";

const BIBOUMI = "biboumi.localhost";
const BARE = "echo-irc.localhost";
// A subdomain of the users' server (localhost): the gateway core allows users of the parent domain.
const OURS = "gangway-irc.localhost";

interface ThrottleProbe {
  messages: number;
  /** Arrival times at the bot, ms after the burst was sent. */
  arrivalsMs: number[];
  /** How many arrived within 250 ms of the burst. */
  burst: number;
  /** Median gap between the later arrivals, ms. */
  laterGapMs: number | null;
}

/** CPU ms used per 1000 messages during one measured direction, by process. */
interface CpuShare {
  gateway: number;
  prosody: number;
  ngircd: number;
  bench: number;
}

interface TargetResult {
  name: string;
  /** Every round; xmppToIrc / ircToXmpp below are the median round by msg/s. */
  rounds: { xmppToIrc: DirectionResult[]; ircToXmpp: DirectionResult[] };
  cpu: { xmppToIrc: CpuShare; ircToXmpp: CpuShare };
  xmppToIrc: DirectionResult;
  ircToXmpp: DirectionResult;
  rtt: Percentiles;
  rssIdle: number;
  rssBeforeUsers: number;
  rssAfterUsers: number;
  users: number;
  usersMs: number;
  rssPerUserKb: number;
  throttle?: ThrottleProbe;
  notes: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fixed = (value: number, digits = 2) => Number(value.toFixed(digits));
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

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

/** The round with the median msg/s; its lost/dup/reordered are replaced by the sums over all rounds. */
function medianRound(rounds: Array<[DirectionResult, CpuShare]>): [DirectionResult, CpuShare] {
  const sorted = [...rounds].sort((a, b) => a[0].msgPerSec - b[0].msgPerSec);
  const [mid, cpu] = sorted[Math.floor(sorted.length / 2)]!;
  const sum = (key: "lost" | "duplicated" | "reordered") => rounds.reduce((n, [d]) => n + d[key], 0);
  return [{ ...mid, lost: sum("lost"), duplicated: sum("duplicated"), reordered: sum("reordered") }, cpu];
}

async function withCpu<T extends { received: number }>(
  target: GatewayUnderTest,
  prosody: ProsodyServer,
  irc: NgircdServer,
  run: () => Promise<T>,
): Promise<[T, CpuShare]> {
  const bench = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const sample = () => [target.cpuMs(), procCpuMs(prosody.pid), procCpuMs(irc.pid), bench()] as const;
  const before = sample();
  const result = await run();
  const after = sample();
  const per1000 = (i: number) => fixed(((after[i]! - before[i]!) / Math.max(1, result.received)) * 1000, 1);
  return [result, { gateway: per1000(0), prosody: per1000(1), ngircd: per1000(2), bench: per1000(3) }];
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
  const rssIdle = target.rssBytes();
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
    const rssBeforeUsers = target.rssBytes();
    const started = performance.now();
    let registered = 0;
    while (registered < users.length && performance.now() - started < K_BUDGET_MS) {
      await target.register(users[registered]!, `${short}u${registered}`);
      registered++;
    }
    const usersMs = performance.now() - started;
    await sleep(1000);
    const rssAfterUsers = target.rssBytes();
    return {
      name: target.name,
      rounds: { xmppToIrc: outRounds.map(([d]) => d), ircToXmpp: inRounds.map(([d]) => d) },
      cpu: { xmppToIrc: cpuOut, ircToXmpp: cpuIn },
      xmppToIrc: out,
      ircToXmpp: inbound,
      rtt,
      rssIdle,
      rssBeforeUsers,
      rssAfterUsers,
      users: registered,
      usersMs,
      rssPerUserKb: registered ? (rssAfterUsers - rssBeforeUsers) / 1024 / registered : 0,
      ...(throttle && { throttle }),
      notes: target.notes,
    };
  } finally {
    await tap.close();
    await far.close();
  }
}

const ldr = (d: DirectionResult) => `${d.lost}/${d.duplicated}/${d.reordered}`;

function report(results: TargetResult[], skipped: string[]): void {
  console.info(
    `\nIRC 1:1 messaging, one Prosody + one ngircd on 127.0.0.1: N=${N} per direction (at most ${WINDOW} in flight), ` +
      `msg/s = median of ${ROUNDS} rounds, lost/dup/reordered summed over them; ` +
      `${RTT_SAMPLES} one-at-a-time round trips, RSS = VmRSS of the gateway process\n` +
      markdownTable(
        [
          "target",
          "msg/s XMPP→IRC",
          "msg/s IRC→XMPP",
          "lost/dup/reordered (→IRC · →XMPP)",
          "RTT p50/p95/p99 ms",
          "RSS idle MB",
          "RSS KB / user (K)",
        ],
        results.map((r) => [
          r.name,
          r.xmppToIrc.msgPerSec.toFixed(0),
          r.ircToXmpp.msgPerSec.toFixed(0),
          `${ldr(r.xmppToIrc)} · ${ldr(r.ircToXmpp)}`,
          [r.rtt.p50, r.rtt.p95, r.rtt.p99].map((v) => v.toFixed(2)).join(" / "),
          mb(r.rssIdle).toFixed(1),
          `${r.rssPerUserKb.toFixed(1)} (K=${r.users}${r.users < K ? `, ${K_BUDGET_MS / 1000} s budget` : ""})` +
            (r.name === "bare component" ? " stateless: GC noise" : ""),
        ]),
      ) +
      `\n\nCPU ms per 1000 messages during the measured runs (10 ms /proc tick resolution; the bench process runs the XMPP client and the IRC bot)\n` +
      markdownTable(
        ["target", "direction", "gateway", "Prosody", "ngircd", "bench process"],
        results.flatMap((r) =>
          (["xmppToIrc", "ircToXmpp"] as const).map((d) => {
            const c = r.cpu[d];
            return [
              r.name,
              d === "xmppToIrc" ? "XMPP→IRC" : "IRC→XMPP",
              c.gateway,
              c.prosody,
              c.ngircd,
              c.bench,
            ];
          }),
        ),
      ) +
      "\n" +
      skipped.map((line) => `\n${line}`).join(""),
  );
  for (const r of results) {
    const lines = [
      `${r.name}: msg/s per round XMPP→IRC ${r.rounds.xmppToIrc.map((d) => d.msgPerSec.toFixed(0)).join(", ")}; ` +
        `IRC→XMPP ${r.rounds.ircToXmpp.map((d) => d.msgPerSec.toFixed(0)).join(", ")}; ` +
        `RTT max ${r.rtt.max.toFixed(2)} ms, mean ${r.rtt.mean.toFixed(2)} ms; ` +
        `RSS before/after ${r.users} users ${mb(r.rssBeforeUsers).toFixed(1)} / ${mb(r.rssAfterUsers).toFixed(1)} MB ` +
        `(${r.users} registrations in ${r.usersMs.toFixed(0)} ms)`,
    ];
    if (r.throttle) {
      lines.push(
        `${r.name} default throttling (throttle_limit 10, user "throttled"): ${r.throttle.burst} of ${r.throttle.messages} ` +
          `arrived within 250 ms, the rest ${r.throttle.laterGapMs ?? "?"} ms apart (median); ` +
          `last after ${r.throttle.arrivalsMs.at(-1)?.toFixed(0) ?? "never"} ms. The throughput user has throttle_limit -1.`,
      );
    }
    lines.push(...r.notes.map((note) => `${r.name}: ${note}`));
    console.info(lines.join("\n"));
  }
  const direction = (d: DirectionResult) => ({
    ...d,
    msgPerSec: fixed(d.msgPerSec, 1),
    elapsedMs: fixed(d.elapsedMs, 1),
  });
  const json = {
    n: N,
    window: WINDOW,
    rttSamples: RTT_SAMPLES,
    kTarget: K,
    kBudgetMs: K_BUDGET_MS,
    targets: results.map((r) => ({
      name: r.name,
      xmppToIrc: direction(r.xmppToIrc),
      ircToXmpp: direction(r.ircToXmpp),
      rounds: { xmppToIrc: r.rounds.xmppToIrc.map(direction), ircToXmpp: r.rounds.ircToXmpp.map(direction) },
      cpuMsPer1000: r.cpu,
      rttMs: {
        n: r.rtt.n,
        p50: fixed(r.rtt.p50, 3),
        p95: fixed(r.rtt.p95, 3),
        p99: fixed(r.rtt.p99, 3),
        max: fixed(r.rtt.max, 3),
        mean: fixed(r.rtt.mean, 3),
      },
      rss: { idle: r.rssIdle, beforeUsers: r.rssBeforeUsers, afterUsers: r.rssAfterUsers },
      users: r.users,
      usersMs: fixed(r.usersMs, 0),
      rssPerUserKb: fixed(r.rssPerUserKb, 1),
      ...(r.throttle && { defaultThrottle: r.throttle }),
    })),
    skipped,
  };
  console.info(`BENCH_JSON ${JSON.stringify(json)}`);
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
    const users: TestClient[] = [];
    for (let u = 0; u < K; u++) {
      const username = `user${String(u).padStart(3, "0")}`;
      await registerAccount(prosody, username, PASSWORD);
      const client = await connectClient({ server: prosody, username, password: PASSWORD });
      users.push(client);
      cleanups.push(() => client.stop());
    }

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

    report(results, [...skipped, ...failures.map((f) => `FAILED ${f}`)]);
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
