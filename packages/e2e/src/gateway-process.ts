import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Cleanups } from "./support.js";

/**
 * The built `gangway-demo` executable (apps/demo-gateway/dist/bin.js, `pnpm build` first), run as
 * an operator runs it: its own process, configured by arguments and `GANGWAY_*` variables, JSON
 * log lines on stdout.
 */

const require = createRequire(import.meta.url);
export const DEMO_BIN = join(
  dirname(require.resolve("@gangway/demo-gateway/package.json")),
  "dist",
  "bin.js",
);

export interface BinRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the executable to its end, with only PATH and `env` in its environment. */
export function runBin(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  timeoutMs = 20_000,
): Promise<BinRun> {
  return new Promise((resolve, reject) => {
    const child = spawnBin(args, env);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gangway-demo did not exit in time\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function spawnBin(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  bin = DEMO_BIN,
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH, ...env } });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A gateway executable running in the background; its output is collected as it comes. */
export class GatewayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  stdout = "";
  stderr = "";
  #exit: Exit | undefined;

  /** `bin`: another gateway's built executable (default: gangway-demo's). */
  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}, bin = DEMO_BIN) {
    this.child = spawnBin(args, env, bin);
    this.child.stdout.on("data", (d) => (this.stdout += d));
    this.child.stderr.on("data", (d) => (this.stderr += d));
    // 'close': the process has exited and its output has been read to the end.
    this.exited = new Promise((resolve) =>
      this.child.on("close", (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      }),
    );
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("gangway-demo did not start");
    return this.child.pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /**
   * Resolves with the whole stdout once it matches `pattern` (output from before the call counts);
   * rejects if the process exits first, or after `timeoutMs`, with what it printed.
   */
  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    if (pattern.test(this.stdout)) return Promise.resolve(this.stdout);
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        this.child.stdout.off("data", onData);
        reject(new Error(`gangway-demo (pid ${this.child.pid}): ${why}, no ${pattern}:\n${this.output()}`));
      };
      const onData = () => {
        if (!pattern.test(this.stdout)) return;
        clearTimeout(timer);
        this.child.stdout.off("data", onData);
        resolve(this.stdout);
      };
      const timer = setTimeout(() => fail(`${timeoutMs} ms passed`), timeoutMs);
      this.child.stdout.on("data", onData);
      void this.exited.then((exit) => {
        if (pattern.test(this.stdout)) onData();
        else fail(`exited (${exit.signal ?? exit.code})`);
      });
    });
  }

  /** The JSON log lines printed so far, parsed (other lines are left out). */
  logEntries(): Array<{ level: number; msg: string; [key: string]: unknown }> {
    return this.stdout.split("\n").flatMap((line) => {
      if (!line.startsWith("{")) return [];
      try {
        return [JSON.parse(line)];
      } catch {
        return [];
      }
    });
  }

  /** What it printed, for failure messages. */
  output(): string {
    return `--- stdout\n${this.stdout}--- stderr\n${this.stderr}`;
  }

  /** Sends `signal` to this process (by its PID), if it still runs. */
  kill(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM (a clean shutdown), then SIGKILL if it is still running after `graceMs`. */
  async stop(graceMs = 5000): Promise<Exit> {
    this.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.exited, late]);
    clearTimeout(timer);
    this.kill("SIGKILL");
    return this.exited;
  }
}

/** Starts the executable; `cleanups` stop it (by its PID) if the test has not. */
export function startGatewayProcess(
  cleanups: Cleanups,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  bin = DEMO_BIN,
): GatewayProcess {
  const gateway = new GatewayProcess(args, env, bin);
  cleanups.add(() => gateway.stop());
  return gateway;
}
