import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants as fsConstants, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { delimiter, join } from "node:path";

/**
 * What the server fixtures (`startProsody`, `startEjabberd`, `startNgircd`, `startBiboumi`) share:
 * free loopback ports, "is it listening yet", a bounded capture of a server's console output,
 * finding the executable, and {@link spawnServer}: a child in the foreground with an exit hook and
 * a watchdog that kill it and remove its temp dir if the test process dies, stopped by signal.
 */

const LOOPBACK = "127.0.0.1";
/** Cap on captured console output, so a chatty server in a long test cannot eat the heap. */
const MAX_CONSOLE_CHARS = 512 * 1024;

/**
 * Asks the OS for `count` distinct free loopback ports. All probe sockets stay open until every
 * port is picked, so the kernel cannot hand out the same port twice; a collision with another
 * process between here and the server's bind is still possible and is retried by the caller.
 */
export async function pickFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, LOOPBACK, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("unexpected server address");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/**
 * Runs `start` with `count` fresh free ports, again (up to `attempts` times in all) while it fails
 * with an error `isCollision` accepts: another process took a picked port before the server bound
 * it. On the final failure removes the server's temp `dir` and rethrows the last error.
 */
export async function retryOnPortCollision<T>(
  options: {
    count: number;
    attempts: number;
    dir: string;
    isCollision: (error: unknown) => boolean;
    /** Called after each collision, e.g. to note the retry in the console log. */
    onCollision?: () => void;
  },
  start: (ports: number[]) => Promise<T>,
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= options.attempts; attempt++) {
    const ports = await pickFreePorts(options.count);
    try {
      return await start(ports);
    } catch (error) {
      lastError = error;
      if (!options.isCollision(error)) break;
      options.onCollision?.();
    }
  }
  await rm(options.dir, { recursive: true, force: true });
  throw lastError;
}

/** Resolves true when something accepts a TCP connection on the loopback port. */
export function acceptsConnections(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A server's console output, capped at the most recent 512 KiB. */
export class ConsoleLog {
  #text = "";
  #dropped = 0;

  get length(): number {
    return this.#dropped + this.#text.length;
  }

  append(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > MAX_CONSOLE_CHARS) {
      const excess = this.#text.length - MAX_CONSOLE_CHARS;
      this.#text = this.#text.slice(excess);
      this.#dropped += excess;
    }
  }

  text(): string {
    return this.#dropped > 0 ? `[… ${this.#dropped} earlier characters dropped]\n${this.#text}` : this.#text;
  }

  textSince(offset: number): string {
    return this.#text.slice(Math.max(0, offset - this.#dropped));
  }

  /** The last `lines` lines: enough context for an error message without flooding it. */
  tail(lines: number): string {
    const all = this.#text.trimEnd().split("\n");
    const kept = all.slice(-lines).join("\n");
    return all.length > lines || this.#dropped > 0 ? `[… earlier lines dropped]\n${kept}` : kept;
  }
}

/**
 * Finds an executable: `explicit`, else `$envVar`, else `name` in each PATH entry and then in
 * `fallbackDirs`. Throws `notInstalled(searched)` when none is executable; `searched` is the
 * configured path, or "<name> on PATH and in <first fallback dir>".
 */
export function resolveExecutable(options: {
  name: string;
  explicit: string | undefined;
  envVar: string;
  fallbackDirs: readonly string[];
  notInstalled: (searched: string) => Error;
}): string {
  const { name, fallbackDirs } = options;
  const configured = options.explicit ?? process.env[options.envVar];
  const candidates = configured
    ? [configured]
    : [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), ...fallbackDirs].map((dir) =>
        join(dir, name),
      );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw options.notInstalled(configured ?? `${name} on PATH and in ${fallbackDirs[0]}`);
}

/**
 * What the exit hook kills (a PID, or a process group as a negative number) and removes, for every
 * server this process started and has not stopped yet. The exit hook covers an exit without
 * stop(); each server's watchdog covers harder deaths (SIGKILL, a crashed test worker).
 */
const liveServers = new Set<{ target: number; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const server of liveServers) {
      signal(server.target, "SIGKILL");
      rmSync(server.dir, { recursive: true, force: true });
    }
  });
}

