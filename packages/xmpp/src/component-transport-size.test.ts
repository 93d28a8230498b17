import { afterEach, describe, expect, it } from "vitest";
import { ComponentTransport, StanzaTooLargeError, TransportError } from "./component-transport.js";
import { type Element, xml } from "./element.js";
import { stanzaOverLimit } from "./stanza-size.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { FakeComponentServer } from "./test-support/fake-component-server.js";

const DOMAIN = "gw.example.org";
const SECRET = "s3cr3t";
const LIMIT = 8 * 1024;

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const server = new FakeComponentServer({ domain: DOMAIN, secret: SECRET });
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
    maxStanzaBytes: LIMIT,
  });
  cleanups.push(() => transport.stop());
  return { server, transport, lines };
}

const chat = (body: string) =>
  xml("message", { to: "u@h", from: `c@${DOMAIN}`, id: "m1" }, xml("body", {}, body));
const bodies = (stanzas: readonly Element[]) => stanzas.map((stanza) => stanza.getChildText("body"));

describe("ComponentTransport maxStanzaBytes", () => {
  it("rejects a stanza over the limit at once, logs its kind and size, and never queues it", async () => {
    const { server, transport, lines } = await setUp();
    const big = chat("x".repeat(LIMIT));
    const error = await transport.send(big).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StanzaTooLargeError);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe("too-large");
    expect((error as StanzaTooLargeError).limit).toBe(LIMIT);
    expect((error as StanzaTooLargeError).bytes).toBe(Buffer.byteLength(big.toString()));
    expect(transport.queuedStanzas).toBe(0);
    const warning = lines.find((line) => line.msg === "stanza over the size limit: not sent");
    expect(warning).toMatchObject({ stanza: { name: "message", id: "m1" }, limit: LIMIT });
    expect(JSON.stringify(warning)).not.toContain("xxxx");

    // Neither the first connection nor the one after a crash carries it: only what fits arrives.
    await transport.start();
    await transport.send(chat("small"));
    await server.waitFor(() => server.received.length === 1);
    await server.crash();
    await server.waitFor(() => transport.status === "reconnecting");
    await expect(transport.send(big)).rejects.toBeInstanceOf(StanzaTooLargeError);
    const queued = transport.send(chat("after"));
    await server.listen();
    await queued;
    await server.waitFor(() => server.received.length === 2);
    expect(bodies(server.received)).toEqual(["small", "after"]);
  });

  it("counts UTF-8 bytes of the serialized stanza, escapes included", async () => {
    const { transport } = await setUp();
    // 3000 "<" are 3000 UTF-16 units but 12 000 bytes once escaped as &lt;.
    await expect(transport.send(chat("<".repeat(3000)))).rejects.toBeInstanceOf(StanzaTooLargeError);
    // 2000 "€" are 6000 bytes: under the limit with the envelope.
    const fits = transport.send(chat("€".repeat(2000)));
    expect(transport.queuedStanzas).toBe(1);
    void fits.catch(() => {});
  });
});

describe("stanzaOverLimit", () => {
  it("is exact at the boundary", () => {
    const stanza = chat("é".repeat(100));
    const bytes = Buffer.byteLength(stanza.toString());
    expect(stanzaOverLimit(stanza, bytes)).toBeUndefined();
    expect(stanzaOverLimit(stanza, bytes - 1)).toBe(bytes);
  });

  it("never lets a stanza through whose serialization is over the limit (attributes, escapes, astral)", () => {
    const samples = [
      xml("iq", { to: "a@b", title: '"'.repeat(500) }, xml("q", {}, "&".repeat(300))),
      xml("message", {}, xml("body", {}, "😀".repeat(400))),
      xml("presence", { to: "x" }, xml("status", {}, "'>\"&<".repeat(200))),
    ];
    for (const stanza of samples) {
      const bytes = Buffer.byteLength(stanza.toString());
      for (const limit of [bytes - 1, Math.floor(bytes / 2), 100]) {
        expect(stanzaOverLimit(stanza, limit)).toBe(bytes);
      }
      expect(stanzaOverLimit(stanza, bytes)).toBeUndefined();
    }
  });
});
