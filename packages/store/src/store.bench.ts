import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bench, describe } from "vitest";
import type { StoreOptions } from "./options.js";
import { openStore } from "./store.js";
import { createTemporaryPostgresDatabase, testDatabaseUrl } from "./test-support/drivers.js";

/**
 * Store latency on each driver: `pnpm --filter @gangway/store bench` (PostgreSQL too when
 * DATABASE_URL is set). Prints vitest's tables; asserts nothing about timings.
 *
 * One user has SEEDED_MESSAGES stored id pairs, so the lookups show what a long history costs.
 * The id map's memory is kept to one pair per user (`perUser: 1`), so every lookup here is a
 * query: this measures the database path; the message path mostly hits memory instead.
 */

const SEEDED_USERS = 2_000;
const SEEDED_MESSAGES = 100_000;

interface BenchTarget {
  name: string;
  options(): Promise<{ options: StoreOptions; dispose(): Promise<void> }>;
}

// The in-memory SQLite group runs last on purpose: see groupLifecycle.
const targets: BenchTarget[] = [
  {
    name: "sqlite (file)",
    async options() {
      const directory = await mkdtemp(join(tmpdir(), "gangway-store-bench-"));
      return {
        options: { driver: "sqlite", file: join(directory, "gangway.sqlite") },
        dispose: () => rm(directory, { recursive: true, force: true }),
      };
    },
  },
];
const serverUrl = testDatabaseUrl();
if (serverUrl) {
  targets.push({
    name: "postgres",
    async options() {
      const database = await createTemporaryPostgresDatabase(serverUrl);
      return { options: { driver: "postgres", url: database.url }, dispose: database.drop };
    },
  });
}
targets.push({
  name: "sqlite (in-memory)",
  options: async () => ({ options: { driver: "sqlite" }, dispose: async () => {} }),
});

/** Disposals started by finished groups; the next group's setup waits for them. */
const pendingDisposals: Promise<void>[] = [];

/**
 * vitest 4 runs no beforeAll/afterAll hooks in bench mode, so each group opens and seeds its store
 * lazily from its benches' `setup`, and disposes of it once every bench's measured run is over.
 * tinybench does not await `teardown`, so a disposal only completes while later groups run: the
 * last group must be one whose disposal does not matter (in-memory SQLite).
 */
function groupLifecycle<T>(benchCount: number, open: () => Promise<T>, dispose: (value: T) => Promise<void>) {
  let opened: Promise<T> | undefined;
  let finished = 0;
  const get = () => {
    opened ??= open();
    return opened;
  };
  return {
    get,
    hooks: {
      setup: async () => {
        await Promise.all(pendingDisposals);
        await get();
      },
      teardown: (_task: unknown, mode: "warmup" | "run") => {
        if (mode === "run" && ++finished === benchCount) pendingDisposals.push(get().then(dispose));
      },
    },
  };
}

async function seed(target: BenchTarget) {
  const { options, dispose } = await target.options();
  const store = await openStore({ ...options, messageIds: { perUser: 1 } });
  for (let i = 0; i < SEEDED_USERS; i++) {
    await store.users.create({ jid: `user${i}@example.org`, registration: { password: `secret-${i}` } });
  }
  const userId = (await store.users.get("user0@example.org"))!.id;
  for (let i = 0; i < SEEDED_MESSAGES; i++) {
    void store.messageIds.add(userId, {
      chat: `chat${i % 50}`,
      legacyId: `legacy-${i}`,
      xmppId: `xmpp-${i}`,
      direction: "in",
    });
  }
  await store.messageIds.flush();
  return { store, userId, dispose };
}

for (const target of targets) {
  describe(target.name, () => {
    const group = groupLifecycle(
      4,
      () => seed(target),
      async ({ store, dispose }) => {
        await store.close();
        await dispose();
      },
    );
    let lookups = 0;
    let inserts = 0;

    bench(
      "users.get by JID",
      async () => {
        const { store } = await group.get();
        await store.users.get(`user${lookups++ % SEEDED_USERS}@example.org`);
      },
      group.hooks,
    );

    bench(
      "messageIds.add (new pair, until committed)",
      async () => {
        const { store, userId } = await group.get();
        const n = inserts++;
        await store.messageIds.add(userId, {
          chat: "bench-chat",
          legacyId: `bench-legacy-${n}`,
          xmppId: `bench-xmpp-${n}`,
          direction: "out",
        });
      },
      group.hooks,
    );

    bench(
      "messageIds.first (legacy → XMPP, query)",
      async () => {
        const { store, userId } = await group.get();
        const i = lookups++ % SEEDED_MESSAGES;
        await store.messageIds.first(userId, `chat${i % 50}`, `legacy-${i}`);
      },
      group.hooks,
    );

    bench(
      "messageIds.legacyId (XMPP → legacy, query)",
      async () => {
        const { store, userId } = await group.get();
        const i = lookups++ % SEEDED_MESSAGES;
        await store.messageIds.legacyId(userId, `chat${i % 50}`, `xmpp-${i}`);
      },
      group.hooks,
    );
  });
}
