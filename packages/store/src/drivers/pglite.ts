import { mkdir, open, readFile, rm } from "node:fs/promises";
import { resolve } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { drizzle } from "drizzle-orm/pglite";
import { migrate } from "drizzle-orm/pglite/migrator";
import { failureMessage } from "../db-errors.js";
import { StoreUnavailableError } from "../errors.js";
import { migrationsFolder } from "../migrations.js";
import type { OpenDriver } from "./driver.js";

/** Lock files held by this process: a second Store on the same directory must fail, not corrupt it. */
const locksHeldHere = new Set<string>();

export async function openPglite(dataDir: string | undefined): Promise<OpenDriver> {
  const directory = dataDir === undefined ? undefined : resolve(dataDir);
  const target = directory ?? "memory";
  const releaseLock = directory === undefined ? async () => {} : await lockDataDir(directory);
  let client: PGlite | undefined;
  try {
    if (directory !== undefined) await mkdir(directory, { recursive: true, mode: 0o700 });
    client = await PGlite.create(directory);
    const db = drizzle({ client });
    await migrate(db, { migrationsFolder });
    const opened = client;
    return {
      name: "pglite",
      target,
      db,
      async close() {
        try {
          if (!opened.closed) await opened.close();
        } finally {
          await releaseLock();
        }
      },
    };
  } catch (error) {
    await client?.close().catch(() => {});
    await releaseLock();
    throw error instanceof StoreUnavailableError
      ? error
      : new StoreUnavailableError("pglite", target, `cannot open: ${failureMessage(error)}`);
  }
}

/**
 * PGlite has no multi-process protection of its own: two instances on one directory would both
 * write to it. A `<dataDir>.lock` file holding the owner's pid keeps a second gateway out, and is
 * taken over when that pid is gone (crash, or a restarted container reusing the same pid).
 */
async function lockDataDir(directory: string): Promise<() => Promise<void>> {
  const lockPath = `${directory}.lock`;
  if (locksHeldHere.has(lockPath)) {
    throw new StoreUnavailableError("pglite", directory, "data directory is already open in this process");
  }
  await mkdir(resolve(directory, ".."), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      locksHeldHere.add(lockPath);
      return async () => {
        locksHeldHere.delete(lockPath);
        await rm(lockPath, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = Number.parseInt(await readFile(lockPath, "utf8").catch(() => ""), 10);
      if (isOtherLiveProcess(owner)) {
        throw new StoreUnavailableError(
          "pglite",
          directory,
          `data directory is in use by process ${owner} (lock file ${lockPath})`,
        );
      }
      await rm(lockPath, { force: true });
    }
  }
  throw new StoreUnavailableError("pglite", directory, `cannot take the lock file ${lockPath}`);
}

function isOtherLiveProcess(pid: number): boolean {
  // Our own pid in a lock we do not hold is a leftover of a previous run with the same pid.
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
