import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TestClient } from "@gangway/testing";
import type { Element } from "@gangway/xmpp";

/**
 * Helpers for echo.bench.ts: a separate Node process hosting one gateway (or the bare echo
 * component), so its memory is its own and it does not share an event loop with the test clients;
 * a stanza tap on a TestClient; windowed throughput and one-at-a-time round trips; percentiles.
 */

const E2E_DIR = fileURLToPath(new URL("..", import.meta.url));

export type HostSpec =
  | { kind: "bare"; domain: string; secret: string; port: number; noDelay?: boolean }
  | {
      kind: "gateway";
      domain: string;
      secret: string;
      port: number;
      /** TCP_NODELAY on the host's sockets (ComponentTransport leaves Nagle on). Default false. */
      noDelay?: boolean;
      /** null: the demo network as shipped (echo, alice, bob); n: every user gets n fake contacts. */
      contacts: number | null;
      /** PostgreSQL URL, or undefined for in-memory PGlite. */
      postgresUrl?: string;
    };

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Whether `global.gc()` ran (the host is started with --expose-gc) before sampling. */
  gc: boolean;
}

/**
 * The host process's code: plain JavaScript run with `node --input-type=module -e` from
 * packages/e2e, so the workspace packages resolve to their built `dist` (the turbo `bench` task
 * builds them first). The 100-contact variant subclasses the demo gateway's session, roster and
 * contact: fill() yields n contacts, all online, that the demo network never heard of (no messages
 * go to them).
 */
const HOST_SCRIPT = `
import { Socket } from "node:net";
import { loadGatewayConfig } from "@gangway/core";
import { DemoContact, DemoGateway, DemoRoster, DemoSession } from "@gangway/demo-gateway";
import { openStore } from "@gangway/store";
import { ComponentTransport, XmppComponent, xml } from "@gangway/xmpp";
import { pino } from "pino";

const spec = JSON.parse(process.env.GANGWAY_BENCH_HOST);
const logger = pino({ level: "silent" });
const reply = (message) => process.send?.(message);
// The bench process went away (or closed the channel): nothing may outlive it.
process.on("disconnect", () => process.exit(0));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
if (spec.noDelay) {
  const connect = Socket.prototype.connect;
  Socket.prototype.connect = function (...args) {
    this.once("connect", () => this.setNoDelay(true));
    return connect.apply(this, args);
  };
}

try {
  const transport = new ComponentTransport({
    service: "xmpp://127.0.0.1:" + spec.port,
    domain: spec.domain,
    password: spec.secret,
    logger,
  });
  let stop;
  if (spec.kind === "bare") {
    const component = new XmppComponent(transport, { logger });
    component.onMessage(async (stanza) => {
      const body = stanza.getChildText("body");
      if (body === null || stanza.attrs.type === "error") return;
      await component.send(
        xml("message", { to: stanza.attrs.from, from: stanza.attrs.to, type: "chat" }, xml("body", {}, "echo: " + body)),
      );
    });
    await component.start();
    stop = () => component.stop();
  } else {
    const store = await openStore(spec.postgresUrl ? { driver: "postgres", url: spec.postgresUrl } : { driver: "pglite" }, logger);
    let Gateway = DemoGateway;
    if (spec.contacts !== null) {
      const count = spec.contacts;
      class BenchContact extends DemoContact {
        async updateInfo() {
          this.name = "Contact " + this.legacyId;
        }
      }
      class BenchRoster extends DemoRoster {
        async *fill() {
          for (let i = 0; i < count; i++) {
            const contact = await this.byLegacyId("c" + String(i).padStart(3, "0"));
            await contact.online("status of contact " + i);
            yield contact;
          }
        }
      }
      class BenchSession extends DemoSession {
        static Contact = BenchContact;
        static Roster = BenchRoster;
      }
      Gateway = class BenchGateway extends DemoGateway {
        Session = BenchSession;
      };
    }
    const config = loadGatewayConfig({
      appName: "demo",
      argv: ["--jid", spec.domain, "--secret", spec.secret, "--server", "127.0.0.1", "--port", String(spec.port)],
      env: {},
    });
    const gateway = new Gateway({ config, store, transport, logger });
    await gateway.start();
    stop = async () => {
      await gateway.stop();
      await store.close();
    };
  }
  process.on("message", async (message) => {
    try {
      if (message.cmd === "memory") {
        const gc = typeof globalThis.gc === "function";
        for (let i = 0; i < 3; i++) {
          globalThis.gc?.();
          await sleep(50);
        }
        const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
        reply({ id: message.id, value: { rss, heapUsed, heapTotal, external, arrayBuffers, gc } });
      } else if (message.cmd === "stop") {
        await stop();
        reply({ id: message.id, value: null });
        process.disconnect();
      }
    } catch (err) {
      reply({ id: message.id, error: String(err?.stack ?? err) });
    }
  });
  reply({ ready: true });
} catch (err) {
  reply({ ready: false, error: String(err?.stack ?? err) });
  process.exit(1);
}
`;

interface HostMessage {
  ready?: boolean;
  id?: number;
  value?: unknown;
  error?: string;
}

/** One host process; `stop()` ends it (SIGKILL to its own PID after 10 s if it does not exit). */
export class HostProcess {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (raw) => {
      const message = raw as HostMessage;
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.value);
    });
    child.once("exit", (code, signal) => {
      for (const waiter of this.pending.values()) {
        waiter.reject(new Error(`host process exited (${code ?? signal})`));
      }
      this.pending.clear();
    });
  }

  static start(spec: HostSpec, timeoutMs = 30_000): Promise<HostProcess> {
    const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", HOST_SCRIPT], {
      cwd: E2E_DIR,
      env: { ...process.env, GANGWAY_BENCH_HOST: JSON.stringify(spec) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const host = new HostProcess(child);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${spec.kind} host for ${spec.domain} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on("message", (raw) => {
        const message = raw as HostMessage;
        if (message.ready === undefined) return;
        clearTimeout(timer);
        if (message.ready) resolve(host);
        else reject(new Error(`${spec.kind} host for ${spec.domain} failed: ${message.error}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${spec.kind} host for ${spec.domain} exited with ${code} before it was ready`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  private request<T>(cmd: string, timeoutMs = 20_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`host did not answer ${cmd} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value as T);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.send({ cmd, id });
    });
  }

  memory(): Promise<MemorySample> {
    return this.request<MemorySample>("memory");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request("stop").catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
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

/** XMPP messages, one chain so the wire order is the call order; errors are kept, not thrown. */
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
          .then(() => client.send(`<message type="chat" to="${to}"><body>${text}</body></message>`))
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
