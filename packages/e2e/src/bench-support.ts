import { readFileSync } from "node:fs";
import type { TestClient } from "@gangway/testing";
import type { Element } from "@gangway/xmpp";

/**
 * Helpers shared by the benches: a stanza tap on a TestClient; windowed throughput and
 * one-at-a-time round trips; percentiles, tables, /proc readings; the quick mode. The processes
 * hosting gateways are in bench-host.ts.
 */

/**
 * `GANGWAY_BENCH_QUICK=1` scales every bench down (a dry run while developing: minutes, not the
 * full figures); `quick` is the size used then.
 */
export const QUICK = /^(1|true|yes)$/i.test(process.env.GANGWAY_BENCH_QUICK ?? "");

export function benchSize(full: number, quick: number): number {
  return QUICK ? quick : full;
}

/** A positive integer from the environment (e.g. GANGWAY_BENCH_SCALE_USERS), else `fallback`. */
export function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name]);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const fixed = (value: number, digits = 2) => Number(value.toFixed(digits));
export const median = (values: readonly number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Runs `task` for every item, at most `concurrency` at a time; rejects with the first failure. */
export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** utime + stime of a process from /proc/<pid>/stat, ms (clock ticks of 10 ms). */
export function procCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A size field of /proc/<pid>/status (VmRSS: resident now, VmHWM: peak resident), bytes. */
export function procStatusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(
    readFileSync(`/proc/${pid}/status`, "utf8"),
  );
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/**
 * Every stanza a TestClient receives goes to `handler` from now on. Built on `waitFor` with a
 * predicate that never matches, until `close()` sends a sentinel message to the client's own full
 * JID: that one matches, so no waiter or timer outlives the bench.
 */
export class StanzaTap {
  handler: (stanza: Element) => void = () => {};
  private readonly sentinel = `tap-end-${Math.random().toString(36).slice(2)}`;
  private readonly done: Promise<unknown>;

  constructor(private readonly client: TestClient) {
    let live = false;
    this.done = client
      .waitFor((stanza) => {
        if (stanza.is("message") && stanza.getChildText("body") === this.sentinel) return true;
        if (live) this.handler(stanza);
        return false;
      }, 600_000)
      .catch(() => {});
    // waitFor scanned the stanzas received earlier synchronously; only new ones reach the handler.
    live = true;
  }

  async close(): Promise<void> {
    this.handler = () => {};
    await this.client
      .send(`<message type="chat" to="${this.client.jid}"><body>${this.sentinel}</body></message>`)
      .catch(() => {});
    await Promise.race([this.done, new Promise((resolve) => setTimeout(resolve, 5000))]);
  }
}

export interface ThroughputResult {
  sent: number;
  received: number;
  lost: number;
  duplicated: number;
  reordered: number;
  elapsedMs: number;
  msgPerSec: number;
  window: number;
  maxInFlight: number;
}

/**
 * Windowed one-way throughput: `send(batch)` puts texts `${tag}-${i}` on the wire in order, at most
 * `window` not yet seen by the receiving side; `listen(handler)` gets every text the receiving
 * side sees. Counts lost (missing `idleTimeoutMs` after the last arrival), duplicated and reordered
 * texts (arriving after a later one).
 */
export function measureWindowed(options: {
  count: number;
  window: number;
  tag: string;
  send(texts: string[]): void;
  listen(handler: ((text: string) => void) | undefined): void;
  idleTimeoutMs?: number;
}): Promise<ThroughputResult> {
  const { count, window, tag } = options;
  const idleTimeoutMs = options.idleTimeoutMs ?? 10_000;
  const prefix = `${tag}-`;
  const seen = new Uint8Array(count);
  let sent = 0;
  let unique = 0;
  let duplicated = 0;
  let reordered = 0;
  let highest = -1;
  let maxInFlight = 0;
  let lastAt = 0;
  const started = performance.now();
  return new Promise((resolve) => {
    let idle: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(idle);
      options.listen(undefined);
      const elapsedMs = (unique === count ? lastAt : performance.now()) - started;
      resolve({
        sent,
        received: unique,
        lost: count - unique,
        duplicated,
        reordered,
        elapsedMs,
        msgPerSec: (unique / elapsedMs) * 1000,
        window,
        maxInFlight,
      });
    };
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(finish, idleTimeoutMs);
    };
    const pump = () => {
      const batch: string[] = [];
      while (sent < count && sent - unique < window) batch.push(`${tag}-${sent++}`);
      if (batch.length) options.send(batch);
      maxInFlight = Math.max(maxInFlight, sent - unique);
    };
    options.listen((text) => {
      if (!text.startsWith(prefix)) return;
      const i = Number(text.slice(prefix.length));
      if (!Number.isInteger(i) || i < 0 || i >= count) return;
      if (seen[i]) {
        duplicated++;
        return;
      }
      seen[i] = 1;
      unique++;
      lastAt = performance.now();
      if (i < highest) reordered++;
      else highest = i;
      if (unique === count) finish();
      else {
        armIdle();
        pump();
      }
    });
    armIdle();
    pump();
  });
}

