import { testDatabaseUrl } from "@gangway/store/testing";
import {
  connectClient,
  FULL_PRIVILEGES,
  type ProsodyServer,
  registerAccount,
  startProsody,
  type TestClient,
} from "@gangway/testing";
import { bench, describe } from "vitest";
import { HostProcess, newBenchStore } from "./bench-host.js";
import {
  benchSize,
  measureRoundTrips,
  measureThroughput,
  percentiles,
  procCpuMs,
  QUICK,
  StanzaTap,
  type ThroughputResult,
} from "./bench-support.js";
import { type EchoResult, type EchoTarget, reportEcho } from "./echo-report.js";

/**
 * Demo echo figures against one throwaway Prosody on 127.0.0.1, side by side:
 * `pnpm --filter @gangway/e2e exec vitest bench --run src/echo.bench.ts` (or `pnpm bench`). Needs
 * Prosody (`apt-get install prosody prosody-modules`) and the workspace built (`pnpm build`; the
 * turbo `bench` task does it): the hosts run the packages' dist. PostgreSQL is measured when
 * `DATABASE_URL` is set.
 *
 * Targets, each in its own Node process (bench-host.ts, --expose-gc), all connected at once:
 * - the bare component: XmppComponent + ComponentTransport, no gateway core, no store: the XMPP
 *   server's pipe. It answers each message with the stanzas the demo's echo contact sends for it
 *   (a receipt with a received marker, a displayed marker, "echo: <body>"), so both sides move the
 *   same XMPP traffic and the difference is the gateway's own cost;
 * - the demo gateway on SQLite: a new `gangway.sqlite` in a temp home dir, as the CLI opens it;
 * - the demo gateway on PostgreSQL: a new temporary database on DATABASE_URL's server.
 * One xmpp.js client (SASL PLAIN) registers with both gateways (XEP-0077) and writes to
 * `echo@<gateway>`, whose answer (plus its receipt and read marker) comes back through the gateway.
 *
 * Every message carries an id, as clients' messages do (receipts and markers refer to it).
 * 1. Throughput: N messages with at most WINDOW unanswered; lost, duplicated and reordered replies
 *    are counted. ROUNDS rounds, the targets taking turns in each (a burst of load from elsewhere
 *    on the shared machine hits all of them): the table shows the median round per target. CPU
 *    time of the host process, Prosody and the bench process (/proc) is sampled around each run.
 * 2. Round trips client → Prosody → target → Prosody → client, one at a time, RTT_SAMPLES per
 *    target, taken in chunks that alternate between the targets.
 * 3. Per gateway: spawn → ready, idle memory after start (forced GC, no user yet), memory after
 *    the echo runs (forced GC), and the id map's hit rate (store.messageIds.stats()).
 *
 * Prints markdown tables and one `BENCH_JSON {…}` line (echo-report.ts); asserts nothing about
 * timings, but fails the run after printing when a reply was lost, duplicated or reordered.
 * vitest's own table shows only the wall time of the whole scenario (one iteration).
 * `GANGWAY_BENCH_QUICK=1` runs a reduced size.
 */

const N = benchSize(3000, 300);
const WINDOW = 50;
const ROUNDS = benchSize(3, 1);
const WARMUP = benchSize(300, 50);
const RTT_SAMPLES = benchSize(500, 60);
const RTT_CHUNK = benchSize(100, 30);
const PASSWORD = "pw";

const BARE = "echo.localhost";
const GATEWAYS = { sqlite: "demo.localhost", postgres: "demo-pg.localhost" } as const;

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

/** XEP-0077 registration with a gateway, then waits for "Logged in as …" and echo's presence. */
async function registerWithGateway(client: TestClient, domain: string, username: string) {
  const id = `reg-${domain}`;
  await client.send(registerIq(id, domain, username));
  const reply = await client.waitFor((s) => s.is("iq") && s.attrs.id === id, 15_000);
  if (reply.attrs.type !== "result")
    throw new Error(`registration with ${domain} failed: ${reply.toString()}`);
  await client.waitFor(
    (s) =>
      s.is("presence") && s.attrs.from === domain && s.getChildText("status") === `Logged in as ${username}`,
    15_000,
  );
  await client.waitFor(
    (s) => s.is("presence") && String(s.attrs.from).startsWith(`echo@${domain}/`) && !s.attrs.type,
    30_000,
  );
}

