import { fileURLToPath } from "node:url";
import {
  type EjabberdServer,
  FULL_PRIVILEGES,
  type ProsodyServer,
  registerAccount,
  startEjabberd,
  startProsody,
} from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { runJsonScript } from "./python-script.js";
import { Cleanups, GW, memoryLog, type RunningGateway, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * The demo's group `lobby` told to carol by a real server: as an XEP-0402 bookmark in her PEP
 * where the server grants the gateway the XEP-0356 pubsub IQ privilege (Prosody's mod_privilege),
 * as an XEP-0249 invitation where it does not (Prosody without the grant, ejabberd 23.01, whose
 * mod_privilege has no IQ permission); and the lobby removed for her, destroyed under her joined
 * client (XEP-0045 §10.9) and gone from her bookmarks. slixmpp reads it all (bookmarks_client.py).
 */

const SCRIPT = fileURLToPath(new URL("../scripts/bookmarks_client.py", import.meta.url));
const LOBBY = `lobby@${GW}`;
const USER = "carol@localhost";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

type Server = ProsodyServer | EjabberdServer;

interface Bookmark {
  jid: string;
  name: string | null;
  autojoin: boolean;
  nick: string | null;
}

interface ClientResult {
  ok: boolean;
  error?: string;
  bookmarks?: Bookmark[];
  invitations: { from: string; jid: string; reason: string | null; body: string | null }[];
  joined_codes?: number[];
  destroyed?: { codes: number[]; reason: string | null; affiliation: string; role: string };
  bookmarks_after?: Bookmark[];
  stderr: string;
}

function runClient(server: Server, flags: readonly string[]): Promise<ClientResult> {
  const argv = ["--host", "127.0.0.1", "--port", String(server.c2sPort)];
  argv.push("--jid", `${USER}/bookmarks`, "--password", "pw", "--room", LOBBY, ...flags);
  return runJsonScript<Omit<ClientResult, "stderr">>(SCRIPT, argv, {
    timeoutMs: 40_000,
    what: "bookmarks client",
  });
}

/** Resolves once `check` holds, looking again after each short pause (the client joins meanwhile). */
async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * carol's account on `server`, and the gateway with carol registered before it starts: it logs her
 * in at startup while her client is offline (an invitation waits in her offline storage).
 */
async function carolLoggedIn(server: Server, database: TestDatabase, log = memoryLog()) {
  cleanups.add(() => server.stop());
  await registerAccount(server, "carol", "pw");
  const gateway = await startDemoGateway(server, cleanups, {
    database,
    logger: log.logger,
    beforeStart: async (store) => {
      await store.users.create({ jid: USER, registration: { username: "carol", password: "pw" } });
    },
  });
  const session = gateway.gateway.sessionFor(USER);
  if (!session?.isLoggedIn) throw new Error("the gateway did not log carol in at startup");
  return { gateway, log };
}

/** Runs the client that joins the lobby; removes the lobby for carol once her client is in. */
async function removedWhileJoined(server: Server, running: RunningGateway, flags: readonly string[]) {
  const client = runClient(server, ["--join-nick", "carol", ...flags]);
  const session = running.gateway.sessionFor(USER)!;
  const lobby = session.rooms.byJidLocal("lobby")!;
  await until(() => lobby.joinedResources.size === 1, "carol's client joins the lobby");
  expect(await session.rooms.remove("lobby", "The lobby was closed")).toBe(true);
  return client;
}

const DESTROYED = { codes: [110], reason: "The lobby was closed", affiliation: "none", role: "none" };

onEachDriver((driver) => {
  describe("through Prosody with the pubsub IQ privilege", () => {
    it("puts lobby in carol's PEP bookmarks (autojoin, name, nick) and sends no invitation", async () => {
      const prosody = await startProsody({ componentDomain: GW });
      await carolLoggedIn(prosody, await createTestDatabase(driver, cleanups));
      const result = await runClient(prosody, ["--read-bookmarks"]);
      expect(result.error, result.stderr).toBeUndefined();
      expect(result.bookmarks).toEqual([{ jid: LOBBY, name: "Lobby", autojoin: true, nick: "carol" }]);
      expect(result.invitations).toEqual([]);
    });

    it("destroys lobby under carol's joined client and removes it from her bookmarks", async () => {
      const prosody = await startProsody({ componentDomain: GW });
      const { gateway } = await carolLoggedIn(prosody, await createTestDatabase(driver, cleanups));
      const result = await removedWhileJoined(prosody, gateway, ["--read-bookmarks"]);
      expect(result.error, result.stderr).toBeUndefined();
      expect(result.bookmarks?.map((b) => b.jid)).toEqual([LOBBY]);
      expect(result.joined_codes).toEqual([100, 110]);
      expect(result.destroyed).toEqual(DESTROYED);
      expect(result.bookmarks_after).toEqual([]);
    });
  });

  describe.each<[string, () => Promise<Server>]>([
    [
      "Prosody without the pubsub IQ privilege",
      () =>
        startProsody({
          componentDomain: GW,
          privileges: { ...FULL_PRIVILEGES, iq: { "urn:xmpp:http:upload:0": "get" } },
        }),
    ],
    ["ejabberd (no XEP-0356 IQ permission in 23.01)", () => startEjabberd({ componentDomain: GW })],
  ])("through %s", (_name, startServer) => {
    it("invites carol to lobby from the gateway and tells the operator what to grant", async () => {
      const server = await startServer();
      const { gateway, log } = await carolLoggedIn(server, await createTestDatabase(driver, cleanups));
      const result = await runClient(server, ["--wait-invitation"]);
      expect(result.error, result.stderr).toBeUndefined();
      expect(result.invitations).toEqual([
        {
          from: GW,
          jid: LOBBY,
          reason: "Your group on Demo (Gangway)",
          body: `You are in the group Lobby (${LOBBY}): join it at xmpp:${LOBBY}?join`,
        },
      ]);
      // Remembered, so the next login does not invite again (the core's tests restart on it).
      const user = await gateway.store.users.get(USER);
      expect(await gateway.store.roomBookmarks.listForUser(user!.id)).toEqual(
        new Map([["lobby", "invitation"]]),
      );
      const advice = log
        .warnings()
        .filter((entry) => entry.msg.includes("http://jabber.org/protocol/pubsub"));
      expect(advice).toHaveLength(1);
      expect(advice[0]!.msg).toContain("XEP-0249 invitations");
    });

    it("destroys lobby under carol's joined client", async () => {
      const server = await startServer();
      const { gateway } = await carolLoggedIn(server, await createTestDatabase(driver, cleanups));
      const result = await removedWhileJoined(server, gateway, []);
      expect(result.error, result.stderr).toBeUndefined();
      expect(result.destroyed).toEqual(DESTROYED);
    });
  });
});
