import type { HostStats } from "./bench-host.js";
import { fixed, kb, markdownTable, mb, type Percentiles } from "./bench-support.js";
import type { CpuShare, DirectionResult, GatewayMemory } from "./irc-bench-support.js";

/** The types, tables and BENCH_JSON line of irc.bench.ts. */

export interface ThrottleProbe {
  messages: number;
  /** Arrival times at the bot, ms after the burst was sent. */
  arrivalsMs: number[];
  /** How many arrived within 250 ms of the burst. */
  burst: number;
  /** Median gap between the later arrivals, ms. */
  laterGapMs: number | null;
}

export interface TargetResult {
  name: string;
  /** Every round; xmppToIrc / ircToXmpp below are the median round by msg/s. */
  rounds: { xmppToIrc: DirectionResult[]; ircToXmpp: DirectionResult[] };
  cpu: { xmppToIrc: CpuShare; ircToXmpp: CpuShare };
  xmppToIrc: DirectionResult;
  ircToXmpp: DirectionResult;
  rtt: Percentiles;
  idle: GatewayMemory;
  beforeUsers: GatewayMemory;
  afterUsers: GatewayMemory;
  users: number;
  usersMs: number;
  rssPerUserKb: number;
  heapPerUserKb: number | null;
  throttle?: ThrottleProbe;
  stats?: HostStats;
  notes: string[];
}

export interface IrcBenchSize {
  n: number;
  window: number;
  rounds: number;
  rttSamples: number;
  k: number;
  kBudgetMs: number;
  registerConcurrency: number;
  quick: boolean;
}

const BARE = "bare component";
const ldr = (d: DirectionResult) => `${d.lost}/${d.duplicated}/${d.reordered}`;
const pct = (part: number, whole: number | undefined) =>
  whole ? `${((part / whole) * 100).toFixed(1)}%` : "-";
const times = (part: number, whole: number | undefined) => (whole ? `${(part / whole).toFixed(2)}×` : "-");

function hitRate(stats: HostStats | undefined): string | undefined {
  const idMap = stats?.idMap;
  if (!idMap) return undefined;
  const lookups = idMap.hits + idMap.misses;
  return lookups
    ? `id map hit rate ${((idMap.hits / lookups) * 100).toFixed(1)}% (${idMap.hits}/${lookups}), ${idMap.entries} entries`
    : "id map: no lookups";
}

