import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";

/**
 * `pnpm gen:gateway <name>` end to end: scaffold an app and run what its author runs first
 * (install, lint, build, typecheck, the app's own tests, its command).
 *
 * It works on a COPY of the workspace in a temp dir, never on this checkout: an app generated in
 * apps/ would be seen by other packages' runs and by anyone's `pnpm install` (its importer would
 * leak into pnpm-lock.yaml) for as long as the test lasts. The copy holds only what the new app
 * needs: the root files, turbo/ (the generator), .changeset/, and the workspace packages
 * the app's package.json depends on, transitively; files as they are in the working tree (tracked,
 * or untracked and not ignored), without node_modules or dist.
 *
 * What keeps it fast (30 to 60 s):
 * - pnpm installs the copy from the store this checkout's install filled (same --store-dir); only
 *   the new app's importer needs resolving, which reads registry metadata for its catalog devDeps
 *   (pnpm resolves a new importer's direct dependencies from metadata, even at versions the
 *   lockfile already holds), so the registry must be reachable, as for `pnpm install` itself;
 * - turbo in the copy reads, and never writes, this checkout's cache (--cache-dir, --cache=local:r):
 *   this package depends on core, store and testing so that turbo builds them before this test,
 *   and those builds of the same sources are cache hits in the copy. Run alone, it builds them.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const NAME = "sample";
const APP = `apps/${NAME}-gateway`;
const PACKAGE = `@gangway/${NAME}-gateway`;
const STEP_TIMEOUT_MS = 240_000;

interface Run {
  code: number;
  output: string;
}

/**
 * The outer pnpm, turbo and vitest describe themselves to their children through the environment
 * (npm_config_*, TURBO_*, VITEST*); the copy's tools must start as they would in a shell.
 */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm_|TURBO_|VITEST|PNPM_SCRIPT_SRC_DIR$|INIT_CWD$|NODE_ENV$)/.test(key)) continue;
    env[key] = value;
  }
  return { ...env, TURBO_TELEMETRY_DISABLED: "1", FORCE_COLOR: "0", NO_COLOR: "1" };
}

/** How long each step took, printed at the end: the test's budget is a couple of minutes. */
const timings: string[] = [];

