import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { StoreLogger } from "./options.js";
import { openStore, type Store } from "./store.js";
import { type PrivatePostgres, startPrivatePostgres } from "./test-support/private-postgres.js";

/** Records what the store logs, by message. */
function recordingLogger() {
  const lines: Array<{ level: string; msg: string; fields: object }> = [];
  const record =
    (level: string) =>
    (fields: object | string, msg?: string): void => {
      lines.push(
        typeof fields === "string" ? { level, msg: fields, fields: {} } : { level, msg: msg ?? "", fields },
      );
    };
  const logger: StoreLogger = { info: record("info"), warn: record("warn"), error: record("error") };
  return { logger, lines };
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A real PostgreSQL restart under traffic, on a server of this test's own (never the shared one):
 * the store's queries and batched writes wait for it and none fails.
 */
describe("a PostgreSQL restart under traffic", () => {
  let server: PrivatePostgres;
  let store: Store;
  const { logger, lines } = recordingLogger();

  beforeAll(async () => {
    server = await startPrivatePostgres();
    store = await openStore({ driver: "postgres", url: server.url, retryForMs: 30_000 }, logger);
  }, 60_000);

  afterAll(async () => {
    try {
      await store?.close();
    } finally {
      await server?.destroy();
    }
  }, 30_000);

  it("loses no query and no batched write while the server is down for 3 s", async () => {
    const user = await store.users.create({ jid: "outage@example.org", registration: {} });
    const chat = "echo";
    const failures: unknown[] = [];
    const writes: Promise<void>[] = [];
    const reads: Promise<unknown>[] = [];
    let sent = 0;
    let traffic = true;
    // ~100 id pairs a second, each looked up again right away, plus a user lookup: the message path.
    const load = (async () => {
      while (traffic) {
        const n = sent++;
        writes.push(
          store.messageIds
            .add(user.id, { chat, legacyId: `legacy-${n}`, xmppId: `xmpp-${n}`, direction: "in" })
            .catch((error: unknown) => void failures.push(error)),
        );
        if (n % 5 === 0) {
          reads.push(store.users.get(user.jid).catch((error: unknown) => failures.push(error)));
          reads.push(
            store.messageIds
              .xmppIds(user.id, chat, `legacy-${n}`)
              .catch((error: unknown) => failures.push(error)),
          );
        }
        await pause(10);
      }
    })();

    await pause(500);
    const marks: Record<string, number> = { stopping: Date.now() };
    await server.stop();
    marks.stopped = Date.now();
    // Issued while the server is down: it waits for the server instead of failing.
    const whileDown = store.users.get(user.jid);
    const duringOutage = sent;
    await pause(3_000);
    await server.start();
    marks.started = Date.now();
    await expect(whileDown).resolves.toMatchObject({ jid: user.jid });
    // And once it is back, on a new connection postgres.js opened by itself.
    await expect(store.users.count()).resolves.toBe(1);
    await pause(500);
    traffic = false;
    await load;
    await Promise.all([...writes, ...reads]);

    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(duringOutage);
    const check = postgres(server.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await check<Array<{ rows: number }>>`
        select count(*)::int as rows from message_ids where user_id = ${user.id}`;
      expect(row?.rows).toBe(sent);
    } finally {
      await check.end();
    }
    // One line when it went away, one when it came back (after a quiet second): not one per query.
    await vi.waitFor(() => expect(lines.map((line) => line.msg)).toContain("database available again"), {
      timeout: 10_000,
    });
    const outageLines = lines.filter((line) => line.msg.startsWith("database "));
    expect(
      outageLines.map((line) => line.msg),
      JSON.stringify({ marks, outageLines }),
    ).toEqual(["database unavailable; queries wait for it", "database available again"]);
    expect(outageLines[1]?.fields).toHaveProperty("outageMs");
  }, 60_000);
});
