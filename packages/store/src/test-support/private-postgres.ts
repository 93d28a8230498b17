import { type ChildProcess, execFile, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { chown, mkdtemp, readdir, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * A PostgreSQL server of the test's own (`@gangway/store/testing`), for what a shared server must
 * not suffer: being stopped and started again under traffic. Its data directory lives in a temp
 * dir; `destroy()` stops the server (by its PID) and removes the dir.
 *
 * The binaries come from Debian's postgresql package (/usr/lib/postgresql/<version>/bin, the
 * newest version there) or from `PG_BINDIR`. initdb refuses to run as root, so as root the server
 * runs as the `postgres` system user, in a temp dir given to it.
 */
export interface PrivatePostgres {
  /** Trust authentication on loopback: `postgres://postgres@127.0.0.1:<port>/postgres`. */
  readonly url: string;
  readonly port: number;
  /** PID of the running server, undefined while stopped. */
  readonly pid: number | undefined;
  /** Fast shutdown, as `pg_ctl stop -m fast` would: sessions are ended (57P01), then it exits. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Stops it, then removes its data directory. Idempotent. */
  destroy(): Promise<void>;
}

const execFileAsync = promisify(execFile);
const READY = /database system is ready to accept connections/;
const START_TIMEOUT_MS = 30_000;

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = await postgresBinDir();
  const owner = await serverUser();
  const dir = await mkdtemp(join(tmpdir(), "gangway-pg-"));
  if (owner) await chown(dir, owner.uid, owner.gid);
  const data = join(dir, "data");
  const port = await freePort();
  const asOwner = owner ? { uid: owner.uid, gid: owner.gid } : {};
  let server: ChildProcess | undefined;
  let output = "";

  const start = async (): Promise<void> => {
    if (server) return;
    output = "";
    const child = spawn(
      join(bin, "postgres"),
      // Its sockets in its own dir (/var/run/postgresql may not be ours); no fsync: test data.
      ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
      { ...asOwner, stdio: ["ignore", "ignore", "pipe"] },
    );
    server = child;
    child.once("exit", () => {
      if (server === child) server = undefined;
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error("did not start in time")), START_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(new Error(`private PostgreSQL on port ${port}: ${error.message}\n${output}`));
      };
      child.stderr?.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        if (READY.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("error", fail);
      child.once("exit", (code) => fail(new Error(`exited with ${code}`)));
    });
  };

  const stop = async (): Promise<void> => {
    const child = server;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    // SIGINT is PostgreSQL's fast shutdown; its PID is the postmaster's own (no wrapper in between).
    child.kill("SIGINT");
    await exited;
  };

  try {
    await execFileAsync(
      join(bin, "initdb"),
      ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-sync"],
      { ...asOwner, env: { ...process.env, LC_ALL: "C" } },
    );
    await start();
  } catch (error) {
    await stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  // A test process that ends without destroy() (a hook timeout, a killed worker) must not leave a
  // server behind: SIGQUIT is PostgreSQL's immediate shutdown, which also ends its backends.
  const onExit = () => {
    server?.kill("SIGQUIT");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", onExit);

  let destroyed: Promise<void> | undefined;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    get pid() {
      return server?.pid;
    },
    stop,
    start,
    destroy() {
      process.off("exit", onExit);
      destroyed ??= stop().finally(() => rm(dir, { recursive: true, force: true }));
      return destroyed;
    },
  };
}

async function postgresBinDir(): Promise<string> {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  const root = "/usr/lib/postgresql";
  const versions = await readdir(root).catch(() => [] as string[]);
  const newest = versions.filter((version) => /^\d+$/.test(version)).sort((a, b) => Number(b) - Number(a))[0];
  if (!newest)
    throw new Error(`no PostgreSQL server binaries under ${root} (install postgresql, or set PG_BINDIR)`);
  return join(root, newest, "bin");
}

/** The `postgres` system user when running as root (initdb refuses root); undefined otherwise. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async (flag: string) => Number((await execFileAsync("id", [flag, "postgres"])).stdout.trim());
  return { uid: await ids("-u"), gid: await ids("-g") };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}
