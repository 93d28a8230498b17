import { createServer } from "node:net";
import { connectClient, registerAccount, startProsody } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, registerWithGateway } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * Stopping the real executable while its XMPP server is gone: the goodbyes it owes a logged-in user
 * (offline presences) can never be delivered, and must not hold the process. It ends by itself on
 * SIGTERM, says what it dropped, and leaves a database the next start opens.
 */

const RUNNING = /"msg":"gateway running"/;
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe("shutdown while the XMPP server is down", () => {
  it("SIGTERM ends the gateway by itself, with a logged-in user and Prosody gone; the next start works", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    let prosodyRunning = true;
    cleanups.add(async () => {
      if (prosodyRunning) await prosody.stop();
    });
    const env = {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    };
    const db = await createTestDatabase("sqlite", cleanups);
    const gateway = startGatewayProcess(cleanups, db.cliArgs, env);
    await gateway.waitForOutput(RUNNING);
    await registerAccount(prosody, "leaving", "pw");
    const client = await connectClient({ server: prosody, username: "leaving", password: "pw" });
    await registerWithGateway(client, "leaving");
    await client.stop();

    await prosody.stop();
    prosodyRunning = false;
    await gateway.waitForOutput(/component connection lost; reconnecting/);
    const signalledAt = Date.now();
    // Exited by itself: GatewayProcess.stop() sends SIGTERM, and only after 15 s a SIGKILL.
    expect(await gateway.stop(15_000), gateway.output()).toEqual({ code: 0, signal: null });
    console.log(`exited ${Date.now() - signalledAt} ms after SIGTERM with the server down`);
    expect(
      gateway.logEntries().some((e) => e.msg === "the XMPP server did not take the last presences in time"),
    ).toBe(true);

    // The database was closed properly: a new start on the same home dir logs the user in again.
    const again = await startProsody({ componentDomain: GW });
    cleanups.add(() => again.stop());
    const restarted = startGatewayProcess(cleanups, db.cliArgs, {
      ...env,
      GANGWAY_SECRET: again.componentSecret,
      GANGWAY_PORT: String(again.componentPort),
    });
    await restarted.waitForOutput(RUNNING);
    expect(restarted.logEntries().find((e) => e.msg === "gateway running")).toMatchObject({ users: 1 });
    expect(await restarted.stop()).toEqual({ code: 0, signal: null });
  });

  it("SIGTERM ends a gateway that never reached its XMPP server (it retries forever until then)", async () => {
    const closedPort = await portNobodyListensOn();
    const db = await createTestDatabase("sqlite", cleanups);
    const gateway = startGatewayProcess(cleanups, db.cliArgs, {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: "unused",
      GANGWAY_PORT: String(closedPort),
    });
    await gateway.waitForOutput(/ECONNREFUSED/);
    // GatewayProcess.stop() sends SIGTERM, and a SIGKILL only after 15 s.
    expect(await gateway.stop(15_000), gateway.output()).toEqual({ code: 0, signal: null });
    expect(gateway.logEntries().some((e) => e.msg === "stopped before the XMPP server answered")).toBe(true);
  });
});

/** A loopback port that was free a moment ago (bound, then released). */
function portNobodyListensOn(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
