import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, expect, it } from "vitest";
import { migrationsFolder } from "./migrations.js";
import type { StoreDriverName } from "./options.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const drizzleKit = join(packageDir, "node_modules", ".bin", "drizzle-kit");
const temporary: string[] = [];
afterEach(async () => {
  for (const dir of temporary.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * A schema change without its migration would reach users as a crash at the first query that
 * touches it. drizzle-kit diffs the schema against a copy of the committed migrations: it must
 * find nothing to write.
 */
it.each<StoreDriverName>(["sqlite", "postgres"])(
  "has %s migrations that match its schema",
  async (driver) => {
    const copy = await mkdtemp(join(tmpdir(), `gangway-migrations-${driver}-`));
    temporary.push(copy);
    await cp(migrationsFolder(driver), copy, { recursive: true });
    const before = await readdir(copy, { recursive: true });
    const { stdout, stderr } = await promisify(execFile)(
      drizzleKit,
      ["generate", "--config", `drizzle.${driver}.config.ts`],
      { cwd: packageDir, env: { ...process.env, GANGWAY_MIGRATIONS_OUT: relative(packageDir, copy) } },
    );
    expect(stdout + stderr).toContain("No schema changes");
    expect(await readdir(copy, { recursive: true })).toEqual(before);
  },
  60_000,
);