async function startTargets(prosody: ProsodyServer, cleanups: Array<() => Promise<unknown>>) {
  const targets: EchoTarget[] = [];
  const bare = await HostProcess.start({ kind: "bare", ...credentials(prosody, BARE) });
  cleanups.push(() => bare.stop());
  targets.push({
    name: "bare component",
    store: "-",
    to: `echo@${BARE}`,
    host: bare,
    readyMs: bare.timeline!.startedAt - bare.spawnedAt,
    idle: await bare.memory(),
  });
  const drivers = testDatabaseUrl() ? (["sqlite", "postgres"] as const) : (["sqlite"] as const);
  for (const driver of drivers) {
    const store = await newBenchStore(driver);
    cleanups.push(store.drop);
    const domain = GATEWAYS[driver];
    const host = await HostProcess.start({
      kind: "demo",
      ...credentials(prosody, domain),
      store: store.spec,
      contacts: null,
    });
    cleanups.push(() => host.stop());
    const readyMs = host.timeline!.startedAt - host.spawnedAt;
    const storeOpenMs = (host.timeline!.storeOpenedAt ?? host.spawnedAt) - host.timeline!.scriptAt;
    targets.push({
      name: "demo gateway",
      store: driver,
      to: `echo@${domain}`,
      host,
      domain,
      readyMs,
      storeOpenMs,
      idle: await host.memory(),
    });
  }
  return targets;
}

/** One windowed run with the CPU each process used, per 1000 replies. */
async function throughputWithCpu(
  client: TestClient,
  tap: StanzaTap,
  prosody: ProsodyServer,
  target: EchoTarget,
  count: number,
  tag: string,
): Promise<EchoResult["rounds"][number]> {
  const bench = () => {
    const usage = process.cpuUsage();
    return (usage.user + usage.system) / 1000;
  };
  const sample = () => [procCpuMs(target.host.pid), procCpuMs(prosody.pid), bench()] as const;
  const before = sample();
  const result: ThroughputResult = await measureThroughput(client, tap, {
    to: target.to,
    count,
    window: WINDOW,
    tag,
  });
  const after = sample();
  const per1000 = (i: number) => ((after[i]! - before[i]!) / Math.max(1, result.received)) * 1000;
  return { ...result, cpuPer1000: { host: per1000(0), prosody: per1000(1), bench: per1000(2) } };
}

async function scenario(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const prosody = await startProsody({
      componentDomain: GATEWAYS.sqlite,
      upload: false,
      extraComponents: [
        { domain: BARE, privileges: false },
        { domain: GATEWAYS.postgres, privileges: FULL_PRIVILEGES },
      ],
    });
    cleanups.push(() => prosody.stop());
    await registerAccount(prosody, "bencher", PASSWORD);
    const targets = await startTargets(prosody, cleanups);
    const client = await connectClient({ server: prosody, username: "bencher", password: PASSWORD });
    cleanups.push(() => client.stop());
    for (const target of targets)
      if (target.domain) await registerWithGateway(client, target.domain, "bencher");
    const tap = new StanzaTap(client);
    cleanups.push(() => tap.close());
    const results = new Map<EchoTarget, EchoResult>(
      targets.map((target) => [target, { target, rounds: [], rtts: [] }]),
    );
    const label = (target: EchoTarget) => target.to.replace(/[@.]/g, "_");

    // Warm-up (JIT, Prosody's and the store's first-use paths), not reported.
    for (const target of targets) {
      await measureThroughput(client, tap, {
        to: target.to,
        count: WARMUP,
        window: WINDOW,
        tag: `w-${label(target)}`,
      });
      await measureRoundTrips(client, tap, { to: target.to, samples: 20, tag: `wr-${label(target)}` });
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Who goes first rotates, so no target always runs right after another one's burst.
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(i + round) % targets.length]!;
        const run = await throughputWithCpu(client, tap, prosody, target, N, `tp${round}-${label(target)}`);
        results.get(target)!.rounds.push(run);
      }
    }
    for (let done = 0; done < RTT_SAMPLES; done += RTT_CHUNK) {
      for (const target of targets) {
        const samples = Math.min(RTT_CHUNK, RTT_SAMPLES - done);
        const tag = `rtt${done}-${label(target)}`;
        results
          .get(target)!
          .rtts.push(...(await measureRoundTrips(client, tap, { to: target.to, samples, tag })));
      }
    }
    for (const target of targets) {
      const result = results.get(target)!;
      result.rtt = percentiles(result.rtts);
      result.after = await target.host.memory();
      result.stats = await target.host.stats();
    }

    const all = [...results.values()];
    reportEcho(all, { n: N, window: WINDOW, rounds: ROUNDS, rttSamples: RTT_SAMPLES, quick: QUICK });
    const broken = all.flatMap((r) =>
      r.rounds
        .filter((t) => t.lost || t.duplicated || t.reordered)
        .map(
          (t) =>
            `${r.target.name} (${r.target.store}): lost ${t.lost}, duplicated ${t.duplicated}, reordered ${t.reordered}`,
        ),
    );
    if (broken.length) throw new Error(`echo delivery not exact: ${broken.join("; ")}`);
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
}

describe("demo echo via a real Prosody, SQLite and PostgreSQL beside the bare component", () => {
  // vitest 4 runs no beforeAll/afterAll in bench mode: the whole scenario is one iteration.
  bench(`echo throughput and round trips (N=${N} ×${ROUNDS}, ${RTT_SAMPLES} RTTs)`, scenario, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
  });
});
