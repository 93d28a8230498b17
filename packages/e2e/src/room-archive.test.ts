import { fileURLToPath } from "node:url";
import {
  type EjabberdServer,
  type ProsodyServer,
  runSlixmppClient,
  startEjabberd,
  startProsody,
} from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import { runJsonScript } from "./python-script.js";
import { Cleanups, GW } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * A room's archive outlives the gateway's process: a slixmpp client talks in the demo's `lobby`
 * (echo answers), the real executable is stopped (SIGTERM) and started again on the same home dir
 * and database, and the client, joining again, gets what was said as `<history/>` on join and
 * through slixmpp's own XEP-0313 plugin, two messages a page (RSM max, then after the last id),
 * under the same stanza-ids the live messages carried, on Prosody and ejabberd.
 */

const SCRIPT = fileURLToPath(new URL("../scripts/muc_archive.py", import.meta.url));
const LOBBY = `lobby@${GW}`;
const RUNNING = /"msg":"gateway running"/;
const LOGGED_IN = /"msg":"logged in"/;

type Server = ProsodyServer | EjabberdServer;

const SERVERS: readonly [string, () => Promise<Server>][] = [
  ["Prosody", () => startProsody({ componentDomain: GW })],
  ["ejabberd", () => startEjabberd({ componentDomain: GW })],
];

interface Said {
  from: string;
  body: string | null;
  stanza_id: string | null;
  delayed: boolean;
  archive_id?: string;
}

interface ArchiveResult {
  ok: boolean;
  error?: string;
  live?: Said[];
  history?: Said[];
  pages?: { ids: string[]; complete: boolean; first: string | null; last: string | null }[];
  archived?: Said[];
  metadata?: { start: string | null; end: string | null };
}

function runArchiveClient(server: Server, args: string[]): Promise<ArchiveResult & { stderr: string }> {
  const argv = ["--host", server.host ?? "127.0.0.1", "--port", String(server.c2sPort)];
  argv.push(
    "--jid",
    "carol@localhost/archive",
    "--password",
    "pw",
    "--room",
    LOBBY,
    "--nick",
    "carol",
    ...args,
  );
  return runJsonScript<ArchiveResult>(SCRIPT, argv, { timeoutMs: 40_000, what: "archive client" });
}

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

onEachDriver((driver) => {
  describe.each(SERVERS)("a room's archive through %s", (_name, startServer) => {
    it("survives a restart: history on join and MAM pages give back what was said, under its stanza-ids", async () => {
      const server = await startServer();
      cleanups.add(() => server.stop());
      const database = await createTestDatabase(driver, cleanups);
      const start = (): GatewayProcess =>
        startGatewayProcess(cleanups, database.cliArgs, {
          GANGWAY_JID: GW,
          GANGWAY_SECRET: server.componentSecret,
          GANGWAY_PORT: String(server.componentPort),
        });
      const first = start();
      await first.waitForOutput(RUNNING);
      const registration = await runSlixmppClient({
        server,
        jid: "carol@localhost",
        password: "pw",
        registerAccount: true,
        registerGateway: GW,
        gatewayFields: { username: "carol", password: "S3cr3t-Xy7q" },
        waitForPresence: { from: GW, status: "Logged in as carol" },
        timeoutMs: 15_000,
      });
      expect(registration.errors, registration.stderr).toEqual([]);

      const talk = await runArchiveClient(server, ["--phase", "talk", "--say", "one", "--say", "two"]);
      expect(talk.error, talk.stderr + first.output()).toBeUndefined();
      const live = talk.live!;
      expect(live.map((m) => [m.from, m.body])).toEqual([
        [`${LOBBY}/carol`, "one"],
        [`${LOBBY}/echo`, "echo: one"],
        [`${LOBBY}/carol`, "two"],
        [`${LOBBY}/echo`, "echo: two"],
      ]);
      const liveIds = live.map((m) => m.stanza_id);
      expect(new Set(liveIds).size).toBe(4);
      expect(liveIds).not.toContain(null);

      expect(await first.stop(), first.output()).toEqual({ code: 0, signal: null });
      const second = start();
      await second.waitForOutput(RUNNING);
      await second.waitForOutput(LOGGED_IN);

      const recall = await runArchiveClient(server, ["--phase", "recall", "--page-size", "2"]);
      expect(recall.error, recall.stderr + second.output()).toBeUndefined();
      // History on join: what was said, delayed, under the stanza-ids it went out with.
      const history = recall.history!;
      expect(history.map((m) => [m.from, m.body, m.stanza_id])).toEqual(
        live.map((m) => [m.from, m.body, m.stanza_id]),
      );
      expect(history.every((m) => m.delayed)).toBe(true);
      // MAM: two a page, the second asked <after/> the first's last id; complete on the last.
      expect(recall.pages).toEqual([
        { ids: liveIds.slice(0, 2), complete: false, first: liveIds[0], last: liveIds[1] },
        { ids: liveIds.slice(2, 4), complete: true, first: liveIds[2], last: liveIds[3] },
      ]);
      expect(recall.archived!.map((m) => [m.from, m.body, m.stanza_id, m.archive_id])).toEqual(
        live.map((m) => [m.from, m.body, m.stanza_id, m.stanza_id]),
      );
      expect(recall.metadata).toEqual({ start: liveIds[0], end: liveIds[3] });
      expect(await second.stop(), second.output()).toEqual({ code: 0, signal: null });
    });
  });
});
