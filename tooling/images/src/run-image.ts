import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DATA_DIR_IN_IMAGE } from "./build-images.js";
import { run } from "./exec.js";

export interface RunImageOptions {
  /** An OCI archive written by buildImages. */
  archive: string;
  ref: string;
  /** Scratch space for the unpacked image and runc's state (the caller removes it). */
  workDir: string;
  /** Host directory mounted at /data (must be writable by the image's user). */
  dataDir: string;
  /** Extra environment, e.g. GANGWAY_JID. */
  env: Record<string, string>;
  /** A unique container id. */
  id: string;
}

export interface RunningImage {
  /** Everything the container wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code when the container's process ends. */
  exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; removes the container. */
  stop(graceMs?: number): Promise<number | null>;
}

/** Debian installs runc in /usr/sbin, which a non-root PATH may lack. */
const RUNC = process.env.GANGWAY_RUNC ?? (existsSync("/usr/sbin/runc") ? "/usr/sbin/runc" : "runc");

interface RuntimeSpec {
  process: { terminal?: boolean; env?: string[] };
  linux: { namespaces: { type: string }[] };
  mounts: { destination: string; type: string; source: string; options: string[] }[];
}

/**
 * Unpacks the archive's image into an OCI runtime bundle with umoci and runs it with runc in the
 * host's network namespace (so it reaches servers on 127.0.0.1), with `dataDir` bind-mounted at /data.
 */
export async function runImage(options: RunImageOptions): Promise<RunningImage> {
  const layout = join(options.workDir, "layout");
  const bundle = join(options.workDir, "bundle");
  const state = join(options.workDir, "runc-state");
  await mkdir(layout, { recursive: true });
  await run("tar", ["-xf", options.archive, "-C", layout]);
  await run("umoci", ["unpack", "--image", `${layout}:${options.ref}`, bundle]);
  const specPath = join(bundle, "config.json");
  const spec = JSON.parse(await readFile(specPath, "utf8")) as RuntimeSpec;
  spec.process.terminal = false;
  spec.process.env = [
    ...(spec.process.env ?? []),
    ...Object.entries(options.env).map(([k, v]) => `${k}=${v}`),
  ];
  spec.linux.namespaces = spec.linux.namespaces.filter((namespace) => namespace.type !== "network");
  spec.mounts = [
    ...spec.mounts.filter((mount) => mount.destination !== DATA_DIR_IN_IMAGE),
    { destination: DATA_DIR_IN_IMAGE, type: "bind", source: options.dataDir, options: ["rbind", "rw"] },
  ];
  await writeFile(specPath, JSON.stringify(spec, null, 2));

  const runc = (...args: string[]): string[] => ["--root", state, ...args];
  const child: ChildProcess = spawn(RUNC, runc("run", "--bundle", bundle, options.id), {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on("close", (code) => resolve(code));
    child.on("error", () => resolve(null));
  });
  let stopped: Promise<number | null> | undefined;
  const stop = (graceMs = 10_000): Promise<number | null> => {
    stopped ??= (async () => {
      await run(RUNC, runc("kill", options.id, "TERM")).catch(() => {});
      const timer = setTimeout(
        () => void run(RUNC, runc("kill", options.id, "KILL")).catch(() => {}),
        graceMs,
      );
      const code = await exited;
      clearTimeout(timer);
      await run(RUNC, runc("delete", "--force", options.id)).catch(() => {});
      return code;
    })();
    return stopped;
  };
  return { output: () => output, exited, stop };
}
