import { readFile, writeFile } from "node:fs/promises";
import { createTemporaryPostgresDatabase, testDatabaseUrl } from "@gangway/store/testing";
import {
  connectClient,
  FULL_PRIVILEGES,
  type ProsodyServer,
  registerAccount,
  startProsody,
  type TestClient,
} from "@gangway/testing";
import { bench, describe } from "vitest";
import {
  HostProcess,
  type HostSpec,
  kb,
  type MemorySample,
  markdownTable,
  mb,
  measureRoundTrips,
  measureThroughput,
  type Percentiles,
  percentiles,
  StanzaTap,
  type ThroughputResult,
} from "./bench-support.js";

/**
 * Messaging-core figures against one throwaway Prosody on 127.0.0.1:
 * `pnpm --filter @gangway/e2e bench` (or `pnpm bench` at the root). Needs Prosody
 * (`apt-get install prosody prosody-modules`) and the workspace built (`pnpm build`; the turbo
 * `bench` task does it): the gateways run in child processes from the packages' `dist`.
 *
 * 1. Demo gateway echo throughput: one xmpp.js client (SASL PLAIN) sends N messages to
 *    echo@demo.localhost, at most WINDOW unanswered, and counts the "echo: …" replies, lost,
 *    duplicated and reordered ones.
 * 2. Round trip client → Prosody → gateway → Prosody → client, one message at a time.
 * 3. The same two against a bare echo component (XmppComponent + ComponentTransport from
 *    @gangway/xmpp, no gateway core, no store) on echo.localhost: the pipe without the gateway.
 * 4. Memory (RSS, JS heap) of a process hosting only the gateway: idle, then with K logged-in users
 *    of 100 contacts each (a demo-gateway subclass, see bench-support.ts), on in-memory PGlite and,
 *    when DATABASE_URL is set, on a temporary PostgreSQL database (created and dropped here).
 *
 * 1–3 run twice: as shipped, then with Nagle's algorithm off in Prosody (`network_settings`,
 * Prosody restarted) and TCP_NODELAY on the host processes' sockets. The demo echo answers with a
 * receipt first and the displayed marker and reply a few ms later, in a second socket write: with
 * Nagle on, that write waits for the delayed ACK of the first (~40 ms on Linux), on the gateway's
 * component socket and again on Prosody's c2s socket. The bare component writes one stanza per
 * message and never hits it. The second round shows what the gateway itself costs. Since then
 * ComponentTransport sets TCP_NODELAY itself and the test Prosody runs with `nagle = false`, so
 * "as shipped" already avoids the stall (RTT p50 ~6 ms, was ~49 ms) and both rounds come out close;
 * the second round is kept to catch a regression of either setting.
 *
 * Topology: this (vitest) process runs the test clients; each gateway and the bare component run
 * in their own Node process started with --expose-gc (gc runs before every memory sample); Prosody
 * is a third process. Prints markdown tables and one `BENCH_JSON {…}` line; asserts nothing about
 * timings, but fails the run after printing when a message was lost, duplicated or reordered.
 * vitest's own table shows only the wall time of the whole scenario (one iteration).
 */

const N = 2000;
const WINDOW = 50;
const RTT_SAMPLES = 500;
const WARMUP = 200;
const K = 20;
const CONTACTS = 100;
const PASSWORD = "pw";

const GW = "demo.localhost";
const BARE = "echo.localhost";
const memDomain = (driver: string) => `mem-${driver}.localhost`;

interface MemoryResult {
  driver: string;
  users: number;
  contactsPerUser: number;
  idle: MemorySample;
  loaded: MemorySample;
  rssPerUserKb: number;
  heapPerUserKb: number;
  /** Registration of all K users until each had every contact's presence. */
  loginMs: number;
}

function credentials(prosody: ProsodyServer, domain: string) {
  const component = prosody.components.find((c) => c.domain === domain);
  if (!component) throw new Error(`no component ${domain} on this Prosody`);
  return { domain, secret: component.secret, port: prosody.componentPort };
}

function registerIq(id: string, domain: string, username: string): string {
  return `
    <iq type="set" id="${id}" to="${domain}">
      <query xmlns="jabber:iq:register">
        <x xmlns="jabber:x:data" type="submit">
          <field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
          <field var="username"><value>${username}</value></field>
          <field var="password"><value>S3cr3t-Xy7q</value></field>
        </x>
      </query>
    </iq>`;
}

