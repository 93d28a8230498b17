import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import postgres from "postgres";
import { describe, expect, it, vi } from "vitest";
import { StoreConfigError, StoreUnavailableError } from "./errors.js";
import { migrationsFolder } from "./migrations.js";
import type { StoreOptions } from "./options.js";
import { openStore } from "./store.js";
import { forEachDriver } from "./test-support/drivers.js";

async function journalEntryCount(): Promise<number> {
  const journal = JSON.parse(await readFile(join(migrationsFolder, "meta", "_journal.json"), "utf8"));
  return journal.entries.length;
}

/** Reads drizzle's bookkeeping directly, bypassing the store (which must be closed for PGlite). */
async function appliedMigrationCount(options: StoreOptions): Promise<number> {
  const query = `select count(*)::int as applied from drizzle.__drizzle_migrations`;
  if (options.driver === "pglite") {
    const client = await PGlite.create(options.dataDir);
    try {
      return (await client.query<{ applied: number }>(query)).rows[0]!.applied;
    } finally {
      await client.close();
    }
  }
  const client = postgres(options.url, { max: 1 });
  try {
    return (await client.unsafe<{ applied: number }[]>(query))[0]!.applied;
  } finally {
    await client.end();
  }
}

/** A loopback port nobody listens on: bound then released. */
async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it("finds its committed migrations", async () => {
  expect(await journalEntryCount()).toBeGreaterThan(0);
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

      expect(await appliedMigrationCount(options)).toBe(await journalEntryCount());
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

  if (driver.name === "pglite") {
    it("persists across close and reopen in its data directory", async () => {
      const options = await driver.createDatabase();
      const store = await openStore(options);
      const user = await store.users.create({ jid: "durable@example.org", registration: {} });
      await store.contacts.upsert(user.id, { legacyId: "friend", jidLocal: "friend", name: "Friend" });
      await store.messageIds.add(user.id, { chat: "friend", legacyId: "1", xmppId: "x1", direction: "in" });
      await store.close();

      const reopened = await openStore(options);
      expect(await reopened.users.count()).toBe(1);
      expect((await reopened.contacts.get(user.id, "friend"))?.name).toBe("Friend");
      expect(await reopened.messageIds.legacyId(user.id, "friend", "x1")).toBe("1");
      await reopened.close();
    });

    it("refuses a second open of a data directory that is in use", async () => {
      const options = await driver.createDatabase();
      const store = await openStore(options);
      try {
        const second = openStore(options);
        await expect(second).rejects.toBeInstanceOf(StoreUnavailableError);
        await expect(second).rejects.toThrow(/already open/);
      } finally {
        await store.close();
      }
      // Released on close.
      await (await openStore(options)).close();
    });
  }

  if (driver.name === "postgres") {
    it("survives concurrent first opens of one database", async () => {
      const options = await driver.createDatabase();
      const stores = await Promise.all(Array.from({ length: 4 }, () => openStore(options)));
      await Promise.all(stores.map((store) => store.healthCheck()));
      await Promise.all(stores.map((store) => store.close()));
      expect(await appliedMigrationCount(options)).toBe(await journalEntryCount());
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