/**
 * XMPP messages, one chain so the wire order is the call order; errors are kept, not thrown. Each
 * carries its text as its id, as clients give every message an id (receipts and markers refer to it).
 */
export function xmppSender(
  client: TestClient,
  to: string,
): { send(texts: string[]): void; error(): unknown } {
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  return {
    send(texts) {
      for (const text of texts) {
        chain = chain
          .then(() =>
            client.send(`<message type="chat" to="${to}" id="${text}"><body>${text}</body></message>`),
          )
          .catch((err) => {
            failure ??= err;
          });
      }
    },
    error: () => failure,
  };
}

/** Message bodies the client receives from `fromJid` (bare JID match) go to the handler. */
export function xmppListener(tap: StanzaTap, fromJid: string) {
  return (handler: ((text: string) => void) | undefined) => {
    tap.handler = handler
      ? (stanza) => {
          if (!stanza.is("message") || stanza.attrs.type === "error") return;
          if (String(stanza.attrs.from).split("/")[0] !== fromJid) return;
          const body = stanza.getChildText("body");
          if (body !== null) handler(body);
        }
      : () => {};
  };
}

/**
 * Sends `count` chat messages to `to` with at most `window` unanswered, and counts the
 * "echo: <body>" replies (see {@link measureWindowed}).
 */
export async function measureThroughput(
  client: TestClient,
  tap: StanzaTap,
  options: { to: string; count: number; window: number; tag: string; idleTimeoutMs?: number },
): Promise<ThroughputResult> {
  const sender = xmppSender(client, options.to);
  const result = await measureWindowed({
    ...options,
    send: sender.send,
    listen: (handler) => {
      tap.handler = handler
        ? (stanza) => {
            const body = stanza.is("message") ? stanza.getChildText("body") : null;
            if (body?.startsWith("echo: ")) handler(body.slice("echo: ".length));
          }
        : () => {};
    },
  });
  if (sender.error()) console.error(`sending to ${options.to} failed:`, sender.error());
  return result;
}

/**
 * One message at a time; resolves with each round trip in ms (a reply missing for `timeoutMs`
 * throws). `reply(body)` is the body the far end answers with: "echo: body" unless said otherwise.
 */
export async function measureRoundTrips(
  client: TestClient,
  tap: StanzaTap,
  options: { to: string; samples: number; tag: string; timeoutMs?: number; reply?: (body: string) => string },
): Promise<number[]> {
  const { to, samples, tag } = options;
  const timeoutMs = options.timeoutMs ?? 5000;
  const reply = options.reply ?? ((body: string) => `echo: ${body}`);
  const rtts: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const body = `${tag}-${i}`;
      const expected = reply(body);
      let timer: NodeJS.Timeout | undefined;
      const started = performance.now();
      const arrived = new Promise<number>((resolve, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer to ${body} via ${to} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        tap.handler = (stanza) => {
          if (stanza.is("message") && stanza.getChildText("body") === expected) resolve(performance.now());
        };
      });
      await client.send(`<message type="chat" to="${to}" id="${body}"><body>${body}</body></message>`);
      const at = await arrived.finally(() => clearTimeout(timer));
      rtts.push(at - started);
    }
  } finally {
    tap.handler = () => {};
  }
  return rtts;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return {
    n: sorted.length,
    p50: rank(50),
    p95: rank(95),
    p99: rank(99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((sum, v) => sum + v, 0) / sorted.length,
  };
}

/** A markdown table (console.info it). */
export function markdownTable(
  headers: readonly string[],
  rows: ReadonlyArray<ReadonlyArray<string | number>>,
) {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((row) => String(row[c] ?? "").length)));
  const line = (row: ReadonlyArray<string | number>) =>
    `| ${row.map((cell, c) => String(cell).padEnd(widths[c]!)).join(" | ")} |`;
  return [line(headers), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

export const mb = (bytes: number) => bytes / 1024 / 1024;
export const kb = (bytes: number) => bytes / 1024;
