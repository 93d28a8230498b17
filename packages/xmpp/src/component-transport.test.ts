import { afterEach, describe, expect, it } from "vitest";
import { ComponentTransport, type ComponentTransportOptions, TransportError } from "./component-transport.js";
import { type Element, xml } from "./element.js";
import { captureLogger } from "./test-support/capture-logger.js";
import {
  FakeComponentServer,
  type FakeComponentServerOptions,
} from "./test-support/fake-component-server.js";
import type { TransportStatus } from "./transport.js";

const DOMAIN = "gw.example.org";
const SECRET = "s3cr3t-never-logged";

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(
  serverOptions: Partial<FakeComponentServerOptions> = {},
  transportOptions: Partial<ComponentTransportOptions> = {},
) {
  const server = new FakeComponentServer({ domain: DOMAIN, secret: SECRET, ...serverOptions });
  await server.listen();
  cleanups.push(() => server.crash());
  const { logger, lines } = captureLogger();
  const transport = new ComponentTransport({
    service: server.service,
    domain: DOMAIN,
    password: SECRET,
    logger,
    backoff: { initialDelayMs: 20, maxDelayMs: 100 },
    pingIntervalMs: 0,
    ...transportOptions,
  });
  cleanups.push(() => transport.stop());
  const statuses: TransportStatus[] = [];
  transport.onStatus((status) => statuses.push(status));
  const inbound: Element[] = [];
  transport.onStanza((stanza) => inbound.push(stanza));
  return { server, transport, lines, statuses, inbound };
}

const bodies = (stanzas: readonly Element[]) => stanzas.map((stanza) => stanza.getChildText("body"));
const chat = (n: number | string) =>
  xml("message", { to: "u@h", from: `c@${DOMAIN}` }, xml("body", {}, String(n)));

