import { Writable } from "node:stream";
import { loadGatewayConfig } from "@gangway/core";
import { DemoGateway } from "@gangway/demo-gateway";
import { openStore, type SecretBox, type Store } from "@gangway/store";
import type { TestClient } from "@gangway/testing";
import { ComponentTransport, type ComponentTransportOptions, type Element } from "@gangway/xmpp";
import { type Logger, pino } from "pino";
import type { Cleanups } from "./cleanups.js";
import type { TestDatabase } from "./test-databases.js";

/**
 * What the e2e files share: the demo gateway started in this process against a real server's
 * component port, as `runGateway` would, on a test database (test-databases.ts), and pino logs
 * kept in memory.
 */

export const GW = "demo.localhost";

/** A server fixture with the gateway's component: `startProsody()` and `startEjabberd()` both fit. */
export interface ComponentServer {
  readonly componentPort: number;
  readonly componentSecret: string;
}

export { Cleanups, tempDataDir } from "./cleanups.js";

/** pino lines written to memory, parsed. */
export interface MemoryLog {
  logger: Logger;
  readonly entries: Array<{ level: number; msg: string; [key: string]: unknown }>;
  /** Entries at `warn` (pino level 40). */
  warnings(): Array<{ level: number; msg: string; [key: string]: unknown }>;
}

export function memoryLog(): MemoryLog {
  const entries: MemoryLog["entries"] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n")) if (line.trim()) entries.push(JSON.parse(line));
      done();
    },
  });
  // Synchronous writes to the stream (pino's default for a plain stream), at debug so nothing relevant is lost.
  const logger = pino({ level: "debug" }, stream);
  return { logger, entries, warnings: () => entries.filter((entry) => entry.level === 40) };
}

export interface RunningGateway {
  gateway: DemoGateway;
  transport: ComponentTransport;
  store: Store;
  /** Opening (and migrating) the store. */
  storeOpenMs: number;
  /** From `new DemoGateway()` to `start()` resolved: component online and every stored user logged in. */
  startupMs: number;
  /** Stops the gateway (unavailable presences, clean close) and closes the store; idempotent. */
  stop(): Promise<void>;
}

export interface StartGatewayOptions {
  /** Where the gateway keeps its data; the same database across two starts is a gateway restart. */
  database: TestDatabase;
  logger?: Logger;
  /** Called with the opened store before the gateway starts: e.g. to create users it logs in at startup. */
  beforeStart?: (store: Store) => Promise<void>;
  /** More command-line options, e.g. `["--registration", "2fa"]`. */
  args?: readonly string[];
  /** Seals secrets at rest, as `runGateway` does with --secret-key or the key file. */
  secretBox?: SecretBox;
  /** Reconnection delays of the component connection (a server restart test wants them short). */
  backoff?: ComponentTransportOptions["backoff"];
}

/** Opens the store, starts the demo gateway on `server`'s component port and registers its stop. */
export async function startDemoGateway(
  server: ComponentServer,
  cleanups: Cleanups,
  options: StartGatewayOptions,
): Promise<RunningGateway> {
  const logger = options.logger ?? pino({ level: "silent" });
  const config = loadGatewayConfig({
    appName: "demo",
    argv: [
      ...["--jid", GW, "--secret", server.componentSecret, "--port", String(server.componentPort)],
      // The demo network keeps its state there too: the test's temp dir, not the user's home.
      ...["--home-dir", options.database.homeDir],
      ...(options.args ?? []),
    ],
    env: {},
    appOptions: DemoGateway.OPTIONS,
  });
  const opening = performance.now();
  const store = await openStore(
    { ...options.database.options, ...(options.secretBox && { secretBox: options.secretBox }) },
    logger,
  );
  const storeOpenMs = performance.now() - opening;
  await options.beforeStart?.(store);
  const transport = new ComponentTransport({
    service: `xmpp://127.0.0.1:${server.componentPort}`,
    domain: GW,
    password: server.componentSecret,
    logger,
    ...(options.backoff && { backoff: options.backoff }),
  });
  const starting = performance.now();
  const gateway = new DemoGateway({ config, store, transport, logger });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await gateway.stop();
    await store.close();
  };
  cleanups.add(stop);
  await gateway.start();
  return { gateway, transport, store, storeOpenMs, startupMs: performance.now() - starting, stop };
}

/**
 * Registers `client`'s user with the gateway through XEP-0077 (plain username and password
 * fields), then waits until the gateway's presence says the login it started is done.
 */
export async function registerWithGateway(
  client: TestClient,
  username: string,
  password = "S3cr3t-Xy7q",
): Promise<void> {
  // Rejects on an error reply.
  await client.request(
    `<iq type="set" to="${GW}"><query xmlns="jabber:iq:register">` +
      `<username>${username}</username><password>${password}</password></query></iq>`,
  );
  await client.waitFor(
    (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === `Logged in as ${username}`,
    10_000,
  );
}

/** Sends `text` to echo and resolves with echo's answer. */
export async function echoRoundTrip(client: TestClient, text: string, timeoutMs = 5000): Promise<Element> {
  await client.send(`<message type="chat" to="echo@${GW}"><body>${text}</body></message>`);
  return client.waitFor((s) => s.is("message") && s.getChildText("body") === `echo: ${text}`, timeoutMs);
}