function run(cwd: string, command: string, args: readonly string[]): Promise<Run> {
  return new Promise((done) => {
    // A step that hangs (a registry that does not answer) is killed rather than left behind.
    const options = { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: STEP_TIMEOUT_MS };
    execFile(command, args, options, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Runs a step that must succeed; a failure shows the step's whole output. */
async function step(cwd: string, command: string, args: readonly string[]): Promise<string> {
  const started = performance.now();
  const { code, output } = await run(cwd, command, args);
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (code !== 0)
    throw new Error(`${command} ${args.join(" ")} exited with ${code} after ${seconds} s:\n${output}`);
  timings.push(`${seconds} s  ${command} ${args.join(" ")}`);
  return output;
}

/** Workspace directories by package name (packages/*, tooling/*). */
async function workspacePackages(): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const group of ["packages", "tooling"]) {
    for (const entry of await readdir(join(repoRoot, group), { withFileTypes: true })) {
      const manifest = join(repoRoot, group, entry.name, "package.json");
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      dirs.set(JSON.parse(await readFile(manifest, "utf8")).name, `${group}/${entry.name}`);
    }
  }
  return dirs;
}

/** The workspace dirs a generated app needs: the template's `workspace:` dependencies, transitively. */
async function neededWorkspaceDirs(): Promise<string[]> {
  const dirs = await workspacePackages();
  // The template is JSON with {{ }} placeholders only inside strings: it parses as it is.
  const template = join(repoRoot, "turbo/generators/templates/gateway/package.json.hbs");
  const pending = [JSON.parse(await readFile(template, "utf8"))];
  const needed = new Set<string>();
  while (pending.length > 0) {
    const manifest = pending.pop();
    const deps = { ...manifest.dependencies, ...manifest.devDependencies, ...manifest.peerDependencies };
    for (const [name, spec] of Object.entries(deps)) {
      const dir = dirs.get(name);
      if (!String(spec).startsWith("workspace:") || !dir || needed.has(dir)) continue;
      needed.add(dir);
      pending.push(JSON.parse(await readFile(join(repoRoot, dir, "package.json"), "utf8")));
    }
  }
  return [...needed];
}

async function copyWorkspace(to: string): Promise<void> {
  // tooling/ only as needed (the tsconfig): tooling/release-check depends on every app.
  const keep = ["turbo/", ".changeset/", ...(await neededWorkspaceDirs()).map((d) => `${d}/`)];
  const output = await step(repoRoot, "git", [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ]);
  for (const file of output.split("\0")) {
    const wanted = file !== "" && (!file.includes("/") || keep.some((prefix) => file.startsWith(prefix)));
    // A tracked file deleted in the working tree is still listed: the working tree decides.
    if (!wanted || !existsSync(join(repoRoot, file))) continue;
    await mkdir(dirname(join(to, file)), { recursive: true });
    await cp(join(repoRoot, file), join(to, file));
  }
}

let copy: string;
let storeDir: string;

beforeAll(async () => {
  copy = await mkdtemp(join(tmpdir(), "gangway-scaffold-"));
  storeDir = (await step(repoRoot, "pnpm", ["store", "path"])).trim();
});
afterAll(async () => {
  if (copy) await rm(copy, { recursive: true, force: true });
  if (timings.length > 0) console.info(`scaffold test steps:\n  ${timings.join("\n  ")}`);
});

it("pnpm gen:gateway makes an app that installs, lints, builds, typechecks and passes its tests", async () => {
  const copying = performance.now();
  await copyWorkspace(copy);
  timings.push(`${((performance.now() - copying) / 1000).toFixed(1)} s  copy of the workspace`);
  // The copy has fewer importers than the lockfile: it must be allowed to change (CI=1 freezes it).
  const install = ["install", "--prefer-offline", "--no-frozen-lockfile", "--store-dir", storeDir];
  await step(copy, "pnpm", install);
  // The generator itself: @turbo/gen only bundles it (esbuild strips the types unchecked).
  await step(copy, "pnpm", ["exec", "tsc", "-p", "turbo/generators/tsconfig.json"]);

  const generated = await step(copy, "pnpm", ["gen:gateway", NAME]);
  expect(generated).toContain(`${APP} is ready`);
  for (const file of ["package.json", "LICENSE", "README.md", "src/network.ts", "src/gateway.test.ts"]) {
    expect(existsSync(join(copy, APP, file)), file).toBe(true);
  }
  expect(existsSync(join(copy, `.changeset/${NAME}-gateway.md`))).toBe(true);

  // Refused, with the reason.
  const again = await run(copy, "pnpm", ["gen:gateway", NAME]);
  expect(again.code).not.toBe(0);
  expect(again.output).toContain(`${APP} already exists`);
  const bad = await run(copy, "pnpm", ["gen:gateway", "Bad_Name"]);
  expect(bad.code).not.toBe(0);
  expect(bad.output).toContain('"Bad_Name" is not a valid gateway name');

  await step(copy, "pnpm", install);
  await step(copy, "pnpm", ["exec", "biome", "check", APP]);
  // DATABASE_URL passes through (turbo.json globalEnv): on CI the app's tests run on PostgreSQL too.
  const tested = await step(copy, "pnpm", [
    "turbo",
    "run",
    "build",
    "typecheck",
    "test",
    `--filter=${PACKAGE}`,
    `--cache-dir=${join(repoRoot, ".turbo/cache")}`,
    "--cache=local:r",
    "--output-logs=new-only",
  ]);
  expect(tested).toMatch(/Tests\s+\d+ passed/);

  // Through the committed shim the package's `bin` names, as `npx gangway-<name>` runs it.
  const help = await step(join(copy, APP), "node", [`bin/gangway-${NAME}.js`, "--help"]);
  expect(help).toContain(`--${NAME}-server`);
});
