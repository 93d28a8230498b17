import {
  connectClient,
  type ProsodyServer,
  registerAccount,
  startProsody,
  type TestClient,
  waitForStatus,
} from "@gangway/testing";
import { ComponentTransport, type Element, TransportError, type TransportStatus, xml } from "@gangway/xmpp";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

const silent = pino({ level: "silent" });

/** Resolves when the transport reports `status` (immediately if it already has it). */

function chat(from: string, to: string, body: string): Element {
  return xml("message", { from, to, type: "chat" }, xml("body", {}, body));
}

describe("ComponentTransport against a real Prosody", () => {
  let prosody: ProsodyServer;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    prosody = await startProsody();
    await registerAccount(prosody, "alice", "secret");
  });
  afterEach(async () => {
    // Reverse order: clients and transports before the server they talk to.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await prosody?.stop();
  });

  function transportFor(options: { password?: string } = {}): ComponentTransport {
    const transport = new ComponentTransport({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.componentDomain,
      password: options.password ?? prosody.componentSecret,
      logger: silent,
      // Reconnect fast: the restart test waits for it.
      backoff: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    cleanups.push(() => transport.stop());
    return transport;
  }

  async function alice(): Promise<TestClient> {
    const client = await connectClient({ server: prosody, username: "alice", password: "secret" });
    cleanups.push(() => client.stop());
    return client;
  }

  it("connects, and a client's message reaches the component and the reply gets back", async () => {
    const transport = transportFor();
    const started = performance.now();
    await transport.start();
    console.info(`component handshake ${(performance.now() - started).toFixed(1)} ms`);
    expect(transport.status).toBe("online");

    transport.onStanza((stanza) => {
      if (stanza.is("message") && stanza.attrs.type === "chat" && stanza.getChildText("body")) {
        void transport.send(
          chat(stanza.attrs.to ?? "", stanza.attrs.from ?? "", `echo: ${stanza.getChildText("body")}`),
        );
      }
    });
    const client = await alice();
    await client.send(chat(client.jid, "bob@gateway.localhost", "hello"));
    const reply = await client.waitFor((stanza) => stanza.getChildText("body") === "echo: hello");
    expect(reply.attrs.from).toBe("bob@gateway.localhost");
    expect(reply.attrs.to).toBe(client.jid);
  });

  it("reconnects by itself after a Prosody restart and delivers what was sent meanwhile, in order", async () => {
    const transport = transportFor();
    await transport.start();
    const statuses: TransportStatus[] = [];
    transport.onStatus((status) => statuses.push(status));

    const wentDown = waitForStatus(transport, "reconnecting");
    // Down for 3 s, as in a package upgrade: the gateway must be back as soon as Prosody listens.
    const restarted = prosody.restart({ downMs: 3000 });
    await wentDown;
    // Prosody is down or just coming back: these must be queued, not written.
    const bodies = ["queued 1", "queued 2", "queued 3", "queued 4", "queued 5"];
    const sends = bodies.map((body) =>
      transport.send(chat("bob@gateway.localhost", "alice@localhost", body)),
    );
    expect(transport.queuedStanzas).toBeGreaterThanOrEqual(bodies.length);
    await restarted;
    const listening = performance.now();
    await waitForStatus(transport, "online");
    // A figure for the record, not an assertion: how soon after the server listens again it is used.
    console.log(`component online ${Math.round(performance.now() - listening)} ms after Prosody listened again`);
    await Promise.all(sends);
    expect(statuses).toEqual(["reconnecting", "online"]);

    // Alice was offline the whole time: Prosody stored the messages and hands them over at login
    // (which also proves the restart kept the account).
    const client = await alice();
    for (const body of bodies) await client.waitFor((stanza) => stanza.getChildText("body") === body);
    const received = client.stanzas
      .map((stanza) => stanza.getChildText("body"))
      .filter((body) => body?.startsWith("queued"));
    expect(received).toEqual(bodies);
  });

  it("rejects start() with a clear error on a wrong secret", async () => {
    const transport = transportFor({ password: "wrong-secret" });
    const failure = await transport.start().then(
      () => new Error("start() should have failed"),
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).code).toBe("not-authorized");
    expect(failure.message).toContain("refused the secret for component gateway.localhost");
    expect(transport.status).toBe("offline");
  });

  it("stop() closes the stream cleanly: sends fail, and the domain is free for a new connection", async () => {
    const transport = transportFor();
    await transport.start();
    await transport.stop();
    expect(transport.status).toBe("offline");
    await expect(transport.send(chat("x@gateway.localhost", "alice@localhost", "late"))).rejects.toThrow(
      TransportError,
    );

    // If the old session lingered, Prosody would refuse this one with <conflict/>.
    const next = transportFor();
    await next.start();
    expect(next.status).toBe("online");
  });
});
