import { createServer } from "node:net";
import { connectClient, registerAccount, startProsody } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { startGatewayProcess } from "./gateway-process.js";
import { Cleanups, echoRoundTrip, GW, registerWithGateway } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * What an operator's Prometheus and supervisor see of the real executable (issue 15 §3):
 * `--metrics-port` serves /metrics and /health; /health turns 503 while Prosody is down and 200
 * again once the gateway is back online, without a restart of the gateway.
 */

const RUNNING = /"msg":"gateway running"/;
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The value of one series in the Prometheus text; undefined when it is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

interface Health {
  status: number;
  body: { status: string; component: string; store: string };
}

/** Asks `check` every 100 ms until it gives what `wanted` accepts; fails with the last answer after `timeoutMs`. */
async function until<T>(
  check: () => Promise<T>,
  wanted: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (wanted(value)) return value;
    if (Date.now() > deadline) throw new Error(`still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("metrics and health of the real executable (--metrics-port)", () => {
  it("serves the metrics; /health flips to 503 when Prosody stops and back to 200 when it returns", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    const db = await createTestDatabase("sqlite", cleanups);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const gateway = startGatewayProcess(cleanups, [...db.cliArgs, "--metrics-port", String(port)], {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    });
    await gateway.waitForOutput(RUNNING);
    // A pipe is not a terminal: the log stays JSON, one object a line.
    expect(gateway.logEntries().find((e) => e.msg === "metrics and health endpoint listening")).toMatchObject(
      {
        port,
        host: "127.0.0.1",
      },
    );

    const health = async (): Promise<Health> => {
      try {
        const response = await fetch(`${base}/health`);
        return { status: response.status, body: (await response.json()) as Health["body"] };
      } catch (err) {
        return { status: 0, body: { status: String(err), component: "", store: "" } };
      }
    };
    const scrape = async () => (await fetch(`${base}/metrics`)).text();

    await registerAccount(prosody, "watcher", "pw");
    const client = await connectClient({ server: prosody, username: "watcher", password: "pw" });
    await registerWithGateway(client, "watcher");
    await echoRoundTrip(client, "one");
    await echoRoundTrip(client, "two");

    const metrics = await scrape();
    expect(metrics).toMatch(/^gangway_info\{version="\d+\.\d+\.\d+[^"]*",network="demo"\} 1$/m);
    expect(sample(metrics, "gangway_component_online")).toBe(1);
    expect(sample(metrics, "gangway_users")).toBe(1);
    expect(sample(metrics, 'gangway_sessions{state="connected"}')).toBe(1);
    expect(sample(metrics, 'gangway_stanzas_total{direction="in",kind="message"}')).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'gangway_stanzas_total{direction="out",kind="message"}')).toBeGreaterThanOrEqual(
      2,
    );
    expect(sample(metrics, 'gangway_stanzas_total{direction="in",kind="iq"}')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'gangway_legacy_events_total{kind="message"}')).toBeGreaterThanOrEqual(2);
    expect(sample(metrics, 'gangway_store_seconds_count{operation="users.create"}')).toBe(1);
    expect(sample(metrics, "nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(metrics, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(await health()).toEqual({ status: 200, body: { status: "ok", component: "online", store: "ok" } });
    await client.stop();

    // Prosody stops for a while, then comes back on the same ports.
    const restarted = prosody.restart({ downMs: 6000 });
    const down = await until(health, (h) => h.status === 503);
    expect(down.body).toMatchObject({ status: "unavailable", store: "ok" });
    expect(down.body.component).not.toBe("online");
    expect(sample(await scrape(), "gangway_component_online")).toBe(0);

    await restarted;
    await until(health, (h) => h.status === 200, 30_000);
    expect(sample(await scrape(), "gangway_component_online")).toBe(1);
    expect(await gateway.stop()).toEqual({ code: 0, signal: null });
    // Closed with the gateway.
    expect((await health()).status).toBe(0);
  });
});