export function reportIrc(
  results: readonly TargetResult[],
  skipped: readonly string[],
  size: IrcBenchSize,
): void {
  const bare = results.find((r) => r.name === BARE);
  const biboumi = results.find((r) => r.name === "biboumi");
  const quick = size.quick ? " — QUICK MODE (GANGWAY_BENCH_QUICK): reduced sizes, not the figures" : "";
  console.info(
    `\nIRC 1:1 messaging, one Prosody + one ngircd on 127.0.0.1${quick}: N=${size.n} per direction (at most ${size.window} in flight), ` +
      `msg/s = median of ${size.rounds} rounds, lost/dup/reordered summed over them; ` +
      `${size.rttSamples} one-at-a-time round trips XMPP → IRC → XMPP\n` +
      markdownTable(
        [
          "target",
          "msg/s XMPP→IRC",
          "% of bare",
          "msg/s IRC→XMPP",
          "% of bare",
          "lost/dup/reordered (→IRC · →XMPP)",
          "RTT p50/p95/p99 ms",
          "p99 vs biboumi",
        ],
        results.map((r) => [
          r.name,
          r.xmppToIrc.msgPerSec.toFixed(0),
          pct(r.xmppToIrc.msgPerSec, bare?.xmppToIrc.msgPerSec),
          r.ircToXmpp.msgPerSec.toFixed(0),
          pct(r.ircToXmpp.msgPerSec, bare?.ircToXmpp.msgPerSec),
          `${ldr(r.xmppToIrc)} · ${ldr(r.ircToXmpp)}`,
          [r.rtt.p50, r.rtt.p95, r.rtt.p99].map((v) => v.toFixed(2)).join(" / "),
          biboumi && r !== biboumi
            ? `${r.rtt.p99 - biboumi.rtt.p99 >= 0 ? "+" : ""}${(r.rtt.p99 - biboumi.rtt.p99).toFixed(2)} ms`
            : "-",
        ]),
      ),
  );
  console.info(
    `\nCPU ms per 1000 messages, mean over the ${size.rounds} rounds, every process (/proc, 10 ms ticks; the bench process runs the XMPP client and the IRC bot)\n` +
      markdownTable(
        ["target", "direction", "gateway", "gateway × bare component", "Prosody", "ngircd", "bench process"],
        results.flatMap((r) =>
          (["xmppToIrc", "ircToXmpp"] as const).map((d) => {
            const c = r.cpu[d];
            return [
              r.name,
              d === "xmppToIrc" ? "XMPP→IRC" : "IRC→XMPP",
              c.gateway,
              r === bare ? "-" : times(c.gateway, bare?.cpu[d].gateway),
              c.prosody,
              c.ngircd,
              c.bench,
            ];
          }),
        ),
      ),
  );
  console.info(
    `\nMemory of the gateway process (Node: after a forced GC; biboumi: VmRSS). Per user: K more XMPP users registered, ` +
      `${size.registerConcurrency} at a time (biboumi: server settings + a channel join of their own, one IRC connection each; ` +
      `ours: XEP-0077, one IRC connection each; bare: one echoed message), within ${size.kBudgetMs / 1000} s\n` +
      markdownTable(
        [
          "target",
          "idle RSS MB",
          "idle heap MB",
          "K",
          "RSS KB / user",
          "heap KB / user",
          "RSS MB after K",
          "K registrations s",
        ],
        results.map((r) => [
          r.name,
          mb(r.idle.rss).toFixed(1),
          r.idle.heapUsed === null ? "-" : mb(r.idle.heapUsed).toFixed(1),
          `${r.users}${r.users < size.k ? ` of ${size.k} (budget)` : ""}`,
          r.rssPerUserKb.toFixed(1) + (r.name === BARE ? " (stateless: noise)" : ""),
          r.heapPerUserKb === null ? "-" : r.heapPerUserKb.toFixed(1),
          mb(r.afterUsers.rss).toFixed(1),
          (r.usersMs / 1000).toFixed(1),
        ]),
      ) +
      "\n" +
      skipped.map((line) => `\n${line}`).join(""),
  );
  for (const r of results) {
    const lines = [
      `${r.name}: msg/s per round XMPP→IRC ${r.rounds.xmppToIrc.map((d) => d.msgPerSec.toFixed(0)).join(", ")}; ` +
        `IRC→XMPP ${r.rounds.ircToXmpp.map((d) => d.msgPerSec.toFixed(0)).join(", ")}; ` +
        `RTT max ${r.rtt.max.toFixed(2)} ms, mean ${r.rtt.mean.toFixed(2)} ms; ` +
        `RSS before/after ${r.users} users ${mb(r.beforeUsers.rss).toFixed(1)} / ${mb(r.afterUsers.rss).toFixed(1)} MB`,
    ];
    if (r.throttle) {
      lines.push(
        `${r.name} default throttling (throttle_limit 10, user "throttled"): ${r.throttle.burst} of ${r.throttle.messages} ` +
          `arrived within 250 ms, the rest ${r.throttle.laterGapMs ?? "?"} ms apart (median); ` +
          `last after ${r.throttle.arrivalsMs.at(-1)?.toFixed(0) ?? "never"} ms. The throughput user has throttle_limit -1.`,
      );
    }
    const rate = hitRate(r.stats);
    if (rate) lines.push(`${r.name}: ${rate}`);
    if (r.stats?.problems.length) lines.push(`${r.name} logged: ${r.stats.problems.join(" | ")}`);
    lines.push(...r.notes.map((note) => `${r.name}: ${note}`));
    console.info(lines.join("\n"));
  }
  const direction = (d: DirectionResult) => ({
    ...d,
    msgPerSec: fixed(d.msgPerSec, 1),
    elapsedMs: fixed(d.elapsedMs, 1),
  });
  const memory = (m: GatewayMemory) => ({ rss: m.rss, heapUsed: m.heapUsed, gc: m.gc });
  const json = {
    bench: "irc",
    quick: size.quick,
    n: size.n,
    window: size.window,
    rounds: size.rounds,
    rttSamples: size.rttSamples,
    kTarget: size.k,
    kBudgetMs: size.kBudgetMs,
    targets: results.map((r) => ({
      name: r.name,
      xmppToIrc: direction(r.xmppToIrc),
      ircToXmpp: direction(r.ircToXmpp),
      vsBare: bare && {
        xmppToIrc: fixed(r.xmppToIrc.msgPerSec / bare.xmppToIrc.msgPerSec, 3),
        ircToXmpp: fixed(r.ircToXmpp.msgPerSec / bare.ircToXmpp.msgPerSec, 3),
        cpuXmppToIrc: fixed(r.cpu.xmppToIrc.gateway / Math.max(1, bare.cpu.xmppToIrc.gateway), 2),
        cpuIrcToXmpp: fixed(r.cpu.ircToXmpp.gateway / Math.max(1, bare.cpu.ircToXmpp.gateway), 2),
      },
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
      memory: { idle: memory(r.idle), beforeUsers: memory(r.beforeUsers), afterUsers: memory(r.afterUsers) },
      users: r.users,
      usersMs: fixed(r.usersMs, 0),
      rssPerUserKb: fixed(r.rssPerUserKb, 2),
      heapPerUserKb: r.heapPerUserKb === null ? null : fixed(r.heapPerUserKb, 2),
      idMap: r.stats?.idMap ?? null,
      problems: r.stats?.problems ?? [],
      ...(r.throttle && { defaultThrottle: r.throttle }),
    })),
    skipped,
  };
  console.info(`BENCH_JSON ${JSON.stringify(json)}`);
}

