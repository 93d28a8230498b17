import { mkdir, mkdtemp, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Buildah } from "./buildah.js";
import { run } from "./exec.js";
import { defaultCacheDir, ensureNodeLts, type NodeDist, nodeEnv } from "./node-lts.js";
import { IMAGE_USER, NODE_PATH_IN_IMAGE, stageBaseRootfs } from "./rootfs.js";
import {
  addSources,
  buildApps,
  copyBuiltFiles,
  type GatewayApp,
  install,
  listGatewayApps,
  prune,
  runtimeClosure,
  selectApps,
  slimNativeAddons,
} from "./workspace.js";

export const APP_DIR_IN_IMAGE = "/app";
export const DATA_DIR_IN_IMAGE = "/data";
/** Under /app, a link to the app's bin (Node runs the target: imports resolve from there). */
export const ENTRYPOINT_SCRIPT = "bin.js";

export interface BuildImagesOptions {
  repoRoot: string;
  /** Directory names, short names or package names; empty = every app. */
  apps?: readonly string[];
  /** Where `<app>.oci.tar` files go (default: `<repoRoot>/dist/images`). */
  outDir?: string;
  cacheDir?: string;
  log?: (line: string) => void;
}

export interface BuiltImage {
  app: GatewayApp;
  archive: string;
  /** The image reference inside the archive, e.g. `gangway/demo-gateway:latest`. */
  ref: string;
  archiveBytes: number;
  /** Seconds for this app alone: its prune, runtime install, layer and export. */
  seconds: number;
}

export interface BuildImagesResult {
  node: NodeDist;
  images: BuiltImage[];
  /** Seconds for what all apps share: Node download, install and build, base layer. */
  sharedSeconds: number;
}

const seconds = (since: number): number => (performance.now() - since) / 1000;

/**
 * Builds one OCI image per app: the shared build (one `turbo prune` of all apps, installed and
 * compiled for the LTS Node), a base layer (Node, libraries, user, CA bundle), then per app a
 * `turbo prune <app>` production install with the built files as the second layer.
 */
export async function buildImages(options: BuildImagesOptions): Promise<BuildImagesResult> {
  const log = options.log ?? (() => {});
  const repoRoot = resolve(options.repoRoot);
  const outDir = resolve(options.outDir ?? join(repoRoot, "dist", "images"));
  const apps = selectApps(await listGatewayApps(repoRoot), options.apps ?? []);
  const sharedStart = performance.now();
  const node = await ensureNodeLts(options.cacheDir ?? defaultCacheDir());
  const env = nodeEnv(node);
  const work = await mkdtemp(join(tmpdir(), "gangway-images-"));
  const buildah = new Buildah(join(work, "buildah-root"), join(work, "buildah-runroot"));
  try {
    log(`Node ${node.version}: pruning and building ${apps.map((a) => a.id).join(", ")}`);
    const buildOut = join(work, "build");
    const buildDir = await prune(
      repoRoot,
      apps.map((a) => a.packageName),
      buildOut,
    );
    await install(buildDir, env, "all");
    await addSources(buildOut, buildDir);
    await buildApps(buildDir, env, apps);

    log("base layer");
    const addons = await slimNativeAddons(buildDir);
    const base = join(work, "base-rootfs");
    await stageBaseRootfs(base, node.bin, addons);
    const baseContainer = await buildah.from("scratch", "gangway-base");
    await run("cp", ["-a", `${base}/.`, await buildah.mount(baseContainer)]);
    await buildah.commit(baseContainer, "gangway/base");
    const sharedSeconds = seconds(sharedStart);

    await mkdir(outDir, { recursive: true });
    const images: BuiltImage[] = [];
    for (const app of apps) {
      const start = performance.now();
      log(`${app.id}: runtime install and image`);
      const appOut = join(work, `runtime-${app.id}`);
      const runtimeDir = await prune(repoRoot, [app.packageName], appOut);
      await install(runtimeDir, env, "prod");
      await copyBuiltFiles(buildDir, runtimeDir, await runtimeClosure(runtimeDir, app));
      await slimNativeAddons(runtimeDir);
      // One entrypoint path for every app (a Dockerfile's ENTRYPOINT cannot expand a build argument).
      await symlink(`apps/${app.id}/${app.bin}`, join(runtimeDir, ENTRYPOINT_SCRIPT));
      const container = await buildah.from("gangway/base", `gangway-${app.id}`);
      const rootfs = await buildah.mount(container);
      await run("cp", ["-a", runtimeDir, join(rootfs, APP_DIR_IN_IMAGE)]);
      await buildah.config(container, imageConfig(app));
      const ref = `gangway/${app.id}:latest`;
      await buildah.commit(container, ref);
      const archive = join(outDir, `${app.id}.oci.tar`);
      await rm(archive, { force: true });
      await buildah.pushOciArchive(ref, archive, ref);
      images.push({ app, archive, ref, archiveBytes: (await stat(archive)).size, seconds: seconds(start) });
    }
    return { node, images, sharedSeconds };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The image's run-time settings, the same as the Dockerfile's USER/ENV/VOLUME/ENTRYPOINT. */
export function imageConfig(app: GatewayApp): string[] {
  const { uid, gid } = IMAGE_USER;
  return [
    "--user",
    `${uid}:${gid}`,
    "--workingdir",
    DATA_DIR_IN_IMAGE,
    "--env",
    `GANGWAY_HOME_DIR=${DATA_DIR_IN_IMAGE}`,
    "--env",
    `HOME=${DATA_DIR_IN_IMAGE}`,
    "--env",
    "NODE_ENV=production",
    "--env",
    "NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt",
    "--volume",
    DATA_DIR_IN_IMAGE,
    "--entrypoint",
    JSON.stringify([NODE_PATH_IN_IMAGE, `${APP_DIR_IN_IMAGE}/${ENTRYPOINT_SCRIPT}`]),
    "--label",
    `org.opencontainers.image.title=${app.packageName}`,
    "--label",
    "org.opencontainers.image.licenses=AGPL-3.0-or-later",
  ];
}

/** The table `pnpm images` prints. */
export function formatReport(result: BuildImagesResult): string {
  const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
  const rows = [
    ["app", "image (OCI archive)", "build time"],
    ...result.images.map((image) => [image.app.id, mb(image.archiveBytes), `${image.seconds.toFixed(1)} s`]),
    ["(shared: Node, build, base layer)", "", `${result.sharedSeconds.toFixed(1)} s`],
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  const lines = rows.map((row) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join("  ")
      .trimEnd(),
  );
  return [
    `Node ${result.node.version}`,
    ...lines,
    ...result.images.map((i) => `${i.ref}: ${i.archive}`),
  ].join("\n");
}
