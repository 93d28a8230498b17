import { readFile, writeFile } from "node:fs/promises";
import { testDatabaseUrl } from "@gangway/store/testing";
import { connectClient, FULL_PRIVILEGES, type ProsodyServer, startProsody } from "@gangway/testing";
import { bench, describe } from "vitest";
import {
  HostProcess,
  type HostStats,
  type MemorySample,
  newBenchStore,
  type StoreSpec,
} from "./bench-host.js";
import {
  benchSize,
  envInt,
  fixed,
  markdownTable,
  mb,
  procCpuMs,
  procStatusBytes,
  QUICK,
  sleep,
} from "./bench-support.js";
import { type ScaleShape, scaleUsernames, seedStore, writeProsodyAccounts } from "./scale-seed.js";

/**
 * The scale run: `pnpm --filter @gangway/e2e exec vitest bench --run src/scale.bench.ts` (or
 * `pnpm bench`). Needs Prosody and the workspace built; PostgreSQL is measured when
 * `DATABASE_URL` is set.
 *
 * USERS registered users with CONTACTS contacts each, on a bench-only network: the demo gateway
 * whose session's listContacts() yields CONTACTS contacts per user, the first ONLINE of them online (with a
 * status), nobody writing (bench-host-script.ts, kind "demo" with `contacts`). ONLINE defaults to
 * 10%: every available contact is one presence per user that Prosody must route (and drop, the
 * users being offline), so with all of them online the run measures mostly Prosody (one core,
 * ~0.1 ms per stanza here). Everything is in place before the gateway starts, as after a previous
 * run (scale-seed.ts): the users and their contact rows in a new store (one SQL statement per
 * table), and on Prosody every user's account with all their contacts already in the roster
 * (files written into Prosody's data dir). The gateway has the XEP-0356 roster privilege, so each
 * login reads the user's roster from Prosody and finds nothing to change. The users are not
 * connected. Prosody logs to its file at info (the fixture's debug log would cost it ~40% more
 * CPU per stanza; production servers do not log stanzas).
 * `GANGWAY_BENCH_SCALE_ACCOUNTS=0` leaves the Prosody accounts out: then every roster read is
 * empty, the first privileged roster set is refused (no such user), and the gateway falls back to
 * subscription requests for everyone — a cheaper, different path (the report shows its warning).
 *
 * Per store (SQLite: a new `gangway.sqlite` in a temp home dir; PostgreSQL: a new database), one
 * gateway process (--expose-gc) is spawned and timed from spawn to: the store open, the log line
 * "component online", the last "logged in" line (all USERS logged in; counted by the host from
 * the gateway's own log lines at level info), and `gateway.start()` resolving. Then Prosody's
 * backlog is waited out (its CPU quiet for a second), memory is sampled after a forced GC, peak
 * RSS read from /proc (VmHWM), and the CPU time of the gateway and of Prosody reported. The
 * process is then killed (a graceful stop would send every contact's offline presence).
 *
 * Prints markdown tables and one `BENCH_JSON {…}` line; no timed assertion: logins still running
 * after LOGIN_BUDGET_MS are reported as such, and the run fails only when a login fails or
 * `start()` throws. Sizes: GANGWAY_BENCH_SCALE_USERS, GANGWAY_BENCH_SCALE_CONTACTS,
 * GANGWAY_BENCH_SCALE_ONLINE, GANGWAY_BENCH_SCALE_BUDGET_S; `GANGWAY_BENCH_QUICK=1` runs 500 users.
 */

const USERS = envInt("GANGWAY_BENCH_SCALE_USERS", benchSize(10_000, 500));
const CONTACTS = envInt("GANGWAY_BENCH_SCALE_CONTACTS", 100);
const ONLINE = Math.min(
  CONTACTS,
  Number(process.env.GANGWAY_BENCH_SCALE_ONLINE ?? Math.round(CONTACTS / 10)) || 0,
);
const ACCOUNTS = process.env.GANGWAY_BENCH_SCALE_ACCOUNTS !== "0";
/** How long the logins are watched; past it the run reports how many logged in (the bench goes on). */
const LOGIN_BUDGET_MS = envInt("GANGWAY_BENCH_SCALE_BUDGET_S", 600) * 1000;
const DOMAIN = "scale.localhost";

const shape: ScaleShape = {
  users: USERS,
  contactsPerUser: CONTACTS,
  domain: DOMAIN,
  group: "Demo",
  password: "pw",
};

interface ScaleResult {
  store: "sqlite" | "postgres";
  /** "first start": seeded rows, no roster hash yet; "restart": the same store after a clean stop. */
  start: "first start" | "restart";
  seedMs: number;
  /** ms after spawn. */
  storeOpenMs: number | null;
  componentOnlineMs: number | null;
  /** null: not all within LOGIN_BUDGET_MS (loggedIn says how many were). */
  allLoggedInMs: number | null;
  startResolvedMs: number | null;
  startError?: string;
  /** ms after spawn when Prosody's CPU went quiet (its backlog of the gateway's stanzas done). */
  prosodyIdleMs: number | null;
  loggedIn: number;
  failed: number;
  memory: MemorySample;
  peakRss: number;
  gatewayCpuMs: number;
  prosodyCpuMs: number;
  stats: HostStats;
}