/** XEP-0077 registration with a gateway, then waits for "Logged in as …" and for `lastFrom`'s presence. */
async function registerWithGateway(client: TestClient, domain: string, username: string, lastFrom: string) {
  const id = `reg-${username}`;
  await client.send(registerIq(id, domain, username));
  const reply = await client.waitFor((s) => s.is("iq") && s.attrs.id === id, 15_000);
  if (reply.attrs.type !== "result")
    throw new Error(`registration of ${username} failed: ${reply.toString()}`);
  await client.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === domain && s.getChildText("status") === `Logged in as ${username}`,
    15_000,
  );
  await client.waitFor(
    (s) => s.is("presence") && String(s.attrs.from).startsWith(`${lastFrom}/`) && !s.attrs.type,
    30_000,
  );
}

async function measureMemory(
  prosody: ProsodyServer,
  driver: "pglite" | "postgres",
  cleanups: Array<() => Promise<unknown>>,
): Promise<MemoryResult> {
  const domain = memDomain(driver);
  let postgresUrl: string | undefined;
  if (driver === "postgres") {
    const database = await createTemporaryPostgresDatabase(testDatabaseUrl()!);
    cleanups.push(database.drop);
    postgresUrl = database.url;
  }
  const spec: HostSpec = {
    kind: "gateway",
    ...credentials(prosody, domain),
    contacts: CONTACTS,
    ...(postgresUrl && { postgresUrl }),
  };
  const host = await HostProcess.start(spec);
  const clients: TestClient[] = [];
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const idle = await host.memory();
    const started = performance.now();
    for (let u = 0; u < K; u++) {
      const username = `${driver}-user${u}`;
      await registerAccount(prosody, username, PASSWORD);
      const client = await connectClient({ server: prosody, username, password: PASSWORD });
      clients.push(client);
      await registerWithGateway(
        client,
        domain,
        username,
        `c${String(CONTACTS - 1).padStart(3, "0")}@${domain}`,
      );
    }
    const loginMs = performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const loaded = await host.memory();
    return {
      driver: driver === "pglite" ? "pglite (in-memory)" : "postgres",
      users: K,
      contactsPerUser: CONTACTS,
      idle,
      loaded,
      rssPerUserKb: kb(loaded.rss - idle.rss) / K,
      heapPerUserKb: kb(loaded.heapUsed - idle.heapUsed) / K,
      loginMs,
    };
  } finally {
    await host.stop();
    for (const client of clients) await client.stop();
  }
}

const fixed = (value: number, digits = 2) => Number(value.toFixed(digits));

const TARGETS = [
  { name: "demo gateway", to: `echo@${GW}` },
  { name: "bare component", to: `echo@${BARE}` },
] as const;

interface MessagingRound {
  /** "default": Prosody and ComponentTransport as shipped; "nodelay": Nagle off on both (see below). */
  tcp: "default" | "nodelay";
  throughput: Record<string, ThroughputResult>;
  rtt: Record<string, Percentiles>;
  overheadP50Ms: number;
  throughputRatio: number;
  /** The demo gateway's host process after the round (1 user, every echoed message stored). */
  afterEcho: MemorySample;
}

/**
 * Starts the demo gateway and the bare component in their own processes, registers `bencher`
 * with the gateway, then measures throughput (warm-up first) and round trips of both.
 */
async function messagingRound(
  prosody: ProsodyServer,
  tcp: MessagingRound["tcp"],
  cleanups: Array<() => Promise<unknown>>,
): Promise<MessagingRound> {
  const noDelay = tcp === "nodelay";
  const gatewayHost = await HostProcess.start({
    kind: "gateway",
    ...credentials(prosody, GW),
    contacts: null,
    noDelay,
  });
  cleanups.push(() => gatewayHost.stop());
  const bareHost = await HostProcess.start({ kind: "bare", ...credentials(prosody, BARE), noDelay });
  cleanups.push(() => bareHost.stop());
  const client = await connectClient({ server: prosody, username: "bencher", password: PASSWORD });
  cleanups.push(() => client.stop());
  // Each host process has a fresh in-memory store: the user registers with the gateway again.
  await registerWithGateway(client, GW, "bencher", `echo@${GW}`);
  const tap = new StanzaTap(client);
  try {
    // Warm-up (JIT, Prosody's and the store's first-use paths), not reported.
    for (const target of TARGETS) {
      const tag = `${tcp}-warm-${target.name.replace(" ", "_")}`;
      await measureThroughput(client, tap, { to: target.to, count: WARMUP, window: WINDOW, tag });
      await measureRoundTrips(client, tap, { to: target.to, samples: 20, tag: `${tag}-rtt` });
    }
    const throughput: Record<string, ThroughputResult> = {};
    const rtt: Record<string, Percentiles> = {};
    for (const target of TARGETS) {
      const tag = `${tcp}-tp-${target.name.replace(" ", "_")}`;
      throughput[target.name] = await measureThroughput(client, tap, {
        to: target.to,
        count: N,
        window: WINDOW,
        tag,
      });
    }
    for (const target of TARGETS) {
      const tag = `${tcp}-rtt-${target.name.replace(" ", "_")}`;
      rtt[target.name] = percentiles(
        await measureRoundTrips(client, tap, { to: target.to, samples: RTT_SAMPLES, tag }),
      );
    }
    const afterEcho = await gatewayHost.memory();
    const gw = { tp: throughput["demo gateway"]!, rtt: rtt["demo gateway"]! };
    const bare = { tp: throughput["bare component"]!, rtt: rtt["bare component"]! };
    return {
      tcp,
      throughput,
      rtt,
      overheadP50Ms: gw.rtt.p50 - bare.rtt.p50,
      throughputRatio: gw.tp.msgPerSec / bare.tp.msgPerSec,
      afterEcho,
    };
  } finally {
    await tap.close();
    await client.stop();
    await bareHost.stop();
    await gatewayHost.stop();
  }
}

