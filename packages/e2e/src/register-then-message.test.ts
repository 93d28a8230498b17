import { runSlixmppClient, startProsody } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { Cleanups, GW, startDemoGateway } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * A new user registers and writes at once, as people do: the message must wait for the login
 * (which the demo network makes take two seconds, as real networks take a while) and be delivered,
 * not bounce with "not logged in yet".
 */

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe("registering, then writing at once (real Prosody, slixmpp)", () => {
  it("delivers the first message once the login is done instead of bouncing it", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    await startDemoGateway(prosody, cleanups, {
      database: await createTestDatabase("sqlite", cleanups),
      args: ["--login-delay", "2"],
    });
    const sentAt = Date.now();
    const result = await runSlixmppClient({
      server: prosody,
      jid: "dora@localhost",
      password: "pw",
      registerAccount: true,
      registerGateway: GW,
      gatewayFields: { username: "dora", password: "S3cr3t-Xy7q" },
      // No waiting for the gateway's presence or the roster: the message goes right after the
      // registration's result.
      sendTo: `echo@${GW}`,
      message: "first words",
      waitReply: true,
      timeoutMs: 20_000,
    });
    expect(result.errors, JSON.stringify(result.events) + result.stderr).toEqual([]);
    expect(result.ok, JSON.stringify(result.events) + result.stderr).toBe(true);
    expect(result.messages.filter((m) => m.type === "error")).toEqual([]);
    expect(result.messages.filter((m) => m.from.startsWith(`echo@${GW}`))).toEqual([
      { from: `echo@${GW}/gangway`, to: "dora@localhost", type: "chat", body: "echo: first words" },
    ]);
    // The answer came after the login's delay: the message really waited for it.
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(2000);
  });
});