/** Waits until `pid` used less than `busyMs` CPU in a `windowMs` window; returns when that window began. */
async function cpuQuiet(pid: number, windowMs = 1000, busyMs = 50, timeoutMs = 300_000): Promise<number> {
  const started = performance.now();
  for (;;) {
    const at = performance.timeOrigin + performance.now();
    const before = procCpuMs(pid);
    await sleep(windowMs);
    if (procCpuMs(pid) - before < busyMs || performance.now() - started > timeoutMs) return at;
  }
}

/** One user's account really works: it logs in with the password and its roster holds every contact. */
async function checkAccount(prosody: ProsodyServer): Promise<void> {
  const [first] = scaleUsernames(shape);
  const client = await connectClient({ server: prosody, username: first!, password: shape.password });
  try {
    const roster = await client.request(`<iq type="get"><query xmlns="jabber:iq:roster"/></iq>`);
    const items = roster.getChild("query", "jabber:iq:roster")?.getChildren("item") ?? [];
    if (items.length !== CONTACTS)
      throw new Error(`${first}'s roster has ${items.length} items, not ${CONTACTS}`);
  } finally {
    await client.stop();
  }
}

/**
 * Seeds a new store, starts the gateway on it (the first start syncs every roster), stops it
 * cleanly, and starts it again: the restart is what an operator's upgrade or reboot costs.
 */
async function runStore(prosody: ProsodyServer, driver: "sqlite" | "postgres"): Promise<ScaleResult[]> {
  const store = await newBenchStore(driver);
  try {
    const seedStarted = performance.now();
    await seedStore(store.spec, shape);
    const seedMs = performance.now() - seedStarted;
    const first = await measureStart(prosody, store.spec, { store: driver, start: "first start", seedMs });
    const restart = await measureStart(prosody, store.spec, { store: driver, start: "restart", seedMs: 0 });
    return [first, restart];
  } finally {
    await store.drop().catch(() => {});
  }
}

async function measureStart(
  prosody: ProsodyServer,
  spec: StoreSpec,
  labels: Pick<ScaleResult, "store" | "start" | "seedMs">,
): Promise<ScaleResult> {
  let host: HostProcess | undefined;
  try {
    const component = prosody.components.find((c) => c.domain === DOMAIN)!;
    const prosodyBefore = procCpuMs(prosody.pid);
    host = await HostProcess.start(
      {
        kind: "demo",
        domain: DOMAIN,
        secret: component.secret,
        port: prosody.componentPort,
        store: spec,
        contacts: { count: CONTACTS, online: ONLINE },
        expectLogins: USERS,
      },
      60_000,
    );
    const logins = await host.logins(LOGIN_BUDGET_MS);
    // Past the budget the gateway is still at it: no waiting for Prosody then.
    const prosodyIdleAt = logins ? await cpuQuiet(prosody.pid) : null;
    const prosodyCpuMs = procCpuMs(prosody.pid) - prosodyBefore;
    const gatewayCpuMs = procCpuMs(host.pid);
    const peakRss = procStatusBytes(host.pid, "VmHWM");
    const memory = await host.memory(120_000);
    const stats = await host.stats();
    const since = (at: number | null | undefined) => (at ? at - host!.spawnedAt : null);
    return {
      ...labels,
      storeOpenMs: since(host.timeline!.storeOpenedAt),
      componentOnlineMs: since(stats.componentOnlineAt),
      allLoggedInMs: since(logins?.at),
      startResolvedMs: since(host.startResolved?.at),
      prosodyIdleMs: since(prosodyIdleAt),
      loggedIn: logins?.loggedIn ?? stats.loggedIn,
      failed: logins?.failed ?? stats.loginFailed,
      memory,
      peakRss,
      gatewayCpuMs,
      prosodyCpuMs,
      stats,
      ...(host.startResolved?.error && { startError: host.startResolved.error }),
    };
  } finally {
    // Each login's writes (its roster hash) were committed before it counted as logged in.
    await host?.stop({ graceful: false });
  }
}

/** Prosody's log file at info instead of the fixture's debug (one line per stanza), then a restart. */
async function logAtInfo(prosody: ProsodyServer): Promise<void> {
  const config = await readFile(prosody.configPath, "utf8");
  const debugFile = `{ levels = { min = "debug" }, to = "file"`;
  if (!config.includes(debugFile)) throw new Error(`no debug file log in ${prosody.configPath}`);
  await writeFile(prosody.configPath, config.replace(debugFile, `{ levels = { min = "info" }, to = "file"`));
  await prosody.restart();
}

const seconds = (ms: number | null) => (ms === null ? "-" : (ms / 1000).toFixed(2));

