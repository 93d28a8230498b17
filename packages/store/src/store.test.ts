import { spawn } from "node:child_process";
import { readFile, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import postgres from "postgres";
import { describe, expect, it, vi } from "vitest";
import { StoreConfigError, StoreUnavailableError } from "./errors.js";
import { migrationsFolder } from "./migrations.js";
import type { StoreDriverName, StoreOptions } from "./options.js";
import { openStore } from "./store.js";
import { forEachDriver } from "./test-support/drivers.js";

async function journalEntryCount(driver: StoreDriverName): Promise<number> {
  const journal = JSON.parse(await readFile(join(migrationsFolder(driver), "meta", "_journal.json"), "utf8"));
  return journal.entries.length;
}

/** Reads drizzle's bookkeeping directly, bypassing the store (which must be closed for SQLite). */
async function appliedMigrationCount(options: StoreOptions): Promise<number> {
  if (options.driver === "sqlite") {
    const client = new BetterSqlite3(options.file!, { readonly: true });
    try {
      return (
        client.prepare("select count(*) as applied from __drizzle_migrations").get() as { applied: number }
      ).applied;
    } finally {
      client.close();
    }
  }
  const client = postgres(options.url, { max: 1 });
  try {
    const query = "select count(*)::int as applied from drizzle.__drizzle_migrations";
    return (await client.unsafe<{ applied: number }[]>(query))[0]!.applied;
  } finally {
    await client.end();
  }
}

/**
 * Another process holding the store open, as a second gateway on the same home dir would:
 * resolves once it has opened it.
 */
async function holdOpenElsewhere(file: string) {
  const script = `
    const Database = require(${JSON.stringify(createRequire(import.meta.url).resolve("better-sqlite3"))});
    const db = new Database(${JSON.stringify(file)});
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("journal_mode = WAL");
    db.exec("begin immediate; commit");
    process.stdout.write("open\\n");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once("data", () => resolve());
    child.once("exit", (code) => reject(new Error(`holder exited with ${code}`)));
  });
  return child;
}

/** A loopback port nobody listens on: bound then released. */
async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it("finds its committed migrations for both drivers", async () => {
  expect(await journalEntryCount("sqlite")).toBeGreaterThan(0);
  expect(await journalEntryCount("postgres")).toBeGreaterThan(0);
});

forEachDriver((driver) => {
  describe("opening", () => {
    it("migrates once, and reopening keeps the data and applies nothing twice", async () => {
      const options = await driver.createDatabase();
      const first = await openStore(options);
      expect(first.driver).toBe(driver.name);
      await first.users.create({ jid: "kept@example.org", registration: { token: "t" } });
      await first.close();

      const second = await openStore(options);
      expect((await second.users.get("kept@example.org"))?.registration).toEqual({ token: "t" });
      await second.close();

      expect(await appliedMigrationCount(options)).toBe(await journalEntryCount(driver.name));
    });

    it("answers health checks while open, and fails them with a typed error once closed", async () => {
      const store = await openStore(await driver.createDatabase());
      await expect(store.healthCheck()).resolves.toBeUndefined();
      await store.close();
      await store.close(); // idempotent
      await expect(store.healthCheck()).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(store.users.get("anyone@example.org")).rejects.toBeInstanceOf(StoreUnavailableError);
    });

    it("logs where it opens, without secrets", async () => {
      const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
      const options = await driver.createDatabase();
      const withPassword: StoreOptions =
        options.driver === "postgres"
          ? { ...options, url: withUrlPassword(options.url, "hunter2") }
          : options;
      const store = await openStore(withPassword, logger);
      await store.close();
      expect(logger.info).toHaveBeenCalledWith(
        expect.objectContaining({ driver: driver.name }),
        "store open and migrated",
      );
      expect(JSON.stringify(logger.info.mock.calls)).not.toContain("hunter2");
    });
  });

  if (driver.name === "sqlite") {
    it("persists across close and reopen in its file, readable by its owner only", async () => {
      const options = await driver.createDatabase();
      const store = await openStore(options);
      const user = await store.users.create({ jid: "durable@example.org", registration: {} });
      await store.contacts.upsert(user.id, { legacyId: "friend", jidLocal: "friend", name: "Friend" });
      void store.messageIds.add(user.id, { chat: "friend", legacyId: "1", xmppId: "x1", direction: "in" });
      await store.close(); // writes the batched pair first

      if (options.driver !== "sqlite") throw new Error("unreachable");
      expect((await stat(options.file!)).mode & 0o777).toBe(0o600);
      const reopened = await openStore(options);
      expect(await reopened.users.count()).toBe(1);
      expect((await reopened.contacts.get(user.id, "friend"))?.name).toBe("Friend");
      expect(await reopened.messageIds.legacyId(user.id, "friend", "x1")).toBe("1");
      await reopened.close();
    });

    it("refuses a second open of a file that is in use, and is free again on close", async () => {
      const options = await driver.createDatabase();
      const store = await openStore(options);
      try {
        const second = openStore(options);
        await expect(second).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(second).rejects.toThrow(/in use by another process/);
      } finally {
        await store.close();
      }
      await (await openStore(options)).close();
    });

    it("opens at once after the process that held the file was killed", async () => {
      const options = await driver.createDatabase();
      await (await openStore(options)).close();
      if (options.driver !== "sqlite") throw new Error("unreachable");
      const holder = await holdOpenElsewhere(options.file!);
      try {
        await expect(openStore(options)).rejects.toThrow(/in use by another process/);
      } finally {
        holder.kill("SIGKILL");
        await new Promise((resolve) => holder.once("exit", resolve));
      }
      const store = await openStore(options);
      await expect(store.healthCheck()).resolves.toBeUndefined();
      await store.close();
    });
  }

  if (driver.name === "postgres") {
    it("survives concurrent first opens of one database", async () => {
      const options = await driver.createDatabase();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(options)));
      await Promise.all(stores.map((store) => store.healthCheck()));
      await Promise.all(stores.map((store) => store.close()));
      expect(await appliedMigrationCount(options)).toBe(await journalEntryCount(driver.name));
    });

    it("reports a database that does not exist as unavailable", async () => {
      const options = await driver.createDatabase();
      if (options.driver !== "postgres") throw new Error("unreachable");
      const missing = new URL(options.url);
      missing.pathname = "/gangway_no_such_database";
      const open = openStore({ driver: "postgres", url: missing.toString() });
      await expect(open).rejects.toBeInstanceOf(StoreUnavailableError);
      await expect(open).rejects.toThrow(/gangway_no_such_database/);
    });
  }
});

describe("opening PostgreSQL that cannot be used", () => {
  it("fails with StoreUnavailableError naming the host, not the password", async () => {
    const port = await closedLoopbackPort();
    const open = openStore({
      driver: "postgres",
      url: `postgres://gateway:hunter2@127.0.0.1:${port}/gangway`,
    });
    const error = await open.then(
      () => expect.unreachable(),
      (rejection: unknown) => rejection,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ driver: "postgres", target: `gateway@127.0.0.1:${port}/gangway` });
    expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    expect((error as Error).message).toContain("ECONNREFUSED");
    expect(JSON.stringify(error) + String(error)).not.toContain("hunter2");
  });

  it.each([
    ["not a URL", "this is :// not a url with password hunter2"],
    ["another scheme", "mysql://root:hunter2@localhost/db"],
  ])("rejects %s with StoreConfigError, without echoing it", async (_, url) => {
    const open = openStore({ driver: "postgres", url });
    await expect(open).rejects.toBeInstanceOf(StoreConfigError);
    await expect(open).rejects.not.toThrow(/hunter2/);
  });
});

function withUrlPassword(url: string, password: string): string {
  const parsed = new URL(url);
  if (!parsed.username) parsed.username = "postgres";
  parsed.password = password;
  return parsed.toString();
}