function signal(target: number, name: NodeJS.Signals): void {
  try {
    process.kill(target, name);
  } catch {
    // already gone
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Thrown by {@link spawnServer} when the executable cannot be started at all; fixtures rewrap it. */
export class SpawnFailedError extends Error {
  constructor(command: string, cause: Error) {
    super(`Could not spawn ${command}: ${cause.message}`);
    this.name = "SpawnFailedError";
  }
}

export interface SpawnServerOptions {
  /** Short name for messages and the watchdog's argv[0] (`gangway-<name>-watchdog`). */
  name: string;
  command: string;
  args: readonly string[];
  /** The server's temp dir: the watchdog and the exit hook remove it if this process dies. */
  dir: string;
  /** Receives stdout and stderr; shared across restarts. */
  consoleLog: ConsoleLog;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Start the child as the leader of its own process group; the exit hook, the watchdog and
   * stop()'s SIGKILL then address the whole group. Default false: the child's PID alone.
   */
  processGroup?: boolean;
  /** How many tenths of a second the watchdog waits between SIGTERM and SIGKILL. Default 50. */
  watchdogGraceTenths?: number;
}

export interface StopServerOptions {
  /** How long after `signal` the child (or its group) gets SIGKILL. */
  timeoutMs: number;
  /** First signal. Default SIGTERM. */
  signal?: NodeJS.Signals;
  /**
   * Which process gets the first signal (e.g. the real server under a wrapper shell). Default:
   * the child, or with `processGroup` the whole group.
   */
  pid?: number;
}

/**
 * Spawns a server in the foreground as a child of the test process, with its output captured and
 * a watchdog armed. Rejects with {@link SpawnFailedError} when the executable cannot be started.
 */
export async function spawnServer(options: SpawnServerOptions): Promise<ServerProcess> {
  const { consoleLog } = options;
  const child = spawn(options.command, [...options.args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.env !== undefined && { env: options.env }),
    ...(options.processGroup && { detached: true }),
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once("error", resolve));
  // 'close' fires once every holder of the stdout/stderr pipes has exited.
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.stdout?.on("data", (chunk: Buffer) => consoleLog.append(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => consoleLog.append(chunk.toString()));
  if (child.pid === undefined) throw new SpawnFailedError(options.command, await spawnFailed);
  installExitHook();
  return new ServerProcess(child, exited, options);
}

/** One running server process, its watchdog and its exit-hook registration. */
export class ServerProcess {
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #exited: Promise<void>;
  readonly #watchdog: ChildProcess;
  readonly #registration: { target: number; dir: string };
  readonly #name: string;
  readonly #consoleLog: ConsoleLog;
  readonly #startOffset: number;
  readonly #processGroup: boolean;
  #hasExited = false;

  constructor(child: ChildProcess, exited: Promise<void>, options: SpawnServerOptions) {
    this.#child = child;
    this.pid = child.pid!;
    this.#exited = exited;
    this.#name = options.name;
    this.#consoleLog = options.consoleLog;
    this.#startOffset = options.consoleLog.length;
    this.#processGroup = options.processGroup ?? false;
    const target = this.#processGroup ? -this.pid : this.pid;
    this.#registration = { target, dir: options.dir };
    liveServers.add(this.#registration);
    this.#watchdog = spawnWatchdog(options.name, target, options.dir, options.watchdogGraceTenths ?? 50);
    void exited.then(() => {
      this.#hasExited = true;
    });
  }

  get hasExited(): boolean {
    return this.#hasExited;
  }

  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  get signalCode(): NodeJS.Signals | null {
    return this.#child.signalCode;
  }

  /** Console output since this process was spawned. */
  output(): string {
    return this.#consoleLog.textSince(this.#startOffset);
  }

  /**
   * Polls until `ready(output)` is true. First `failure(output)` (e.g. a port collision), then an
   * exit (`onExit`), then readiness, then the deadline (`onTimeout`): whichever comes first throws.
   * Leaves the process running on failure: the caller stops it.
   */
  async waitUntilReady(checks: {
    timeoutMs: number;
    intervalMs: number;
    ready: (output: string) => boolean | Promise<boolean>;
    failure?: (output: string) => Error | undefined;
    onExit: (output: string) => Error;
    onTimeout: (output: string) => Error;
  }): Promise<void> {
    const deadline = Date.now() + checks.timeoutMs;
    for (;;) {
      const output = this.output();
      const failure = checks.failure?.(output);
      if (failure) throw failure;
      if (this.#hasExited) throw checks.onExit(output);
      if (await checks.ready(output)) return;
      if (Date.now() > deadline) throw checks.onTimeout(output);
      await sleep(checks.intervalMs);
    }
  }

  /**
   * Disarms the watchdog, sends the first signal, SIGKILLs after `timeoutMs`, waits for the exit
   * (with `processGroup`, then SIGKILLs what is left of the group) and unregisters. A PID that
   * still answers after Node reaped it is a bug worth failing loudly on.
   */
  async stop(options: StopServerOptions): Promise<void> {
    // Disarm the watchdog first: once the server is gone its PID could be reused by an unrelated process.
    this.#watchdog.kill("SIGKILL");
    const child = this.#child;
    if (child.exitCode === null && child.signalCode === null) {
      const first = options.signal ?? "SIGTERM";
      if (options.pid !== undefined) signal(options.pid, first);
      else if (this.#processGroup) signal(-this.pid, first);
      else child.kill(first);
      const killTimer = setTimeout(() => {
        if (this.#processGroup) signal(-this.pid, "SIGKILL");
        else child.kill("SIGKILL");
      }, options.timeoutMs);
      await this.#exited;
      clearTimeout(killTimer);
    }
    if (this.#processGroup) signal(-this.pid, "SIGKILL");
    liveServers.delete(this.#registration);
    if (!this.#processGroup && pidAlive(this.pid)) {
      throw new Error(`${this.#name} PID ${this.pid} is still alive after it exited`);
    }
  }
}

/**
 * A tiny shell that holds the read end of a pipe only this process writes to. If this process
 * dies without running exit hooks (SIGKILL, a crashed test worker), the pipe reaches EOF and the
 * shell terminates the orphaned server (a PID, or `-PGID` for a group) and removes its temp dir.
 * It runs in the test process's group, so it survives a group signal. dash's kill builtin rejects
 * the `--` bash would accept before `-PGID`.
 */
function spawnWatchdog(name: string, target: number, dir: string, graceTenths: number): ChildProcess {
  const script =
    'read -r _; kill -TERM "$1" 2>/dev/null || exit 0; ' +
    // A zombie (an orphan waiting for a PID 1 that reaps slowly) still answers kill -0: stop waiting.
    'i=0; while [ $i -lt "$3" ] && kill -0 "$1" 2>/dev/null && ! grep -qs "^State:.Z" "/proc/$1/status"; ' +
    "do sleep 0.1; i=$((i+1)); done; " +
    'kill -KILL "$1" 2>/dev/null; rm -rf "$2"; exit 0';
  const watchdog = spawn(
    "/bin/sh",
    ["-c", script, `gangway-${name}-watchdog`, String(target), dir, String(graceTenths)],
    { stdio: ["pipe", "ignore", "ignore"] },
  );
  // The watchdog must never keep the test process alive on its own.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

/**
 * The restart/stop state a fixture keeps around its current process (`P`: a {@link ServerProcess}
 * or the fixture's wrapper of one): restart() replaces the process, stop() ends it and removes the
 * temp dir, once; both refuse or do nothing after stop().
 */
export class ServerLifecycle<P> {
  readonly #label: string;
  readonly #dir: string;
  readonly #consoleLog: ConsoleLog;
  readonly #terminate: (process: P, why: "restart" | "stop") => Promise<void>;
  #current: P | undefined;
  #stopped = false;

  constructor(
    init: {
      /** The server's name in messages: "Prosody was stopped", "--- gangway: restarting Prosody ---". */
      label: string;
      dir: string;
      consoleLog: ConsoleLog;
      terminate: (process: P, why: "restart" | "stop") => Promise<void>;
    },
    current: P,
  ) {
    this.#label = init.label;
    this.#dir = init.dir;
    this.#consoleLog = init.consoleLog;
    this.#terminate = init.terminate;
    this.#current = current;
  }

  /** The running process; undefined after stop() or while restart() is between processes. */
  get current(): P | undefined {
    return this.#current;
  }

  assertNotStopped(): void {
    if (this.#stopped) throw new Error(`${this.#label} was stopped`);
  }

  /** Terminates the current process, waits `downMs`, then runs `launch` for the next one. */
  async restart(launch: () => Promise<P>, downMs = 0): Promise<void> {
    this.assertNotStopped();
    await this.#terminateCurrent("restart");
    if (downMs) await sleep(downMs);
    this.#consoleLog.append(`--- gangway: restarting ${this.#label} ---\n`);
    this.#current = await launch();
  }

  /** Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#terminateCurrent("stop");
    await rm(this.#dir, { recursive: true, force: true });
  }

  async #terminateCurrent(why: "restart" | "stop"): Promise<void> {
    const running = this.#current;
    if (!running) return;
    this.#current = undefined;
    await this.#terminate(running, why);
  }
}
