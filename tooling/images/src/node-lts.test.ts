import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./exec.js";
import { ensureNodeLts, type NodeDist, nodeEnv } from "./node-lts.js";
import { addSources, install, prune } from "./workspace.js";

/**
 * Issue 15 §6: engines say >=20.10, CI runs the whole suite on Node 20, and this builds the layers
 * up to core and runs their unit tests on the LTS Node the images ship (installed from npm).
 */
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const PACKAGES = ["xmpp", "store", "registration", "core"] as const;

let work: string;
let workspace: string;
let node: NodeDist;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  node = await ensureNodeLts();
  env = nodeEnv(node);
  work = await mkdtemp(join(tmpdir(), "gangway-node-lts-"));
  const out = join(work, "pruned");
  workspace = await prune(repoRoot, ["@gangway/core"], out);
  await install(workspace, env, "all");
  await addSources(out, workspace);
  // turbo prune copies package directories and root manifests; the packages' vitest configs extend this.
  await copyFile(join(repoRoot, "vitest.shared.ts"), join(workspace, "vitest.shared.ts"));
}, 15 * 60_000);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe(`Node LTS`, () => {
  it("is the LTS the images use, first on the PATH the builds and tests get", async () => {
    const { stdout } = await run("node", ["-p", "process.version + ' ' + process.release.lts"], { env });
    expect(stdout.trim()).toMatch(new RegExp(`^v${node.version.replaceAll(".", "\\.")} [A-Z][a-z]+$`));
  });

  it(
    "builds xmpp, store, registration, core and the test kit with tsc",
    async () => {
      await run("pnpm", ["--filter", "@gangway/core...", "--workspace-concurrency=1", "run", "build"], {
        cwd: workspace,
        env,
      });
      // better-sqlite3 was compiled for this Node's ABI and loads on it.
      const { stdout } = await run(
        node.bin,
        [
          "-e",
          "const D=require('better-sqlite3');console.log(new D(':memory:').prepare('select 41+1 x').get().x)",
        ],
        { cwd: join(workspace, "packages", "store"), env },
      );
      expect(stdout.trim()).toBe("42");
    },
    10 * 60_000,
  );

  it.each(PACKAGES)(
    "%s: unit tests pass",
    async (name) => {
      const cwd = join(workspace, "packages", name);
      const { FORCE_COLOR: _, ...plain } = env;
      const { stdout } = await run(node.bin, [join(cwd, "node_modules", "vitest", "vitest.mjs"), "run"], {
        cwd,
        env: { ...plain, NO_COLOR: "1" },
      });
      expect(stdout).toMatch(/Tests\s+\d+ passed/);
      expect(stdout).not.toMatch(/\d+ failed/);
    },
    15 * 60_000,
  );
});