/**
 * Turns Nagle's algorithm off in Prosody (`network_settings = { nagle = false }`, global section)
 * and restarts it: same ports, same accounts. The fixture has no option for it.
 */
async function disableProsodyNagle(prosody: ProsodyServer): Promise<void> {
  const config = await readFile(prosody.configPath, "utf8");
  const at = config.indexOf("\nVirtualHost ");
  if (at < 0) throw new Error(`no VirtualHost line in ${prosody.configPath}`);
  await writeFile(
    prosody.configPath,
    `${config.slice(0, at)}\nnetwork_settings = { nagle = false } -- echo.bench.ts${config.slice(at)}`,
  );
  await prosody.restart();
}

const roundLabel = (round: MessagingRound, name: string) =>
  round.tcp === "default" ? name : `${name} (TCP_NODELAY)`;

function report(rounds: MessagingRound[], memory: MemoryResult[]): void {
  const gcNote = memory[0]?.idle.gc
    ? "gc forced before each sample"
    : "gc NOT exposed: figures include garbage";
  console.info(
    `\nEcho throughput: N=${N} messages, at most ${WINDOW} in flight, one client (xmpp.js, SASL PLAIN), Prosody on 127.0.0.1\n` +
      markdownTable(
        ["target", "msg/s", "elapsed ms", "received", "lost", "duplicated", "reordered", "max in flight"],
        rounds.flatMap((round) =>
          TARGETS.map(({ name }) => {
            const t = round.throughput[name]!;
            return [
              roundLabel(round, name),
              t.msgPerSec.toFixed(0),
              t.elapsedMs.toFixed(0),
              t.received,
              t.lost,
              t.duplicated,
              t.reordered,
              t.maxInFlight,
            ];
          }),
        ),
      ),
  );
  console.info(
    `\nRound trip client → Prosody → component → Prosody → client, one at a time, ${RTT_SAMPLES} samples (ms)\n` +
      markdownTable(
        ["target", "p50", "p95", "p99", "max", "mean"],
        rounds.flatMap((round) =>
          TARGETS.map(({ name }) => {
            const r = round.rtt[name]!;
            const cells = [r.p50, r.p95, r.p99, r.max, r.mean].map((v) => v.toFixed(2));
            return [roundLabel(round, name), ...cells];
          }),
        ),
      ) +
      "\n\n" +
      markdownTable(
        ["TCP", "per-message gateway overhead (RTT p50 gateway − bare), ms", "throughput ratio gateway/bare"],
        rounds.map((round) => [
          round.tcp === "default" ? "as shipped" : "TCP_NODELAY forced (Prosody + hosts)",
          round.overheadP50Ms.toFixed(2),
          round.throughputRatio.toFixed(3),
        ]),
      ),
  );
  console.info(
    `\nMemory of the process hosting only the gateway (${gcNote}), K=${K} users × ${CONTACTS} contacts, all logged in and synced\n` +
      markdownTable(
        [
          "store",
          "idle RSS MB",
          "idle heap MB",
          `RSS MB, ${K} users`,
          `heap MB, ${K} users`,
          "RSS KB / user",
          "heap KB / user",
          `${K} registrations ms`,
        ],
        memory.map((m) => [
          m.driver,
          mb(m.idle.rss).toFixed(1),
          mb(m.idle.heapUsed).toFixed(1),
          mb(m.loaded.rss).toFixed(1),
          mb(m.loaded.heapUsed).toFixed(1),
          m.rssPerUserKb.toFixed(0),
          m.heapPerUserKb.toFixed(0),
          m.loginMs.toFixed(0),
        ]),
      ) +
      rounds
        .map(
          (round) =>
            `\ndemo gateway host after the ${round.tcp} echo round (1 user, ${2 * WARMUP + N + RTT_SAMPLES + 20} echoes, in-memory PGlite): ` +
            `RSS ${mb(round.afterEcho.rss).toFixed(1)} MB, heap ${mb(round.afterEcho.heapUsed).toFixed(1)} MB`,
        )
        .join("") +
      (testDatabaseUrl() ? "" : "\n(PostgreSQL skipped: DATABASE_URL is not set)"),
  );
  const json = {
    n: N,
    window: WINDOW,
    rttSamples: RTT_SAMPLES,
    bareComponent: "XmppComponent + ComponentTransport (@gangway/xmpp)",
    rounds: rounds.map((round) => ({
      tcp: round.tcp,
      throughput: Object.fromEntries(
        Object.entries(round.throughput).map(([name, t]) => [
          name,
          { ...t, msgPerSec: fixed(t.msgPerSec, 1), elapsedMs: fixed(t.elapsedMs, 1) },
        ]),
      ),
      rttMs: Object.fromEntries(
        Object.entries(round.rtt).map(([name, r]) => [
          name,
          {
            n: r.n,
            p50: fixed(r.p50, 3),
            p95: fixed(r.p95, 3),
            p99: fixed(r.p99, 3),
            max: fixed(r.max, 3),
            mean: fixed(r.mean, 3),
          },
        ]),
      ),
      gatewayOverheadP50Ms: fixed(round.overheadP50Ms, 3),
      throughputRatio: fixed(round.throughputRatio, 3),
      gatewayHostAfterEcho: { rss: round.afterEcho.rss, heapUsed: round.afterEcho.heapUsed },
    })),
    memory: memory.map((m) => ({
      driver: m.driver,
      users: m.users,
      contactsPerUser: m.contactsPerUser,
      gc: m.idle.gc,
      idle: { rss: m.idle.rss, heapUsed: m.idle.heapUsed },
      loaded: { rss: m.loaded.rss, heapUsed: m.loaded.heapUsed },
      rssPerUserKb: fixed(m.rssPerUserKb, 1),
      heapPerUserKb: fixed(m.heapPerUserKb, 1),
      registrationsMs: fixed(m.loginMs, 0),
    })),
    postgres: testDatabaseUrl() ? "measured" : "skipped (DATABASE_URL not set)",
  };
  console.info(`BENCH_JSON ${JSON.stringify(json)}`);
}

