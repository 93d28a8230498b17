import { stat } from "node:fs/promises";
import { join } from "node:path";
import { EXIT_CONFIG_ERROR, EXIT_STARTUP_FAILED, KEY_FILE_NAME } from "@gangway/core";
import { connectClient, type ProsodyServer, registerAccount, startProsody } from "@gangway/testing";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runBin, startGatewayProcess } from "./gateway-process.js";
import { Cleanups, echoRoundTrip, GW, registerWithGateway, tempDataDir } from "./support.js";
import { createTestDatabase, onEachDriver, SQLITE_FILE, type TestDatabase } from "./test-databases.js";

/** The built `gangway-demo` executable, run exactly as an operator runs it. */

const RUNNING = /"msg":"gateway running"/;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe("gangway-demo command line", () => {
  it("prints help with every option's env var and exits 0", async () => {
    const run = await runBin(["--help"]);
    expect(run.code).toBe(0);
    for (const name of [
      "GANGWAY_JID",
      "GANGWAY_SECRET",
      "GANGWAY_DB_URL",
      "GANGWAY_USER_JID_VALIDATOR",
      "--registration",
    ]) {
      expect(run.stdout).toContain(name);
    }
  });

  it("says the secret is missing and exits 2", async () => {
    const run = await runBin(["--jid", GW, "--home-dir", await tempDataDir(cleanups)]);
    expect(run.code).toBe(EXIT_CONFIG_ERROR);
    expect(run.stderr).toContain("--secret (or GANGWAY_SECRET) is required");
  });

  it("exits 3 with a clear log line when the database is unreachable, without leaking its password", async () => {
    const run = await runBin([], {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: "s",
      GANGWAY_HOME_DIR: await tempDataDir(cleanups),
      GANGWAY_DB_URL: "postgres://gw:hunter2@127.0.0.1:1/gw",
    });
    expect(run.code).toBe(EXIT_STARTUP_FAILED);
    expect(run.stdout).toContain("could not start the gateway");
    expect(run.stdout).not.toContain("hunter2");
  });
});

describe("gangway-demo against a real Prosody", () => {
  let prosody: ProsodyServer;
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
  });
  afterAll(async () => {
    await prosody?.stop();
  });

  /** The component's settings through the environment, as an operator would set them. */
  const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
    GANGWAY_JID: GW,
    GANGWAY_SECRET: prosody.componentSecret,
    GANGWAY_PORT: String(prosody.componentPort),
    ...extra,
  });

  onEachDriver((driver) => {
    /** The database by its command-line options: --home-dir, and --db-url on PostgreSQL. */
    const database = () => createTestDatabase(driver, cleanups);

    it("exits 3 on a wrong component secret, and never logs the secret", async () => {
      const run = await runBin((await database()).cliArgs, env({ GANGWAY_SECRET: "not-the-secret" }));
      expect(run.code).toBe(EXIT_STARTUP_FAILED);
      expect(run.stdout).toMatch(/not-authorized|secret/i);
      expect(run.stdout).not.toContain("not-the-secret");
    });

    it("keeps a registered password out of the home dir, the database and the logs", async () => {
      const db: TestDatabase = await database();
      const password = "S3cr3t-Xy7q";
      const username = `keeper-${driver}`;
      const gateway = startGatewayProcess(cleanups, db.cliArgs, env({ GANGWAY_LOG_LEVEL: "debug" }));
      await gateway.waitForOutput(RUNNING);
      await registerAccount(prosody, username, "pw");
      const client = await connectClient({ server: prosody, username, password: "pw" });
      cleanups.add(() => client.stop());
      await registerWithGateway(client, `${username}-legacy`, password);
      await client.stop();
      expect(await gateway.stop()).toEqual({ code: 0, signal: null });

      // The user is in the database (their JID is not sealed), their password is nowhere.
      const jid = `${username}@${prosody.domain}`;
      expect(await db.holding(jid)).toContainEqual(
        driver === "sqlite" ? expect.stringContaining(join(db.homeDir, SQLITE_FILE)) : "table public.users",
      );
      expect(await db.holding(password)).toEqual([]);
      expect(gateway.stdout).not.toContain(password);
      expect((await stat(join(db.homeDir, KEY_FILE_NAME))).mode & 0o777).toBe(0o600);
      if (driver === "sqlite") expect((await stat(join(db.homeDir, SQLITE_FILE))).mode & 0o777).toBe(0o600);
    });

    it(`starts on ${driver === "sqlite" ? "the embedded database" : "--db-url"}, and stops cleanly on SIGTERM with exit code 0`, async () => {
      const gateway = startGatewayProcess(cleanups, (await database()).cliArgs, env());
      const out = await gateway.waitForOutput(RUNNING);
      expect(out).toMatch(/"startupMs":\d+/);
      expect(out).not.toContain(prosody.componentSecret);
      expect(gateway.logEntries().find((entry) => entry.msg === "store open and migrated")).toMatchObject({
        driver,
      });
      expect(await gateway.stop()).toEqual({ code: 0, signal: null });
    });
  });

  // The embedded database's own guard; on PostgreSQL, several processes may share a database.
  it("refuses a second gateway on the same home dir while the first runs (exit 3, database file in use); the first keeps working", async () => {
    const db = await createTestDatabase("sqlite", cleanups);
    const first = startGatewayProcess(cleanups, db.cliArgs, env());
    await first.waitForOutput(RUNNING);

    const second = await runBin(db.cliArgs, env());
    expect(second.code, second.stdout + second.stderr).toBe(EXIT_STARTUP_FAILED);
    const fatal = second.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line))
      .find((entry) => entry.msg === "could not start the gateway");
    expect(fatal, second.stdout).toBeDefined();
    expect(JSON.stringify(fatal.err)).toContain("the database file is in use by another process");
    expect(JSON.stringify(fatal.err)).toContain(join(db.homeDir, SQLITE_FILE));

    // The first still has its database and its component connection: a new user registers and chats.
    expect(first.running).toBe(true);
    await registerAccount(prosody, "steady", "pw");
    const client = await connectClient({ server: prosody, username: "steady", password: "pw" });
    cleanups.add(() => client.stop());
    await registerWithGateway(client, "steady");
    expect((await echoRoundTrip(client, "still here")).attrs.from).toBe(`echo@${GW}/gangway`);
    expect(await first.stop(), first.output()).toEqual({ code: 0, signal: null });
  });
});
