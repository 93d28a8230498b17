import type { HostProcess, HostStats, MemorySample } from "./bench-host.js";
import { fixed, markdownTable, mb, type Percentiles, type ThroughputResult } from "./bench-support.js";

/** The tables and BENCH_JSON line of echo.bench.ts. */

export interface EchoTarget {
  name: string;
  /** "sqlite", "postgres", or "-" for the bare component. */
  store: string;
  /** The JID the client writes to. */
  to: string;
  host: HostProcess;
  /** The gateway's domain (gateways only: the client registers with it). */
  domain?: string;
  /** Spawn → gateway.start() resolved, ms. */
  readyMs?: number;
  /** The host script began → openStore resolved (migrations included), ms. */
  storeOpenMs?: number;
  /** After start, before any user: forced GC. */
  idle?: MemorySample;
}

export interface EchoRun extends ThroughputResult {
  /** CPU ms per 1000 replies: the target's host process, Prosody, the bench process (client). */
  cpuPer1000: { host: number; prosody: number; bench: number };
}

export interface EchoResult {
  target: EchoTarget;
  rounds: EchoRun[];
  rtts: number[];
  rtt?: Percentiles;
  after?: MemorySample;
  stats?: HostStats;
}

/**
 * The round with the median msg/s; lost/dup/reordered summed over all rounds, CPU the mean over
 * all rounds (weighted by replies: more 10 ms ticks, less noise).
 */
function medianRun(runs: readonly EchoRun[]): EchoRun {
  const sorted = [...runs].sort((a, b) => a.msgPerSec - b.msgPerSec);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  const sum = (key: "lost" | "duplicated" | "reordered") => runs.reduce((n, r) => n + r[key], 0);
  const received = runs.reduce((n, r) => n + r.received, 0);
  const mean = (key: keyof EchoRun["cpuPer1000"]) =>
    runs.reduce((n, r) => n + r.cpuPer1000[key] * r.received, 0) / Math.max(1, received);
  return {
    ...mid,
    lost: sum("lost"),
    duplicated: sum("duplicated"),
    reordered: sum("reordered"),
    cpuPer1000: { host: mean("host"), prosody: mean("prosody"), bench: mean("bench") },
  };
}

const label = (r: EchoResult) =>
  r.target.store === "-" ? r.target.name : `${r.target.name} (${r.target.store})`;
