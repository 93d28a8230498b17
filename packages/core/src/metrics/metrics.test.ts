import { createServer } from "node:net";
import { join } from "node:path";
import { openStore, type Store, StoreUnavailableError } from "@gangway/store";
import type { MemoryTransport } from "@gangway/testing";
import { type FormValues, XmppError } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutgoingMessage } from "../chat.js";
import { LegacyContact } from "../contact.js";
import { BaseGateway } from "../gateway.js";
import { BaseSession } from "../session.js";
import { startTestGateway, tempDir } from "../testing/index.js";

/**
 * A real gateway (memory transport, SQLite store) with `--metrics-port`: what Prometheus and a
 * supervisor see at /metrics and /health, moving as stanzas go through and parts fail.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";

class Session extends BaseSession<MetricsGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(chat: LegacyContact, message: OutgoingMessage) {
    if (message.body === "fail") throw new XmppError("not-acceptable", "The network refused it.");
    // The other side answers: a legacy event relayed to the user.
    void chat.sendText(`echo: ${message.body}`);
    return `L-${message.xmppId}`;
  }
}

class MetricsGateway extends BaseGateway<BaseSession<MetricsGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<MetricsGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The value of one series in a Prometheus text exposition; undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

async function openSqlite(): Promise<Store> {
  return openStore({ driver: "sqlite", file: join(tempDir("gangway-metrics-"), "gangway.sqlite") });
}

describe("the metrics and health endpoint (--metrics-port)", () => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MetricsGateway;
  let base: string;

  beforeEach(async () => {
    store = await openSqlite();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    ({ gateway, transport } = await startTestGateway(MetricsGateway, store, {
      domain: GW,
      users: [{ jid: USER, registration: {} }],
      args: ["--metrics-port", String(port)],
    }));
    await vi.waitFor(() => expect(gateway.sessionFor(USER)?.isConnected).toBe(true));
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await gateway.stop();
    await store.close();
  });

  const scrape = async () => {
    const response = await fetch(`${base}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return response.text();
  };
  const health = async () => {
    const response = await fetch(`${base}/health`);
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  };
  const send = (body: string, id: string) =>
    transport.inject(
      `<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}"><body>${body}</body></message>`,
    );

  it("shows the gateway's own metrics and the process's", async () => {
    const text = await scrape();
    expect(sample(text, "gangway_info", { network: "test" })).toBe(1);
    expect(text).toMatch(/gangway_info\{version="[^"]+",network="test"\} 1/);
    expect(sample(text, "gangway_component_online")).toBe(1);
    expect(sample(text, "gangway_users")).toBe(1);
    expect(sample(text, "gangway_sessions", { state: "connected" })).toBe(1);
    expect(sample(text, "gangway_sessions", { state: "bad-credentials" })).toBe(0);
    // Startup listed the users: a timed store call.
    expect(sample(text, "gangway_store_seconds_count", { operation: "users.list" })).toBeGreaterThan(0);
    for (const kind of ["message", "presence", "iq"]) {
      expect(sample(text, "gangway_stanzas_total", { direction: "in", kind })).toBeDefined();
    }
    expect(sample(text, "gangway_errors_total", { where: "store" })).toBe(0);
    expect(sample(text, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "nodejs_eventloop_lag_p99_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("counts a message through: stanzas in and out, the legacy event, the store calls", async () => {
    const before = await scrape();
    await send("hi", "m1");
    await transport.waitForSent((s) => s.getChildText("body") === "echo: hi");
    const after = await scrape();
    const grew = (name: string, labels: Record<string, string>) =>
      (sample(after, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(grew("gangway_stanzas_total", { direction: "in", kind: "message" })).toBe(1);
    expect(grew("gangway_stanzas_total", { direction: "out", kind: "message" })).toBeGreaterThanOrEqual(1);
    expect(grew("gangway_stanzas_total", { direction: "in", kind: "iq" })).toBe(0);
    expect(grew("gangway_legacy_events_total", { kind: "message" })).toBe(1);
    const storeCalls = (text: string) =>
      text
        .split("\n")
        .filter((line) => line.startsWith("gangway_store_seconds_count{"))
        .reduce((sum, line) => sum + Number(line.split(" ")[1]), 0);
    expect(storeCalls(after)).toBeGreaterThan(storeCalls(before));
  });

  it("counts the errors the gateway answers with, and failed store calls", async () => {
    await send("fail", "m2");
    const afterReply = await scrape();
    expect(sample(afterReply, "gangway_errors_total", { where: "stanza-reply" })).toBe(1);
    vi.spyOn(store.users, "get").mockRejectedValue(
      new StoreUnavailableError("sqlite", "gangway.sqlite", "disk I/O error"),
    );
    await expect(gateway.store.users.get(USER)).rejects.toThrow(StoreUnavailableError);
    expect(sample(await scrape(), "gangway_errors_total", { where: "store" })).toBe(1);
  });

  it("/health: 200 when online with the store answering, 503 naming the part that fails, and back", async () => {
    expect(await health()).toEqual({
      status: 200,
      body: { status: "ok", component: "online", store: "ok" },
    });

    transport.goOffline();
    expect(await health()).toEqual({
      status: 503,
      body: { status: "unavailable", component: "reconnecting", store: "ok" },
    });
    expect(sample(await scrape(), "gangway_component_online")).toBe(0);
    transport.goOnline();
    expect((await health()).status).toBe(200);

    const broken = vi
      .spyOn(store, "healthCheck")
      .mockRejectedValue(new StoreUnavailableError("sqlite", "gangway.sqlite", "disk I/O error"));
    const failing = await health();
    expect(failing).toEqual({
      status: 503,
      body: { status: "unavailable", component: "online", store: "failed" },
    });
    expect(JSON.stringify(failing.body)).not.toContain("disk I/O");
    broken.mockRestore();
    expect((await health()).status).toBe(200);
  });

  it("/health: 503 once the store is closed", async () => {
    await store.close();
    expect(await health()).toEqual({
      status: 503,
      body: { status: "unavailable", component: "online", store: "failed" },
    });
  });

  it("answers nothing else, and stops listening when the gateway stops", async () => {
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/metrics/x`)).status).toBe(404);
    const post = await fetch(`${base}/metrics`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    await gateway.stop();
    await expect(fetch(`${base}/health`)).rejects.toThrow();
  });

  it("keeps each gateway's metrics apart (two in one process)", async () => {
    const otherStore = await openSqlite();
    const port = await freePort();
    const other = await startTestGateway(MetricsGateway, otherStore, {
      domain: "other.localhost",
      args: ["--metrics-port", String(port)],
    });
    try {
      await send("hi", "m3");
      const mine = await scrape();
      const theirs = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(sample(mine, "gangway_users")).toBe(1);
      expect(sample(theirs, "gangway_users")).toBe(0);
      expect(sample(mine, "gangway_stanzas_total", { direction: "in", kind: "message" })).toBe(1);
      expect(sample(theirs, "gangway_stanzas_total", { direction: "in", kind: "message" })).toBe(0);
      expect(sample(theirs, "process_resident_memory_bytes")).toBeGreaterThan(0);
    } finally {
      await other.gateway.stop();
      await otherStore.close();
    }
  });
});

describe("the store timing", () => {
  it("is off without --metrics-port: the gateway holds the store it was given", async () => {
    const store = await openSqlite();
    const { gateway } = await startTestGateway(MetricsGateway, store, { domain: GW });
    try {
      expect(gateway.store).toBe(store);
      expect(gateway.config.metrics).toBeUndefined();
    } finally {
      await gateway.stop();
      await store.close();
    }
  });
});
