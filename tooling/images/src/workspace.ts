import { existsSync } from "node:fs";
import { cp, readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { run } from "./exec.js";

/** A gateway app of the monorepo: a package under apps/ with a `bin`. */
export interface GatewayApp {
  /** Directory name under apps/, e.g. `demo-gateway`. */
  id: string;
  packageName: string;
  /** The bin's path inside the package, e.g. `dist/bin.js`. */
  bin: string;
  binName: string;
}

interface PackageJson {
  name: string;
  bin?: string | Record<string, string>;
  files?: string[];
  dependencies?: Record<string, string>;
}

async function readPackageJson(dir: string): Promise<PackageJson> {
  return JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as PackageJson;
}

export async function listGatewayApps(repoRoot: string): Promise<GatewayApp[]> {
  const apps: GatewayApp[] = [];
  for (const id of (await readdir(join(repoRoot, "apps"))).sort()) {
    if (!existsSync(join(repoRoot, "apps", id, "package.json"))) continue;
    const pkg = await readPackageJson(join(repoRoot, "apps", id));
    const [binName, bin] =
      typeof pkg.bin === "string" ? [id, pkg.bin] : (Object.entries(pkg.bin ?? {})[0] ?? []);
    if (binName && bin) apps.push({ id, packageName: pkg.name, bin: bin.replace(/^\.\//, ""), binName });
  }
  return apps;
}

/** Picks apps by directory name (`irc-gateway`), short name (`irc`) or package name; none = all. */
export function selectApps(all: GatewayApp[], wanted: readonly string[]): GatewayApp[] {
  if (wanted.length === 0) return all;
  return wanted.map((name) => {
    const app = all.find((a) => [a.id, a.packageName, a.id.replace(/-gateway$/, "")].includes(name));
    if (!app) throw new Error(`no gateway app by that name; known: ${all.map((a) => a.id).join(", ")}`);
    return app;
  });
}

/**
 * `turbo prune <packages> --docker` into outDir, then the Docker recipe's two steps in `dir`:
 * the package.json files and lockfile first (what installs need), then the sources.
 */
export async function prune(repoRoot: string, packages: readonly string[], outDir: string): Promise<string> {
  await run("pnpm", ["exec", "turbo", "prune", ...packages, "--docker", "--out-dir", outDir], {
    cwd: repoRoot,
  });
  const dir = join(outDir, "workspace");
  await cp(join(outDir, "json"), dir, { recursive: true });
  return dir;
}

export async function addSources(prunedOut: string, dir: string): Promise<void> {
  await cp(join(prunedOut, "full"), dir, { recursive: true, force: true });
}

/** `pnpm install --frozen-lockfile` (the store is the user's, so later installs reuse its native builds). */
export async function install(dir: string, env: NodeJS.ProcessEnv, mode: "all" | "prod"): Promise<void> {
  const args = ["install", "--frozen-lockfile", "--config.side-effects-cache=true", "--reporter=append-only"];
  // The runtime install comes after a full one that fetched everything: it needs no network.
  if (mode === "prod") args.push("--prod", "--offline");
  await run("pnpm", args, { cwd: dir, env });
}

/** Builds each app and the workspace packages it needs at run time (not its test kit), in order. */
export async function buildApps(
  dir: string,
  env: NodeJS.ProcessEnv,
  apps: readonly GatewayApp[],
): Promise<void> {
  const filters = apps.flatMap((app) => ["--filter-prod", `${app.packageName}...`]);
  await run("pnpm", [...filters, "--workspace-concurrency=1", "run", "build"], { cwd: dir, env });
}

/** Workspace directories (relative) of the app and of the workspace packages it depends on at run time. */
export async function runtimeClosure(dir: string, app: GatewayApp): Promise<string[]> {
  const byName = new Map<string, { rel: string; pkg: PackageJson }>();
  for (const group of ["apps", "packages", "tooling"]) {
    if (!existsSync(join(dir, group))) continue;
    for (const name of await readdir(join(dir, group))) {
      if (!existsSync(join(dir, group, name, "package.json"))) continue;
      const pkg = await readPackageJson(join(dir, group, name));
      byName.set(pkg.name, { rel: `${group}/${name}`, pkg });
    }
  }
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const entry = byName.get(name);
    if (!entry || seen.has(entry.rel)) return;
    seen.add(entry.rel);
    for (const [dep, spec] of Object.entries(entry.pkg.dependencies ?? {})) {
      if (spec.startsWith("workspace:")) visit(dep);
    }
  };
  visit(app.packageName);
  return [...seen].sort();
}

/**
 * Copies what each runtime package publishes (its `files`, e.g. dist and migrations; not src,
 * which only tests read) from the build workspace into the runtime one.
 */
export async function copyBuiltFiles(
  buildDir: string,
  runtimeDir: string,
  packageDirs: readonly string[],
): Promise<void> {
  for (const rel of packageDirs) {
    const pkg = await readPackageJson(join(buildDir, rel));
    for (const entry of pkg.files ?? ["dist"]) {
      if (entry.startsWith("!") || entry === "src" || /[*?]/.test(entry)) continue;
      const from = join(buildDir, rel, entry);
      if (existsSync(from)) await cp(from, join(runtimeDir, rel, entry), { recursive: true });
    }
    if (!existsSync(join(runtimeDir, rel, "dist"))) throw new Error(`${rel} has no dist after the build`);
  }
}

/** The C/C++ sources an addon compiled from (better-sqlite3's SQLite amalgamation is ~10 MB). */
async function dropSources(packageDir: string): Promise<void> {
  const pkg = JSON.parse(await readFile(join(packageDir, "package.json"), "utf8")) as { main?: string };
  const main = (pkg.main ?? "index.js").replace(/^\.\//, "");
  for (const dir of ["deps", "src"]) {
    if (!main.startsWith(`${dir}/`)) await rm(join(packageDir, dir), { recursive: true, force: true });
  }
}

/**
 * Native addons keep only the loadable `build/Release/*.node` (node-gyp leaves object files and
 * static libraries next to it, ~17 MB for better-sqlite3) and drop their C/C++ sources.
 * Returns the addons' paths.
 */
export async function slimNativeAddons(runtimeDir: string): Promise<string[]> {
  const addons: string[] = [];
  const store = join(runtimeDir, "node_modules", ".pnpm");
  if (!existsSync(store)) return addons;
  for (const entry of await readdir(store)) {
    const modules = join(store, entry, "node_modules");
    if (!existsSync(modules)) continue;
    for (const scopeOrName of await readdir(modules)) {
      const names = scopeOrName.startsWith("@")
        ? (await readdir(join(modules, scopeOrName))).map((n) => join(scopeOrName, n))
        : [scopeOrName];
      for (const name of names) {
        const build = join(modules, name, "build");
        if (!existsSync(join(build, "Release")) || !existsSync(join(modules, name, "binding.gyp"))) continue;
        await dropSources(join(modules, name));
        for (const item of await readdir(build)) {
          if (item !== "Release") await rm(join(build, item), { recursive: true, force: true });
        }
        for (const item of await readdir(join(build, "Release"))) {
          const path = join(build, "Release", item);
          if (item.endsWith(".node") && !item.startsWith("test_")) addons.push(path);
          else await rm(path, { recursive: true, force: true });
        }
      }
    }
  }
  return addons;
}
