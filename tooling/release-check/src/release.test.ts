import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type ProsodyServer, startProsody } from "@gangway/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type LocalRegistry, startRegistry } from "./registry.js";
import { cleanEnv, step, timed, timings } from "./steps.js";
import { type Publishable, publishablePackages, tarballProblems } from "./tarball.js";

/**
 * The release, end to end, as issue 15 §2 asks: on a COPY of the workspace (the changesets it
 * consumes and the versions it writes never touch this checkout), `changeset version`, build, pack
 * and lint every publishable package (publint, @arethetypeswrong/cli), publish them all with
 * `pnpm publish -r` to a throwaway verdaccio on loopback, then install the apps from it with plain
 * npm into an empty directory, run their `--help` and start the demo gateway against a real Prosody.
 *
 * Only @gangway/* is published to the local registry; verdaccio proxies every other package from
 * the npm registry. better-sqlite3 (through @gangway/store) compiles from source during the
 * install, as it does for a user without a prebuilt binary: most of this test's minutes.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../../..");
const bin = (name: string): string => join(here, "..", "node_modules", ".bin", name);

let work: string;
let copy: string;
let registry: LocalRegistry | undefined;
let prosody: ProsodyServer | undefined;
let gateway: ChildProcessWithoutNullStreams | undefined;
const published: { name: string; version: string; files: number; kib: string }[] = [];

/** The working tree's files (tracked, or untracked and not ignored), without node_modules or dist. */
async function copyWorkspace(to: string): Promise<void> {
  const listed = await step(repoRoot, "git", [
    "ls-files",
    "-z",
    "--cached",
    "--others",
    "--exclude-standard",
  ]);
  for (const file of listed.split("\0")) {
    // A tracked file deleted in the working tree is still listed: the working tree decides.
    if (file === "" || !existsSync(join(repoRoot, file))) continue;
    await mkdir(dirname(join(to, file)), { recursive: true });
    await cp(join(repoRoot, file), join(to, file));
  }
}

/** node-gyp finds Node's headers next to the running node (Debian: /usr/include/node), never online. */
function nodeHeadersEnv(): NodeJS.ProcessEnv {
  const prefix = resolve(dirname(process.execPath), "..");
  return existsSync(join(prefix, "include/node/node_version.h")) ? { npm_config_nodedir: prefix } : {};
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), "gangway-release-"));
  copy = join(work, "workspace");
});

afterAll(async () => {
  if (gateway && gateway.exitCode === null) gateway.kill("SIGKILL");
  await prosody?.stop();
  await registry?.stop();
  if (work) await rm(work, { recursive: true, force: true });
  published.sort((a, b) => a.name.localeCompare(b.name));
  const rows = published.map(
    (p) =>
      `| ${p.name.padEnd(28)} | ${p.version.padEnd(7)} | ${String(p.files).padStart(5)} | ${p.kib.padStart(8)} |`,
  );
  if (rows.length > 0) {
    const head = `| ${"package".padEnd(28)} | version | files | size KiB |\n|${"-".repeat(30)}|---------|-------|----------|`;
    console.info(`published to the local registry:\n${head}\n${rows.join("\n")}`);
  }
  if (timings.length > 0) console.info(`release check steps:\n${timings.join("\n")}`);
});