async function scenario(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const drivers: Array<"pglite" | "postgres"> = testDatabaseUrl() ? ["pglite", "postgres"] : ["pglite"];
  try {
    const prosody = await startProsody({
      componentDomain: GW,
      upload: false,
      extraComponents: [
        { domain: BARE, privileges: false },
        ...drivers.map((driver) => ({ domain: memDomain(driver), privileges: FULL_PRIVILEGES })),
      ],
    });
    cleanups.push(() => prosody.stop());
    await registerAccount(prosody, "bencher", PASSWORD);

    const rounds = [await messagingRound(prosody, "default", cleanups)];
    const memory: MemoryResult[] = [];
    for (const driver of drivers) memory.push(await measureMemory(prosody, driver, cleanups));
    await disableProsodyNagle(prosody);
    rounds.push(await messagingRound(prosody, "nodelay", cleanups));

    report(rounds, memory);
    const broken = rounds.flatMap((round) =>
      Object.entries(round.throughput)
        .filter(([, t]) => t.lost || t.duplicated || t.reordered)
        .map(
          ([name, t]) =>
            `${roundLabel(round, name)}: lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}`,
        ),
    );
    if (broken.length) throw new Error(`echo delivery not exact: ${broken.join("; ")}`);
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
}

describe("messaging core via a real Prosody", () => {
  // vitest 4 runs no beforeAll/afterAll in bench mode: the whole scenario is one iteration.
  bench(
    `echo throughput, round trips and memory (N=${N}, ${RTT_SAMPLES} RTTs, K=${K}×${CONTACTS})`,
    scenario,
    {
      iterations: 1,
      time: 0,
      warmupIterations: 0,
      warmupTime: 0,
    },
  );
});