const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(2)}`;

function hitRate(stats: HostStats | undefined): string {
  const idMap = stats?.idMap;
  if (!idMap) return "n/a";
  const lookups = idMap.hits + idMap.misses;
  return lookups ? `${pct(idMap.hits, lookups)} (${idMap.hits}/${lookups})` : "no lookups";
}

export function reportEcho(
  results: readonly EchoResult[],
  size: { n: number; window: number; rounds: number; rttSamples: number; quick: boolean },
): void {
  const bare = results.find((r) => r.target.store === "-")!;
  const bareRun = medianRun(bare.rounds);
  const bareRtt = bare.rtt!;
  const rows = results.map((r) => ({ r, run: medianRun(r.rounds), rtt: r.rtt! }));
  const quick = size.quick ? " — QUICK MODE (GANGWAY_BENCH_QUICK): reduced sizes, not the figures" : "";
  console.info(
    `\nDemo echo, one client (xmpp.js, SASL PLAIN) → Prosody on 127.0.0.1 → target → Prosody → client${quick}\n` +
      `the bare component sends the same 3 stanzas per message as the demo's echo contact (receipt + received marker, displayed marker, answer); ` +
      `throughput: N=${size.n} replies, at most ${size.window} in flight, median of ${size.rounds} rounds (lost/dup/reordered summed); ` +
      `RTT: ${size.rttSamples} one at a time (ms)\n` +
      markdownTable(
        [
          "target",
          "msg/s",
          "% of bare throughput",
          "RTT p50",
          "p95",
          "p99",
          "max",
          "added p50 vs bare",
          "added p99 vs bare",
          "lost/dup/reordered",
        ],
        rows.map(({ r, run, rtt }) => [
          label(r),
          run.msgPerSec.toFixed(0),
          pct(run.msgPerSec, bareRun.msgPerSec),
          rtt.p50.toFixed(2),
          rtt.p95.toFixed(2),
          rtt.p99.toFixed(2),
          rtt.max.toFixed(2),
          r === bare ? "-" : signed(rtt.p50 - bareRtt.p50),
          r === bare ? "-" : signed(rtt.p99 - bareRtt.p99),
          `${run.lost}/${run.duplicated}/${run.reordered}`,
        ]),
      ),
  );
  console.info(
    `\nCPU ms per 1000 echoed messages, mean over the ${size.rounds} rounds (/proc, 10 ms ticks; the bench process runs the client)\n` +
      markdownTable(
        ["target", "target process", "× bare component", "Prosody", "bench process"],
        rows.map(({ r, run }) => [
          label(r),
          run.cpuPer1000.host.toFixed(0),
          r === bare ? "-" : `${(run.cpuPer1000.host / Math.max(1, bareRun.cpuPer1000.host)).toFixed(2)}×`,
          run.cpuPer1000.prosody.toFixed(0),
          run.cpuPer1000.bench.toFixed(0),
        ]),
      ),
  );
  const gateways = results.filter((r) => r !== bare);
  console.info(
    `\nThe gateway processes (memory after a forced GC; idle = started on a new store, no user yet)\n` +
      markdownTable(
        [
          "target",
          "spawn → running ms",
          "store open ms",
          "idle RSS MB",
          "idle heap MB",
          "RSS after echo MB",
          "heap after echo MB",
          "id map hit rate",
          "id map entries",
        ],
        [bare, ...gateways].map((r) => [
          label(r),
          r.target.readyMs?.toFixed(0) ?? "-",
          r.target.storeOpenMs?.toFixed(0) ?? "-",
          r.target.idle ? mb(r.target.idle.rss).toFixed(1) : "-",
          r.target.idle ? mb(r.target.idle.heapUsed).toFixed(1) : "-",
          r.after ? mb(r.after.rss).toFixed(1) : "-",
          r.after ? mb(r.after.heapUsed).toFixed(1) : "-",
          r === bare ? "-" : hitRate(r.stats),
          r.stats?.idMap?.entries ?? "-",
        ]),
      ) +
      (gateways.some((r) => r.target.store === "postgres")
        ? ""
        : "\n(PostgreSQL skipped: DATABASE_URL is not set)") +
      gateways
        .filter((r) => r.stats?.problems.length)
        .map((r) => `\n${label(r)} logged: ${r.stats!.problems.join(" | ")}`)
        .join(""),
  );
  const round = (t: EchoRun) => ({
    ...t,
    msgPerSec: fixed(t.msgPerSec, 1),
    elapsedMs: fixed(t.elapsedMs, 1),
    cpuPer1000: {
      host: fixed(t.cpuPer1000.host, 1),
      prosody: fixed(t.cpuPer1000.prosody, 1),
      bench: fixed(t.cpuPer1000.bench, 1),
    },
  });
  const json = {
    bench: "echo",
    quick: size.quick,
    n: size.n,
    window: size.window,
    rounds: size.rounds,
    rttSamples: size.rttSamples,
    targets: rows.map(({ r, run, rtt }) => ({
      name: r.target.name,
      store: r.target.store,
      msgPerSec: fixed(run.msgPerSec, 1),
      throughputVsBare: fixed(run.msgPerSec / bareRun.msgPerSec, 3),
      medianRound: { ...round(run), cpuPer1000: undefined },
      /** Mean over all rounds. */
      cpuPer1000: round(run).cpuPer1000,
      allRounds: r.rounds.map((t) => fixed(t.msgPerSec, 1)),
      rttMs: {
        n: rtt.n,
        p50: fixed(rtt.p50, 3),
        p95: fixed(rtt.p95, 3),
        p99: fixed(rtt.p99, 3),
        max: fixed(rtt.max, 3),
        mean: fixed(rtt.mean, 3),
      },
      addedVsBareMs: { p50: fixed(rtt.p50 - bareRtt.p50, 3), p99: fixed(rtt.p99 - bareRtt.p99, 3) },
      hostCpuVsBare: fixed(run.cpuPer1000.host / Math.max(1, bareRun.cpuPer1000.host), 2),
      readyMs: r.target.readyMs === undefined ? null : fixed(r.target.readyMs, 0),
      storeOpenMs: r.target.storeOpenMs === undefined ? null : fixed(r.target.storeOpenMs, 0),
      idle: r.target.idle
        ? { rss: r.target.idle.rss, heapUsed: r.target.idle.heapUsed, gc: r.target.idle.gc }
        : null,
      afterEcho: r.after ? { rss: r.after.rss, heapUsed: r.after.heapUsed } : null,
      idMap: r.stats?.idMap ?? null,
      problems: r.stats?.problems ?? [],
    })),
    postgres: gateways.some((r) => r.target.store === "postgres")
      ? "measured"
      : "skipped (DATABASE_URL not set)",
  };
  console.info(`BENCH_JSON ${JSON.stringify(json)}`);
}