export const perUserKb = (after: number, before: number, users: number) =>
  users ? kb(after - before) / users : 0;

/** The channel fan-out table of irc-channels.bench.ts (ChannelResult, see irc-bench-channel.ts). */
export interface ChannelReportRow {
  name: string;
  xmppToIrc: DirectionResult;
  ircToXmpp: DirectionResult;
  rounds: { xmppToIrc: DirectionResult[]; ircToXmpp: DirectionResult[] };
  cpu: { xmppToIrc: CpuShare; ircToXmpp: CpuShare };
  notes: string[];
}

export function reportIrcChannels(
  results: readonly ChannelReportRow[],
  skipped: readonly string[],
  size: { n: number; window: number; rounds: number; quick: boolean },
): void {
  const bare = results.find((r) => r.name === BARE);
  const bareMuc = results.find((r) => r.name === `${BARE} (MUC stanzas)`);
  const biboumi = results.find((r) => r.name === "biboumi");
  const quick = size.quick ? " — QUICK MODE (GANGWAY_BENCH_QUICK): reduced sizes, not the figures" : "";
  console.info(
    `\nIRC channel fan-out, one XMPP user joined to one channel, one Prosody + one ngircd on 127.0.0.1${quick}: ` +
      `N=${size.n} per direction (at most ${size.window} in flight), msg/s = median of ${size.rounds} rounds, ` +
      `lost/dup/reordered summed over them. IRC→XMPP: a bot's PRIVMSGs to the channel, as groupchat messages to the user; ` +
      `XMPP→IRC: the user's groupchat messages, as PRIVMSGs the bot sees (each also reflected to the user)\n` +
      markdownTable(
        [
          "target",
          "msg/s IRC→XMPP",
          "% of bare",
          "% of bare (MUC stanzas)",
          "× biboumi",
          "msg/s XMPP→IRC",
          "% of bare",
          "× biboumi",
          "lost/dup/reordered (→XMPP · →IRC)",
        ],
        results.map((r) => [
          r.name,
          r.ircToXmpp.msgPerSec.toFixed(0),
          pct(r.ircToXmpp.msgPerSec, bare?.ircToXmpp.msgPerSec),
          pct(r.ircToXmpp.msgPerSec, bareMuc?.ircToXmpp.msgPerSec),
          r === biboumi ? "-" : times(r.ircToXmpp.msgPerSec, biboumi?.ircToXmpp.msgPerSec),
          r.xmppToIrc.msgPerSec.toFixed(0),
          pct(r.xmppToIrc.msgPerSec, bare?.xmppToIrc.msgPerSec),
          r === biboumi ? "-" : times(r.xmppToIrc.msgPerSec, biboumi?.xmppToIrc.msgPerSec),
          `${ldr(r.ircToXmpp)} · ${ldr(r.xmppToIrc)}`,
        ]),
      ),
  );
  console.info(
    `\nChannel fan-out: CPU ms per 1000 messages, mean over the ${size.rounds} rounds, every process\n` +
      markdownTable(
        ["target", "direction", "gateway", "gateway × bare component", "Prosody", "ngircd", "bench process"],
        results.flatMap((r) =>
          (["ircToXmpp", "xmppToIrc"] as const).map((d) => {
            const c = r.cpu[d];
            return [
              r.name,
              d === "xmppToIrc" ? "XMPP→IRC" : "IRC→XMPP",
              c.gateway,
              r === bare ? "-" : times(c.gateway, bare?.cpu[d].gateway),
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
    console.info(
      `${r.name}: channel msg/s per round IRC→XMPP ${r.rounds.ircToXmpp.map((d) => d.msgPerSec.toFixed(0)).join(", ")}; ` +
        `XMPP→IRC ${r.rounds.xmppToIrc.map((d) => d.msgPerSec.toFixed(0)).join(", ")}` +
        r.notes.map((note) => `\n${r.name}: ${note}`).join(""),
    );
  }
  const direction = (d: DirectionResult) => ({
    ...d,
    msgPerSec: fixed(d.msgPerSec, 1),
    elapsedMs: fixed(d.elapsedMs, 1),
  });
  const json = {
    bench: "irc-channels",
    quick: size.quick,
    n: size.n,
    window: size.window,
    rounds: size.rounds,
    targets: results.map((r) => ({
      name: r.name,
      ircToXmpp: direction(r.ircToXmpp),
      xmppToIrc: direction(r.xmppToIrc),
      vsBare: bare && {
        ircToXmpp: fixed(r.ircToXmpp.msgPerSec / bare.ircToXmpp.msgPerSec, 3),
        xmppToIrc: fixed(r.xmppToIrc.msgPerSec / bare.xmppToIrc.msgPerSec, 3),
      },
      vsBareMucStanzas: bareMuc && {
        ircToXmpp: fixed(r.ircToXmpp.msgPerSec / bareMuc.ircToXmpp.msgPerSec, 3),
        xmppToIrc: fixed(r.xmppToIrc.msgPerSec / bareMuc.xmppToIrc.msgPerSec, 3),
      },
      vsBiboumi: biboumi && {
        ircToXmpp: fixed(r.ircToXmpp.msgPerSec / biboumi.ircToXmpp.msgPerSec, 2),
        xmppToIrc: fixed(r.xmppToIrc.msgPerSec / biboumi.xmppToIrc.msgPerSec, 2),
      },
      rounds: { ircToXmpp: r.rounds.ircToXmpp.map(direction), xmppToIrc: r.rounds.xmppToIrc.map(direction) },
      cpuMsPer1000: r.cpu,
    })),
    skipped,
  };
  console.info(`BENCH_JSON ${JSON.stringify(json)}`);
}
