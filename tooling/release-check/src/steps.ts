import { execFile } from "node:child_process";

/** How long each step took, printed at the end of the run. */
export const timings: string[] = [];

export interface Run {
  code: number;
  output: string;
}

const STEP_TIMEOUT_MS = 600_000;

/**
 * The outer pnpm, turbo and vitest describe themselves to their children through the environment
 * (npm_config_*, TURBO_*, VITEST*); the tools run here must start as they would in a shell.
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|TURBO_|VITEST|PNPM_SCRIPT_SRC_DIR$|INIT_CWD$|NODE_ENV$)/i.test(key)) continue;
    env[key] = value;
  }
  return { ...env, TURBO_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0", NO_COLOR: "1", ...extra };
}

export function run(
  cwd: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((done) => {
    // A step that hangs (a registry that does not answer) is killed rather than left behind.
    const options = { cwd, env: cleanEnv(env), maxBuffer: 64 * 1024 * 1024, timeout: STEP_TIMEOUT_MS };
    execFile(command, args, options, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Runs a step that must succeed; a failure shows the step's whole output. */
export async function step(
  cwd: string,
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<string> {
  const started = performance.now();
  const { code, output } = await run(cwd, command, args, env);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited with ${code} after ${seconds} s:\n${output}`);
  timings.push(`${seconds.padStart(6)} s  ${command} ${args.join(" ")}`);
  return output;
}

/** Times a step that is not one command. */
export async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  const result = await work();
  timings.push(`${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${label}`);
  return result;
}
