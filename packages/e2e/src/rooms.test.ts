import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import {
  type EjabberdServer,
  type ProsodyServer,
  runSlixmppClient,
  startEjabberd,
  startProsody,
} from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { Cleanups, GW, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * The demo's group `lobby` joined by slixmpp's own MUC plugin (XEP-0045) through a real Prosody and
 * a real ejabberd: occupants, self-presence, subject, a message, its reflection and echo's answer.
 */

const SCRIPT = fileURLToPath(new URL("../scripts/muc_client.py", import.meta.url));
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

function runMucClient(server: Server, args: Record<string, string>): Promise<MucResult & { stderr: string }> {
  const argv = [SCRIPT, "--host", server.host ?? "127.0.0.1", "--port", String(server.c2sPort)];
  for (const [name, value] of Object.entries(args)) argv.push(`--${name}`, value);
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/python3", argv, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve({ ...(JSON.parse(line) as MucResult), stderr });
      } catch {
        reject(new Error(`no result from the MUC client: ${stdout}\n${stderr}`));
      }
    });
  });
}

onEachDriver((driver) => {
  describe.each(SERVERS)("rooms through %s with slixmpp's MUC plugin", (_name, startServer) => {
    it("joins lobby: occupants and subject, then 'hi' is reflected and echo answers", async () => {
      const server = await startServer();
      cleanups.add(() => server.stop());
      await startDemoGateway(server, cleanups, { database: await createTestDatabase(driver, cleanups) });
      // Registered with the gateway first, as a user does once.
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
  });
});