function report(results: readonly ScaleResult[]): void {
  const quick = QUICK ? " — QUICK MODE (GANGWAY_BENCH_QUICK): reduced size, not the figures" : "";
  console.info(
    `\nScale: ${USERS} stored users × ${CONTACTS} contacts (${ONLINE} online each), demo gateway variant, one Prosody on 127.0.0.1${quick}\n` +
      `${ACCOUNTS ? "Prosody accounts exist with every contact in their roster (as after a previous run)" : "NO Prosody accounts (GANGWAY_BENCH_SCALE_ACCOUNTS=0)"}; ` +
      `users not connected; times in s after the gateway process was spawned\n` +
      markdownTable(
        [
          "store",
          "start",
          "store open",
          "component online",
          "all logged in",
          "start() resolved",
          "Prosody idle",
          "logged in / failed",
          "RSS after MB (GC)",
          "heap MB",
          "peak RSS MB",
          "gateway CPU s",
          "Prosody CPU s",
          "seeding s",
        ],
        results.map((r) => [
          r.store,
          r.start,
          seconds(r.storeOpenMs),
          seconds(r.componentOnlineMs),
          r.allLoggedInMs === null ? `not within ${LOGIN_BUDGET_MS / 1000} s` : seconds(r.allLoggedInMs),
          seconds(r.startResolvedMs),
          seconds(r.prosodyIdleMs),
          `${r.loggedIn} / ${r.failed}`,
          mb(r.memory.rss).toFixed(0),
          mb(r.memory.heapUsed).toFixed(0),
          mb(r.peakRss).toFixed(0),
          (r.gatewayCpuMs / 1000).toFixed(1),
          (r.prosodyCpuMs / 1000).toFixed(1),
          (r.seedMs / 1000).toFixed(1),
        ]),
      ) +
      (testDatabaseUrl() ? "" : "\n(PostgreSQL skipped: DATABASE_URL is not set)") +
      results
        .filter((r) => r.stats.problems.length)
        .map((r) => `\n${r.store} ${r.start}: the gateway logged ${r.stats.problems.join(" | ")}`)
        .join(""),
  );
  const json = {
    bench: "scale",
    quick: QUICK,
    users: USERS,
    contactsPerUser: CONTACTS,
    onlinePerUser: ONLINE,
    prosodyAccounts: ACCOUNTS,
    results: results.map((r) => ({
      store: r.store,
      start: r.start,
      msAfterSpawn: {
        storeOpen: r.storeOpenMs === null ? null : fixed(r.storeOpenMs, 0),
        componentOnline: r.componentOnlineMs === null ? null : fixed(r.componentOnlineMs, 0),
        allLoggedIn: r.allLoggedInMs === null ? null : fixed(r.allLoggedInMs, 0),
        startResolved: r.startResolvedMs === null ? null : fixed(r.startResolvedMs, 0),
        prosodyIdle: r.prosodyIdleMs === null ? null : fixed(r.prosodyIdleMs, 0),
      },
      loggedIn: r.loggedIn,
      failed: r.failed,
      memoryAfterGc: {
        rss: r.memory.rss,
        heapUsed: r.memory.heapUsed,
        external: r.memory.external,
        gc: r.memory.gc,
      },
      peakRss: r.peakRss,
      gatewayCpuMs: r.gatewayCpuMs,
      prosodyCpuMs: r.prosodyCpuMs,
      seedMs: fixed(r.seedMs, 0),
      logLines: r.stats.logLines,
      problems: r.stats.problems,
    })),
  };
  console.info(`BENCH_JSON ${JSON.stringify(json)}`);
}

async function scenario(): Promise<void> {
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const prosody = await startProsody({
      componentDomain: DOMAIN,
      upload: false,
      privileges: FULL_PRIVILEGES,
    });
    cleanups.push(() => prosody.stop());
    await logAtInfo(prosody);
    if (ACCOUNTS) {
      await writeProsodyAccounts(prosody, shape);
      await checkAccount(prosody);
    }
    const drivers = testDatabaseUrl() ? (["sqlite", "postgres"] as const) : (["sqlite"] as const);
    const results: ScaleResult[] = [];
    for (const driver of drivers) results.push(...(await runStore(prosody, driver)));
    report(results);
    // Slow is a figure; a failed login or a start() that threw is a broken target.
    const broken = results.filter((r) => r.failed || r.startError);
    if (broken.length) {
      throw new Error(
        broken
          .map(
            (r) =>
              `${r.store} ${r.start}: ${r.failed} logins failed${r.startError ? `; start() threw ${r.startError}` : ""}`,
          )
          .join("; "),
      );
    }
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
}

describe("a gateway with many users", () => {
  // vitest 4 runs no beforeAll/afterAll in bench mode: the whole scenario is one iteration.
  bench(`${USERS} users × ${CONTACTS} contacts: start to all logged in, memory`, scenario, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
  });
});
