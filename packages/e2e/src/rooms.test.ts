import { fileURLToPath } from "node:url";
import {
  type EjabberdServer,
  type ProsodyServer,
  runSlixmppClient,
  startEjabberd,
  startProsody,
} from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { runJsonScript } from "./python-script.js";
import { Cleanups, GW, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * The demo's group `lobby` joined by slixmpp's own MUC plugin (XEP-0045) through a real Prosody and
 * a real ejabberd: occupants, self-presence, subject, a message, its reflection and echo's answer;
 * then every message feature both ways (muc_features.py).
 */

const SCRIPT = fileURLToPath(new URL("../scripts/muc_client.py", import.meta.url));
const FEATURES_SCRIPT = fileURLToPath(new URL("../scripts/muc_features.py", import.meta.url));
const LOBBY = `lobby@${GW}`;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

interface MucResult {
  ok: boolean;
  error?: string;
  self_nick?: string;
  self_codes?: number[];
  subject?: string | null;
  occupants?: string[];
  history?: string[];
  messages: { from: string; id: string; body: string }[];
}

type Server = ProsodyServer | EjabberdServer;

const SERVERS: readonly [string, () => Promise<Server>][] = [
  ["Prosody", () => startProsody({ componentDomain: GW })],
  ["ejabberd", () => startEjabberd({ componentDomain: GW })],
];

interface FeaturesResult {
  ok: boolean;
  error?: string;
  steps: Record<string, unknown>;
}

function runMucClient<R extends object = MucResult>(
  server: Server,
  args: Record<string, string>,
  script = SCRIPT,
): Promise<R & { stderr: string }> {
  const argv = ["--host", server.host ?? "127.0.0.1", "--port", String(server.c2sPort)];
  for (const [name, value] of Object.entries(args)) argv.push(`--${name}`, value);
  return runJsonScript<R>(script, argv, { timeoutMs: 30_000, what: "MUC client" });
}

onEachDriver((driver) => {
  describe.each(SERVERS)("rooms through %s with slixmpp's MUC plugin", (_name, startServer) => {
    /** A server, the demo gateway, and carol registered with it, as a user does once. */
    async function carolRegistered(): Promise<Server> {
      const server = await startServer();
      cleanups.add(() => server.stop());
      await startDemoGateway(server, cleanups, { database: await createTestDatabase(driver, cleanups) });
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
      return server;
    }

    it("joins lobby: occupants and subject, then 'hi' is reflected and echo answers", async () => {
      const server = await carolRegistered();

      const result = await runMucClient(server, {
        jid: "carol@localhost/muc",
        password: "pw",
        room: LOBBY,
        nick: "carol",
        say: "hi",
        "expect-from": "echo",
      });
      expect(result.error, result.stderr).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.self_nick).toBe("carol");
      expect(result.self_codes).toEqual([100, 110]);
      expect(result.occupants).toEqual(["alice", "bob", "carol", "echo"]);
      expect(result.subject).toContain("echo repeats it");
      const bodies = result.messages.map((m) => [m.from, m.body]);
      expect(bodies).toContainEqual([`${LOBBY}/carol`, "hi"]);
      expect(bodies).toContainEqual([`${LOBBY}/echo`, "echo: hi"]);
    });

    it("carries every message feature both ways, and the user's moderation, kick and subject", async () => {
      const server = await carolRegistered();
      const result = await runMucClient<FeaturesResult>(
        server,
        { jid: "carol@localhost/muc", password: "pw", room: LOBBY, nick: "carol" },
        FEATURES_SCRIPT,
      );
      expect(result.error, result.stderr).toBeUndefined();
      expect(result.steps).toEqual({
        text: "echo: hi",
        correction: { body: "echo: hello", replaces: true },
        reply: { to_echo_answer: true },
        reaction: { on_own_message: true, emojis: ["👍"] },
        marker: { displayed_own: true },
        mention: { body: "carol: echo: alice, echo: ping", uri: `xmpp:${LOBBY}/carol`, begin: "0", end: "5" },
        retraction: { of_echo_answer: true },
        moderation: { of: true, by: `${LOBBY}/carol`, reason: "tidy" },
        kick: { codes: [307] },
        subject: { from: `${LOBBY}/carol` },
      });
      expect(result.ok).toBe(true);
    });
  });
});
