import { chmod, chown, copyFile, mkdir, realpath, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { run } from "./exec.js";

/** The image's unprivileged user; /data (its home, the gateway's --home-dir) belongs to it. */
export const IMAGE_USER = { name: "gangway", uid: 10001, gid: 10001 } as const;
export const NODE_PATH_IN_IMAGE = "/usr/local/bin/node";
export const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/** Absolute paths of the shared libraries (and the dynamic loader) `ldd` lists for these files. */
export async function sharedLibraries(files: readonly string[]): Promise<string[]> {
  const libraries = new Set<string>();
  for (const file of files) {
    const { stdout } = await run("ldd", [file]);
    for (const line of stdout.split("\n")) {
      // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
      const path = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line)?.[1];
      if (path) libraries.add(path);
    }
  }
  return [...libraries].sort();
}

/**
 * Lays out the base layer in `dir`: the stripped Node binary, the libraries it and the native
 * addons link against (at the paths the loader looks for them), a non-root user, the CA bundle,
 * /tmp and the /data volume. Returns the libraries copied.
 */
export async function stageBaseRootfs(
  dir: string,
  nodeBinary: string,
  nativeAddons: readonly string[],
): Promise<string[]> {
  const node = join(dir, NODE_PATH_IN_IMAGE);
  await mkdir(dirname(node), { recursive: true });
  await copyFile(nodeBinary, node);
  await run("strip", [node]);
  await chmod(node, 0o755);
  const libraries = await sharedLibraries([nodeBinary, ...nativeAddons]);
  for (const library of libraries) {
    const target = join(dir, library);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(await realpath(library), target);
    await chmod(target, 0o755);
  }
  await mkdir(join(dir, dirname(CA_BUNDLE)), { recursive: true });
  await copyFile(CA_BUNDLE, join(dir, CA_BUNDLE));
  await chmod(join(dir, CA_BUNDLE), 0o644);
  const { name, uid, gid } = IMAGE_USER;
  await writeFile(
    join(dir, "etc/passwd"),
    `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/data:/sbin/nologin\n`,
  );
  await writeFile(join(dir, "etc/group"), `root:x:0:\n${name}:x:${gid}:\n`);
  await writeFile(join(dir, "etc/nsswitch.conf"), "passwd: files\ngroup: files\nhosts: files dns\n");
  await writeFile(join(dir, "etc/hosts"), "127.0.0.1 localhost\n::1 localhost\n");
  await mkdir(join(dir, "tmp"), { recursive: true });
  await chmod(join(dir, "tmp"), 0o1777);
  await mkdir(join(dir, "data"), { recursive: true });
  await chown(join(dir, "data"), uid, gid);
  await chmod(join(dir, "data"), 0o700);
  return libraries;
}