describe("ComponentTransport", () => {
  it("connects, sends with a default from, and delivers inbound stanzas", async () => {
    const { server, transport, statuses, inbound } = await setUp();
    await transport.start();
    expect(transport.status).toBe("online");
    expect(statuses).toEqual(["connecting", "online"]);
    await transport.send(xml("presence", { to: "u@h" }));
    await transport.send(chat(1));
    await server.waitFor(() => server.received.length === 2);
    expect(server.received[0]?.attrs.from).toBe(DOMAIN);
    expect(server.received[1]?.attrs.from).toBe(`c@${DOMAIN}`);
    server.push(`<message from='u@h/r' to='c@${DOMAIN}'><body>hi</body></message>`);
    await server.waitFor(() => inbound.length === 1);
    expect(bodies(inbound)).toEqual(["hi"]);
  });

  it("queues stanzas sent before start and flushes them in order", async () => {
    const { server, transport } = await setUp();
    const sends = [1, 2, 3].map((n) => transport.send(chat(n)));
    expect(transport.queuedStanzas).toBe(3);
    await transport.start();
    await Promise.all(sends);
    await server.waitFor(() => server.received.length === 3);
    expect(bodies(server.received)).toEqual(["1", "2", "3"]);
  });

  it("reconnects after the server goes away, delivering queued stanzas first and in order", async () => {
    const { server, transport, statuses } = await setUp();
    await transport.start();
    await transport.send(chat("before"));
    await server.waitFor(() => server.received.length === 1);
    await server.crash();
    await server.waitFor(() => transport.status === "reconnecting");
    const queued = Array.from({ length: 50 }, (_, n) => transport.send(chat(n)));
    await new Promise((resolve) => setTimeout(resolve, 150)); // a few failed attempts
    expect(transport.queuedStanzas).toBe(50);
    await server.listen(); // same port
    await Promise.all(queued);
    await transport.send(chat("after"));
    await server.waitFor(() => server.received.length === 52);
    expect(bodies(server.received)).toEqual([
      "before",
      ...Array.from({ length: 50 }, (_, n) => String(n)),
      "after",
    ]);
    expect(statuses).toEqual(["connecting", "online", "reconnecting", "online"]);
    expect(server.connections).toBe(2);
  });

  it("keeps retrying an unreachable server on first start until it appears", async () => {
    const { server, transport } = await setUp();
    await server.crash();
    const started = transport.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(transport.status).toBe("connecting");
    await server.listen();
    await started;
    expect(transport.status).toBe("online");
  });

  it("rejects start() at once on a wrong secret, without retrying and without logging it", async () => {
    const { server, transport, lines } = await setUp({ secret: "the-real-one" });
    const failure = await transport.start().catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(TransportError);
    expect(failure).toMatchObject({ code: "not-authorized" });
    expect((failure as Error).message).toMatch(/refused the secret for component gw\.example\.org/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.connections).toBe(1);
    expect(transport.status).toBe("offline");
    expect(JSON.stringify(lines)).not.toContain(SECRET);
    expect(lines.filter((line) => line.level === 50)).toHaveLength(1);
  });

  it("rejects start() with a clear error when another component holds the domain", async () => {
    const { transport } = await setUp({ refuseWith: "conflict" });
    await expect(transport.start()).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringMatching(/another component is already connected as gw\.example\.org/),
    });
  });

  it("bounds the queue: rejects beyond capacity with one warning per overflow episode", async () => {
    const { server, transport, lines } = await setUp({}, { maxQueuedStanzas: 3 });
    const accepted = [1, 2, 3].map((n) => transport.send(chat(n)));
    const overflow = await Promise.allSettled([transport.send(chat(4)), transport.send(chat(5))]);
    for (const outcome of overflow) {
      expect(outcome).toMatchObject({ status: "rejected", reason: { code: "queue-full" } });
    }
    expect(lines.filter((line) => line.msg.startsWith("outbound queue full"))).toHaveLength(1);
    await transport.start();
    await Promise.all(accepted);
    await server.waitFor(() => server.received.length === 3);
    expect(bodies(server.received)).toEqual(["1", "2", "3"]);
    expect(
      lines.some((line) => line.msg === "outbound queue drained after an overflow" && line.rejected === 2),
    ).toBe(true);
    await transport.stop();
  });

  it("answers nothing itself: the keepalive ping reply is consumed, not delivered", async () => {
    const { server, transport, inbound } = await setUp({}, { pingIntervalMs: 20, pingTimeoutMs: 200 });
    await transport.start();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(transport.status).toBe("online");
    expect(server.connections).toBe(1);
    expect(inbound).toEqual([]);
  });

  it("detects a dead stream (no ping reply) and reconnects", async () => {
    const { server, transport, statuses, lines } = await setUp(
      { answerPings: false },
      { pingIntervalMs: 30, pingTimeoutMs: 50 },
    );
    await transport.start();
    await server.waitFor(() => server.connections === 2 && transport.status === "online");
    expect(statuses.slice(0, 4)).toEqual(["connecting", "online", "reconnecting", "online"]);
    expect(lines.some((line) => line.msg.startsWith("no reply to the keepalive ping"))).toBe(true);
  });

  it("stops cleanly and idempotently; queued stanzas and later sends are rejected", async () => {
    const { server, transport, statuses } = await setUp();
    await server.crash();
    const started = transport.start().catch((err: unknown) => err);
    const queued = transport.send(chat(1)).catch((err: unknown) => err);
    const first = transport.stop();
    expect(transport.stop()).toBe(first);
    await first;
    expect(await started).toMatchObject({ code: "stopped" });
    expect(await queued).toMatchObject({ code: "stopped" });
    await expect(transport.send(chat(2))).rejects.toMatchObject({ code: "stopped" });
    expect(transport.status).toBe("offline");
    expect(statuses.at(-2)).toBe("stopping");
    expect(statuses.at(-1)).toBe("offline");
  });

  it("closes the stream on stop and does not reconnect", async () => {
    const { server, transport } = await setUp();
    await transport.start();
    await transport.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.connections).toBe(1);
    expect(transport.status).toBe("offline");
  });

  it("stops reading while paused (the server holds the stanzas), and reads on when resumed or after the longest pause", async () => {
    const { server, transport, inbound, lines } = await setUp({}, { maxReadingPauseMs: 300 });
    await transport.start();
    transport.pauseReading();
    server.push(`<message from='u@h/r' to='c@${DOMAIN}'><body>held</body></message>`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inbound).toEqual([]);
    transport.resumeReading();
    await server.waitFor(() => inbound.length === 1);
    transport.pauseReading();
    server.push(`<message from='u@h/r' to='c@${DOMAIN}'><body>late</body></message>`);
    await server.waitFor(() => inbound.length === 2);
    expect(bodies(inbound)).toEqual(["held", "late"]);
    expect(lines.some((line) => line.msg?.includes("reading on"))).toBe(true);
  });

  it("writes again, first and in order, what the server never confirmed having processed before the connection was lost", async () => {
    const { server, transport, lines } = await setUp();
    await transport.start();
    await transport.send(chat("confirmed"));
    // The checkpoint written after it is answered: it is not written again.
    await new Promise((resolve) => setTimeout(resolve, 50));
    server.answerPings = false;
    await transport.send(chat("unconfirmed 1"));
    await transport.send(chat("unconfirmed 2"));
    await server.waitFor(() => server.received.length === 3);
    await server.crash();
    await server.waitFor(() => transport.status === "reconnecting");
    const later = transport.send(chat("later"));
    server.answerPings = true;
    await server.listen();
    await later;
    await server.waitFor(() => server.received.length === 6);
    expect(bodies(server.received)).toEqual([
      "confirmed",
      "unconfirmed 1",
      "unconfirmed 2",
      "unconfirmed 1",
      "unconfirmed 2",
      "later",
    ]);
    const lost = lines.find((line) => line.msg?.startsWith("component connection lost"));
    expect(lost).toMatchObject({ unconfirmed: 2 });
  });
});
