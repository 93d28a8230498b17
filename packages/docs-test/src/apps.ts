import { join } from "node:path";
import { REPO_ROOT } from "./markdown.js";
import { run } from "./processes.js";

/** The gateway apps whose commands the READMEs show. */
export const APPS = [
  { dir: "apps/demo-gateway", command: "gangway-demo" },
  { dir: "apps/irc-gateway", command: "gangway-irc" },
  { dir: "apps/messenger-gateway", command: "gangway-messenger" },
] as const;

export type App = (typeof APPS)[number];

/** A clean environment: the operator's GANGWAY_* settings must not change what the test sees. */
export const CLEAN_ENV = { PATH: process.env.PATH ?? "/usr/bin:/bin" };

/** Runs an app's built executable, as `node apps/<app>/dist/bin.js …` does from the repository root. */
export function runApp(app: App, args: readonly string[], timeoutMs = 60_000) {
  return run(process.execPath, [join(REPO_ROOT, app.dir, "dist/bin.js"), ...args], {
    cwd: REPO_ROOT,
    env: CLEAN_ENV,
    timeoutMs,
  });
}

const helps = new Map<string, Promise<string>>();

/** The app's `--help` text (run once per app). */
export function helpOf(app: App): Promise<string> {
  let help = helps.get(app.command);
  if (!help) {
    help = runApp(app, ["--help"]).then((result) => {
      if (result.code !== 0) throw new Error(`${app.command} --help exited ${result.code}: ${result.stderr}`);
      return result.stdout;
    });
    helps.set(app.command, help);
  }
  return help;
}

/**
 * The app a documented command line runs: a command (the whole line, or a part after `&&`, `;` or
 * `|`) that starts with `gangway-irc …` or `node apps/irc-gateway/dist/bin.js …`.
 */
export function appOfCommand(line: string): { app: App; args: string[] } | undefined {
  for (const part of line.split(/&&|;|\|/)) {
    const words = part.trim().split(/\s+/);
    const program = words[0] === "node" ? words[1] : words[0];
    const app = APPS.find(
      (candidate) => program === candidate.command || program === `${candidate.dir}/dist/bin.js`,
    );
    if (app) return { app, args: words.slice(words[0] === "node" ? 2 : 1) };
  }
  return undefined;
}
