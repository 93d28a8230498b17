import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connectClient, type ProsodyServer, registerAccount, startProsody } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { Cleanups, GW, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * The demo's group `lobby` joined by slixmpp's own MUC plugin (XEP-0045) through a real Prosody:
 * occupants, self-presence, subject, a message, its reflection and echo's answer.
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

function runMucClient(
  prosody: ProsodyServer,
  args: Record<string, string>,
): Promise<MucResult & { stderr: string }> {
  const argv = [SCRIPT, "--host", prosody.host ?? "127.0.0.1", "--port", String(prosody.c2sPort)];
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
  describe("rooms through Prosody with slixmpp's MUC plugin", () => {
    it("joins lobby: occupants and subject, then 'hi' is reflected and echo answers", async () => {
      const prosody = await startProsody({ componentDomain: GW });
      cleanups.add(() => prosody.stop());
      await startDemoGateway(prosody, cleanups, { database: await createTestDatabase(driver, cleanups) });
      // Registered with the gateway from a first client, as a user does once.
      await registerAccount(prosody, "carol", "pw");
      const setup = await connectClient({ server: prosody, username: "carol", password: "pw" });
      cleanups.add(() => setup.stop());
      await setup.send(`<iq type="set" id="reg" to="${GW}"><query xmlns="jabber:iq:register">
        <x xmlns="jabber:x:data" type="submit">
          <field var="FORM_TYPE" type="hidden"><value>jabber:iq:register</value></field>
          <field var="username"><value>carol</value></field><field var="password"><value>S3cr3t-Xy7q</value></field>
        </x></query></iq>`);
      await setup.waitFor(
        (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === "Logged in as carol",
        15_000,
      );

      const result = await runMucClient(prosody, {
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