it("every package versions, packs, lints, publishes to a local registry, and the apps install and run from it with npm", async () => {
  await timed("copy of the workspace", () => copyWorkspace(copy));
  const storeDir = (await step(repoRoot, "pnpm", ["store", "path"])).trim();
  await step(copy, "pnpm", ["install", "--frozen-lockfile", "--prefer-offline", "--store-dir", storeDir]);
  const packages = await publishablePackages(copy);
  expect(packages.map((p) => p.name)).toContain("@gangway/irc-gateway");
  expect(packages.map((p) => p.name)).toContain("@gangway/demo-gateway");

  // Built before versioning: the sources and manifests are this checkout's, so turbo reuses the
  // builds `pnpm test` just made (read-only cache). The version is not compiled into dist.
  const filters = packages.map((p) => `--filter=${p.name}`);
  const turboCache = [`--cache-dir=${join(repoRoot, ".turbo/cache")}`, "--cache=local:r"];
  await step(copy, "pnpm", ["turbo", "run", "build", ...filters, ...turboCache, "--output-logs=errors-only"]);

  await step(copy, "pnpm", ["exec", "changeset", "version"]);
  const pending = (await readdir(join(copy, ".changeset"))).filter(
    (f) => f.endsWith(".md") && f !== "README.md",
  );
  expect(pending, "changesets left after `changeset version`").toEqual([]);
  const versions = new Map<string, string>();
  for (const p of packages) {
    const before = JSON.parse(await readFile(join(repoRoot, p.dir, "package.json"), "utf8")).version;
    const after = JSON.parse(await readFile(join(copy, p.dir, "package.json"), "utf8")).version;
    expect(after, p.name).toMatch(/^\d+\.\d+\.\d+$/);
    // Every package has changes since 0.0.0; a major bump would be a peer range gone wrong.
    expect(after.split(".")[0], `${p.name} ${before} → ${after}`).toBe(before.split(".")[0]);
    versions.set(p.name, after);
  }

  // The tarballs pnpm publishes (workspace: and catalog: resolved, publishConfig applied).
  const packs = join(work, "packs");
  const repositoryUrl = JSON.parse(await readFile(join(copy, "packages/core/package.json"), "utf8"))
    .repository.url;
  const problems: string[] = [];
  await timed("pack, inspect, publint and attw on every package", async () => {
    // Two at a time: CI has two cores, and attw spends most of its time in TypeScript.
    const queue = [...packages];
    const lane = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) await checkTarball(p, packs, repositoryUrl, problems);
    };
    await Promise.all([lane(), lane()]);
  });
  expect(problems).toEqual([]);

  // The registry npm itself uses here (normally https://registry.npmjs.org/) serves everything else.
  const uplink = (await step(work, "npm", ["config", "get", "registry"])).trim();
  registry = await timed("verdaccio up", () => startRegistry(join(work, "registry"), uplink));
  const host = registry.url.replace(/^http:/, "");
  await writeFile(
    join(copy, ".npmrc"),
    `${await readFile(join(copy, ".npmrc"), "utf8")}\n${host}:_authToken=${registry.token}\n`,
  );
  await step(copy, "pnpm", ["publish", "-r", "--registry", registry.url, "--no-git-checks"]);
  for (const p of packages) {
    const packument = (await (await fetch(`${registry.url}${p.name.replace("/", "%2f")}`)).json()) as {
      "dist-tags"?: { latest?: string };
    };
    expect(packument["dist-tags"]?.latest, p.name).toBe(versions.get(p.name));
  }

  // A user's machine: an empty directory, plain npm, nothing of the workspace.
  const user = join(work, "user");
  await mkdir(user);
  const npmEnv = { ...nodeHeadersEnv(), npm_config_registry: registry.url };
  await step(
    user,
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-online",
      "@gangway/irc-gateway",
      "@gangway/demo-gateway",
    ],
    npmEnv,
  );
  for (const [app, command] of [
    ["irc-gateway", "gangway-irc"],
    ["demo-gateway", "gangway-demo"],
  ] as const) {
    const installed = JSON.parse(
      await readFile(join(user, "node_modules/@gangway", app, "package.json"), "utf8"),
    );
    expect(installed.version).toBe(versions.get(`@gangway/${app}`));
    const target = join(user, "node_modules/@gangway", app, installed.bin[command]);
    expect(statSync(target).mode & 0o111, `${target} executable`).not.toBe(0);
    const help = await step(user, "npx", [command, "--help"], npmEnv);
    expect(help).toContain(`Usage: ${command} [options]`);
    expect(help).toContain("--jid <value>");
  }
  // By package name, as the READMEs show it: npx runs the package's only bin.
  const byName = await step(user, "npx", ["@gangway/irc-gateway", "--help"], npmEnv);
  expect(byName).toContain("Usage: gangway-irc [options]");
  // `npm install -g`, into a prefix of its own: the bin lands in <prefix>/bin. Install scripts off,
  // only because better-sqlite3 compiled once above already (it is loaded on first use, not by --help).
  const prefix = join(work, "global");
  await step(
    user,
    "npm",
    [
      "install",
      "-g",
      "--prefix",
      prefix,
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "@gangway/irc-gateway",
    ],
    npmEnv,
  );
  const globalHelp = await step(user, join(prefix, "bin", "gangway-irc"), ["--help"], npmEnv);
  expect(globalHelp).toContain("Usage: gangway-irc [options]");
  const core = JSON.parse(await readFile(join(user, "node_modules/@gangway/core/package.json"), "utf8"));
  expect(core.version).toBe(versions.get("@gangway/core"));

  // The installed demo gateway, run through its bin link, comes online on a real Prosody.
  prosody = await startProsody();
  const home = join(work, "demo-home");
  await mkdir(home);
  const running = await timed("installed gangway-demo online on Prosody", () =>
    startInstalledGateway(join(user, "node_modules/.bin/gangway-demo"), prosody as ProsodyServer, home),
  );
  expect(running).toContain('"msg":"gateway running"');
  expect(running).toContain(prosody.componentDomain);
}, 900_000);

async function checkTarball(
  p: Publishable,
  packs: string,
  repositoryUrl: string,
  problems: string[],
): Promise<void> {
  const out = join(packs, p.name.replace("/", "+"));
  await mkdir(out, { recursive: true });
  await step(join(copy, p.dir), "pnpm", ["pack", "--pack-destination", out]);
  const tarball = (await readdir(out)).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error(`pnpm pack made no tarball for ${p.name}`);
  await step(out, "tar", ["xzf", tarball]);
  const root = join(out, "package");
  for (const problem of await tarballProblems(root, p.dir, repositoryUrl))
    problems.push(`${p.name}: ${problem}`);
  // publint: any warning fails too. attw, profile esm-only: the packages are ESM only (Node ≥ 20.10),
  // so node10 and CommonJS-from-node16 resolution are not promised (documented in docs/releasing.md).
  await step(root, bin("publint"), ["--strict", "--pack", "false"]);
  await step(out, bin("attw"), [tarball, "--profile", "esm-only", "--format", "table-flipped"]);
  const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((e) =>
    e.isFile(),
  ).length;
  const kib = (statSync(join(out, tarball)).size / 1024).toFixed(1);
  published.push({ name: p.name, version: manifest.version, files, kib });
}

/** Starts the gateway and resolves with its output once it logs "gateway running"; stops it after. */
function startInstalledGateway(executable: string, server: ProsodyServer, home: string): Promise<string> {
  const args = [
    "--jid",
    server.componentDomain,
    "--secret",
    server.componentSecret,
    "--port",
    String(server.componentPort),
    "--home-dir",
    home,
  ];
  const child = spawn(executable, args, { env: cleanEnv(), cwd: home });
  gateway = child;
  let output = "";
  return new Promise((done, fail) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`gangway-demo did not come online in 60 s:\n${output}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      output += d;
      if (!output.includes('"msg":"gateway running"')) return;
      clearTimeout(timer);
      child.once("exit", () => done(output));
      child.kill("SIGTERM");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      if (output.includes('"msg":"gateway running"')) return;
      clearTimeout(timer);
      fail(new Error(`gangway-demo exited with ${code} before coming online:\n${output}`));
    });
  });
}
