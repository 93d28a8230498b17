import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SQLITE_FILE } from "@gangway/core";
import { createTemporaryPostgresDatabase, testDatabaseUrl } from "@gangway/store/testing";
import { HOST_SCRIPT } from "./bench-host-script.js";

/**
 * A separate Node process hosting one gateway (the demo gateway, a demo variant with many
 * contacts, our IRC gateway) or the bare echo component, so its memory and CPU are its own and it
 * shares no event loop with the test clients. Started with --expose-gc: every memory sample
 * follows a forced GC. See bench-host-script.ts for the code it runs.
 */

const E2E_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * More Node options for every host, e.g. `GANGWAY_BENCH_HOST_NODE_ARGS="--cpu-prof
 * --cpu-prof-dir=/tmp/prof"` to see where a gateway's time goes (Node refuses --cpu-prof in
 * NODE_OPTIONS). A profile is written when the host exits.
 */
const NODE_ARGS = (process.env.GANGWAY_BENCH_HOST_NODE_ARGS ?? "").split(" ").filter(Boolean);

/** What the gateway stores in: SQLite (a file in a temp home dir, or in memory) or PostgreSQL. */
export type StoreSpec = { driver: "sqlite"; file?: string } | { driver: "postgres"; url: string };

/** A new store for one gateway host (a temp home dir, or a temporary PostgreSQL database), and how to delete it. */
export async function newBenchStore(
  driver: "sqlite" | "postgres",
): Promise<{ spec: StoreSpec; drop(): Promise<void> }> {
  if (driver === "postgres") {
    const database = await createTemporaryPostgresDatabase(testDatabaseUrl()!);
    return { spec: { driver, url: database.url }, drop: database.drop };
  }
  const home = await mkdtemp(join(tmpdir(), "gangway-bench-home-"));
  return {
    spec: { driver, file: join(home, SQLITE_FILE) },
    drop: () => rm(home, { recursive: true, force: true }),
  };
}

interface Component {
  domain: string;
  secret: string;
  /** Prosody's component port. */
  port: number;
}

export type HostSpec =
  | ({ kind: "bare" } & Component)
  | ({
      kind: "demo";
      store: StoreSpec;
      /** null: the demo network as shipped (echo, alice, bob); else `count` contacts per user, the first `online` online. */
      contacts: { count: number; online: number } | null;
      /** Stored users whose login (log line "logged in" or "login failed") the host reports as `logins`. */
      expectLogins?: number;
    } & Component)
  | ({
      kind: "irc";
      store: StoreSpec;
      /** ngircd's port on 127.0.0.1 (`--irc-server 127.0.0.1:<port>:plain`). */
      ircPort: number;
    } & Component);

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** Whether `gc()` ran (3 times, 50 ms apart) before sampling. */
  gc: boolean;
}

/** Epoch milliseconds (performance.timeOrigin + now()) of the host's milestones. */
export interface HostTimeline {
  /** The host's script began (after Node started and parsed it). */
  scriptAt: number;
  storeOpenedAt: number | null;
  /** The gateway's log line "component online" (first one). */
  componentOnlineAt: number | null;
  /** `gateway.start()` (or the component's start) resolved; with `expectLogins`: was called. */
  startedAt: number;
}

export interface IdMapStats {
  hits: number;
  misses: number;
  entries: number;
  backlog?: number;
}

export interface HostStats {
  /** Log lines the gateway wrote at level info and above (counted, not printed). */
  logLines: number;
  loggedIn: number;
  loginFailed: number;
  /** Epoch ms of the first log line "component online", if any yet. */
  componentOnlineAt: number | null;
  /** The first warnings and errors the gateway logged. */
  problems: string[];
  /** `store.messageIds.stats()`, or null when the store has none (or for the bare component). */
  idMap: IdMapStats | null;
  /** CPU time of the host process so far (process.cpuUsage, user + system), ms. */
  cpuMs: number;
}

export interface LoginsEvent {
  at: number;
  loggedIn: number;
  failed: number;
}

interface HostMessage {
  ready?: boolean;
  timeline?: HostTimeline;
  event?: "logins" | "started";
  logins?: LoginsEvent;
  at?: number;
  id?: number;
  value?: unknown;
  error?: string;
}

/** One host process; `stop()` ends it (SIGKILL to its own PID after 10 s if it does not exit). */
export class HostProcess {
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly exited: Promise<void>;
  private loginsEvent: LoginsEvent | undefined;
  private loginsWaiters: Array<(event: LoginsEvent) => void> = [];
  /** With `expectLogins`: when `gateway.start()` resolved (epoch ms), once it has; its error if it threw. */
  startResolved: { at: number; error?: string } | undefined;
  timeline: HostTimeline | undefined;

  private constructor(
    private readonly child: ChildProcess,
    /** Epoch ms just before the process was spawned. */
    readonly spawnedAt: number,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (raw) => {
      const message = raw as HostMessage;
      if (message.event === "logins" && message.logins) {
        this.loginsEvent = message.logins;
        for (const waiter of this.loginsWaiters.splice(0)) waiter(message.logins);
        return;
      }
      if (message.event === "started") {
        this.startResolved = { at: message.at ?? 0, ...(message.error && { error: message.error }) };
        return;
      }
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

  /**
   * Spawns the host and resolves once its gateway (or component) has started; with
   * `expectLogins`, once `gateway.start()` has been called (see `logins()` and `startResolved`).
   */
  static start(spec: HostSpec, timeoutMs = 30_000): Promise<HostProcess> {
    const spawnedAt = performance.timeOrigin + performance.now();
    const child = spawn(
      process.execPath,
      [...NODE_ARGS, "--expose-gc", "--input-type=module", "-e", HOST_SCRIPT],
      {
        cwd: E2E_DIR,
        env: { ...process.env, GANGWAY_BENCH_HOST: JSON.stringify(spec) },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      },
    );
    const host = new HostProcess(child, spawnedAt);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${spec.kind} host for ${spec.domain} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on("message", (raw) => {
        const message = raw as HostMessage;
        if (message.ready === undefined) return;
        clearTimeout(timer);
        if (message.ready) {
          host.timeline = message.timeline;
          resolve(host);
        } else reject(new Error(`${spec.kind} host for ${spec.domain} failed: ${message.error}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${spec.kind} host for ${spec.domain} exited with ${code} before it was ready`));
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("host process has no PID");
    return this.child.pid;
  }

  /** Sends a command to the host and resolves with its answer. */
  request<T>(cmd: string, timeoutMs = 20_000, extra: Record<string, unknown> = {}): Promise<T> {
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
      this.child.send({ ...extra, cmd, id });
    });
  }

  /** Memory after a forced GC. */
  memory(timeoutMs = 60_000): Promise<MemorySample> {
    return this.request<MemorySample>("memory", timeoutMs);
  }

  stats(): Promise<HostStats> {
    return this.request<HostStats>("stats");
  }

  /**
   * Resolves when every expected stored user has logged in or failed (spec.expectLogins), or
   * with undefined after `timeoutMs`.
   */
  logins(timeoutMs: number): Promise<LoginsEvent | undefined> {
    if (this.loginsEvent) return Promise.resolve(this.loginsEvent);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      this.loginsWaiters.push((event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
  }

  /**
   * Stops the gateway gracefully (every contact offline, sessions logged out, store closed), or
   * with `graceful: false` just exits the process (what a SIGKILL leaves: committed data only).
   */
  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request("stop", 20_000, { graceful: options.graceful ?? true }).catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}
