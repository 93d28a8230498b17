import { existsSync, statSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";

/** A workspace package that is published: under packages/ or apps/, not private. */
export interface Publishable {
  name: string;
  /** Relative to the workspace root, e.g. `packages/core`. */
  dir: string;
}

export async function publishablePackages(root: string): Promise<Publishable[]> {
  const found: Publishable[] = [];
  for (const group of ["packages", "apps"]) {
    for (const entry of await readdir(join(root, group), { withFileTypes: true })) {
      const manifest = join(root, group, entry.name, "package.json");
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      const json = JSON.parse(await readFile(manifest, "utf8"));
      if (!json.private) found.push({ name: json.name, dir: `${group}/${entry.name}` });
    }
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return files.sort();
}

const LICENCE_TEXT: Record<string, RegExp[]> = {
  MIT: [/^MIT License/, /Permission is hereby granted, free of charge/],
  "AGPL-3.0-or-later": [/GNU AFFERO GENERAL PUBLIC LICENSE/, /13\. Remote Network Interaction/],
};

/** Every export target, whatever the nesting of conditions, with the order of each condition object's keys. */
function exportTargets(value: unknown, problems: string[], at = "exports"): string[] {
  if (typeof value === "string") return [value];
  if (!value || typeof value !== "object") return [];
  const keys = Object.keys(value);
  const conditions = keys.filter((k) => !k.startsWith("."));
  if (conditions.includes("types") && conditions[0] !== "types")
    problems.push(`${at}: "types" is not the first condition`);
  if (conditions.includes("source"))
    problems.push(`${at}: a "source" condition (TypeScript sources) is published`);
  return keys.flatMap((k) => exportTargets((value as Record<string, unknown>)[k], problems, `${at}["${k}"]`));
}

/**
 * What an installer of the unpacked tarball `root` (the `package/` folder) relies on. Returns the
 * problems found, empty when none; `dir` is the package's workspace dir (`packages/core`).
 */
export async function tarballProblems(root: string, dir: string, repositoryUrl: string): Promise<string[]> {
  const problems: string[] = [];
  const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8"));
  const files = await walk(root);

  const licence = dir.startsWith("apps/") ? "AGPL-3.0-or-later" : "MIT";
  if (manifest.license !== licence) problems.push(`license is ${manifest.license}, not ${licence}`);
  if (!files.includes("LICENSE")) problems.push("no LICENSE file");
  else {
    const text = await readFile(join(root, "LICENSE"), "utf8");
    for (const pattern of LICENCE_TEXT[licence] ?? [])
      if (!pattern.test(text)) problems.push(`LICENSE lacks ${pattern}`);
  }
  if (!files.includes("README.md")) problems.push("no README.md");
  if (manifest.repository?.url !== repositoryUrl)
    problems.push(`repository.url is ${manifest.repository?.url}`);
  if (manifest.repository?.directory !== dir)
    problems.push(`repository.directory is ${manifest.repository?.directory}`);
  if (!manifest.engines?.node) problems.push("no engines.node");
  if (typeof manifest.homepage !== "string") problems.push("no homepage");
  if (!manifest.types || !files.includes(manifest.types.replace(/^\.\//, "")))
    problems.push(`types ${manifest.types} missing`);

  for (const target of exportTargets(manifest.exports, problems)) {
    const file = target.replace(/^\.\//, "");
    if (file !== "package.json" && !file.startsWith("dist/"))
      problems.push(`export ${target} is outside dist/`);
    if (!files.includes(file)) problems.push(`export ${target} is not in the tarball`);
  }
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"]) {
    for (const [name, spec] of Object.entries<string>(manifest[field] ?? {})) {
      if (/^(workspace|catalog):/.test(spec)) problems.push(`${field}.${name} is still ${spec}`);
    }
  }
  // Test support that is a documented entry point (store's `./testing`) ships; the rest does not.
  const exported = JSON.stringify(manifest.exports ?? {});
  for (const file of files) {
    if (/\.(test|bench)\.[cm]?[jt]s/.test(file)) problems.push(`test file ${file} is published`);
    if (/(^|\/)test-support\//.test(file) && !exported.includes("test-support/"))
      problems.push(`${file} is published`);
  }
  for (const [command, target] of Object.entries<string>(manifest.bin ?? {})) {
    const file = join(root, target);
    if (!existsSync(file)) {
      problems.push(`bin ${command}: ${target} is not in the tarball`);
      continue;
    }
    if ((statSync(file).mode & 0o111) === 0) problems.push(`bin ${command}: ${target} is not executable`);
    if (!(await readFile(file, "utf8")).startsWith("#!/usr/bin/env node\n"))
      problems.push(`bin ${command}: no node shebang`);
  }
  return problems;
}
