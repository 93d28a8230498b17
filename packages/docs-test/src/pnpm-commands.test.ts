import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { REPO_ROOT, readRepoFile, shellCommands } from "./markdown.js";

/** pnpm's own commands (and `turbo`, a root dev dependency pnpm runs) that are not scripts. */
const PNPM_COMMANDS = new Set(["install", "add", "exec", "dlx", "turbo", "changeset"]);

interface Manifest {
  name: string;
  scripts?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function manifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(REPO_ROOT, dir, "package.json"), "utf8")) as Manifest;
}

/** Every workspace package's directory (apps/*, packages/*, tooling/*, as pnpm-workspace.yaml lists). */
const PACKAGE_DIRS = ["apps", "packages", "tooling"].flatMap((group) =>
  readdirSync(join(REPO_ROOT, group), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(REPO_ROOT, group, entry.name, "package.json")))
    .map((entry) => `${group}/${entry.name}`),
);

const WORKSPACE = new Map(PACKAGE_DIRS.map((dir) => [manifest(dir).name, manifest(dir)] as const));

const DOCS = ["README.md", ...PACKAGE_DIRS.map((dir) => `${dir}/README.md`)].filter((doc) =>
  existsSync(join(REPO_ROOT, doc)),
);

/** The pnpm invocations of a doc's shell blocks, each as its words (env assignments dropped). */
function pnpmCalls(doc: string): { line: string; words: string[] }[] {
  return shellCommands(readRepoFile(doc)).flatMap((line) =>
    line
      .split(/&&|;/)
      .map((part) =>
        part
          .trim()
          .split(/\s+/)
          .filter((word) => !/^[A-Z_]+=/.test(word)),
      )
      .filter((words) => words[0] === "pnpm")
      .map((words) => ({ line, words })),
  );
}

/** Apps the doc makes with the generator (`pnpm turbo gen gateway --args <name>`): not in the repository. */
function generatedIn(doc: string): Set<string> {
  const names = pnpmCalls(doc)
    .filter(({ words }) => words.slice(1, 4).join(" ") === "turbo gen gateway")
    .map(({ words }) => `@gangway/${words[words.indexOf("--args") + 1]}-gateway`);
  return new Set(names);
}

describe("the pnpm commands the READMEs show", () => {
  const calls = DOCS.flatMap((doc) => pnpmCalls(doc).map((call) => ({ doc, ...call })));

  it("finds them", () => {
    expect(calls.length).toBeGreaterThan(5);
  });

  it.each(calls)("$doc: `$line` names a script or package that exists", ({ doc, words }) => {
    const root = manifest(".");
    const filter = words.findIndex((word) => word === "--filter" || word.startsWith("--filter="));
    if (filter < 0) {
      const command = words[1]!;
      if (!PNPM_COMMANDS.has(command)) expect(Object.keys(root.scripts ?? {})).toContain(command);
      return;
    }
    const selector = words[filter]!.includes("=") ? words[filter]!.split("=")[1]! : words[filter + 1]!;
    const name = selector.replace(/\.\.\.$/, "");
    if (generatedIn(doc).has(name)) return;
    expect([...WORKSPACE.keys()]).toContain(name);
    // `pnpm --filter <pkg> <script>`: the package has that script.
    if (words[1] === "--filter") {
      const script = words[filter + 2];
      if (script && !PNPM_COMMANDS.has(script)) {
        expect(Object.keys(WORKSPACE.get(name)?.scripts ?? {})).toContain(script);
      }
    }
  });
});
