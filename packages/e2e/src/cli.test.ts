import { type ChildProcess, type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connectClient, type ProsodyServer, registerAccount, startProsody } from "@gangway/testing";
import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

/** The built `gangway-demo` executable, run exactly as an operator runs it. */
const require = createRequire(import.meta.url);
const BIN = join(dirname(require.resolve("@gangway/demo-gateway/package.json")), "dist", "bin.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBin(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`gangway-demo did not exit in time\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in time:\n${out}`)), timeoutMs);
    child.stdout?.on("data", (d) => {
      out += d;
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    });
  });
}

describe("gangway-demo command line", () => {
  let home: string;
  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "gangway-cli-"));
  });
  afterAll(async () => {
    await rm(home, { recursive: true, force: true });
  });

  it("prints help with every option's env var and exits 0", async () => {
    const run = await runBin(["--help"]);
    expect(run.code).toBe(0);
    for (const name of [
      "GANGWAY_JID",
      "GANGWAY_SECRET",
      "GANGWAY_DB_URL",
      "GANGWAY_USER_JID_VALIDATOR",
      "--registration",
    ]) {
      expect(run.stdout).toContain(name);
    }
  });

  it("says the secret is missing and exits 2", async () => {
    const run = await runBin(["--jid", "demo.localhost", "--home-dir", home]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--secret (or GANGWAY_SECRET) is required");
  });

  it("exits 3 with a clear log line when the database is unreachable, without leaking its password", async () => {
    const run = await runBin([], {
      GANGWAY_JID: "demo.localhost",
      GANGWAY_SECRET: "s",
      GANGWAY_DB_URL: "postgres://gw:hunter2@127.0.0.1:1/gw",
    });
    expect(run.code).toBe(3);
    expect(run.stdout).toContain("could not start the gateway");
    expect(run.stdout).not.toContain("hunter2");
  });

  describe("against a real Prosody", () => {
    let prosody: ProsodyServer;
    beforeAll(async () => {
      prosody = await startProsody({ componentDomain: "demo.localhost" });
    });
    afterAll(async () => {
      await prosody?.stop();
    });

    /** The real executable against this Prosody, configured through the environment as an operator would. */
    function startGateway(homeDir: string, env: NodeJS.ProcessEnv = {}): ChildProcessWithoutNullStreams {
      return spawn(process.execPath, [BIN], {
        env: {
          PATH: process.env.PATH,
          GANGWAY_JID: "demo.localhost",
          GANGWAY_SECRET: prosody.componentSecret,
          GANGWAY_PORT: String(prosody.componentPort),
          GANGWAY_HOME_DIR: homeDir,
          ...env,
        },
      });
    }

    it("exits 3 on a wrong component secret, and never logs the secret", async () => {
      const run = await runBin([], {
        GANGWAY_JID: "demo.localhost",
        GANGWAY_SECRET: "not-the-secret",
        GANGWAY_PORT: String(prosody.componentPort),
        GANGWAY_HOME_DIR: home,
      });
      expect(run.code).toBe(3);
      expect(run.stdout).toMatch(/not-authorized|secret/i);
      expect(run.stdout).not.toContain("not-the-secret");
    });

    it("keeps a registered password out of every file under the home dir", async () => {
      const secretHome = await mkdtemp(join(tmpdir(), "gangway-cli-secret-"));
      const password = "S3cr3t-Xy7q";
      const child = startGateway(secretHome, { GANGWAY_LOG_LEVEL: "debug" });
      let logs = "";
      child.stdout.on("data", (d) => (logs += d));
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      try {
        await waitForOutput(child, /"msg":"gateway running"/);
        await registerAccount(prosody, "keeper", "pw");
        const client = await connectClient({ server: prosody, username: "keeper", password: "pw" });
        await client.request(
          parseXml(`<iq type="set" to="demo.localhost"><query xmlns="jabber:iq:register">
            <username>keeper-legacy</username><password>${password}</password></query></iq>`),
        );
        await client.waitFor(
          (s) => s.is("presence") && s.getChildText("status") === "Logged in as keeper-legacy",
        );
        await client.stop();
      } finally {
        child.kill("SIGTERM");
      }
      expect(await exited).toBe(0);

      const files = (await readdir(secretHome, { recursive: true, withFileTypes: true })).filter((e) =>
        e.isFile(),
      );
      expect(files.length).toBeGreaterThan(10); // the embedded database really is in there
      for (const file of files) {
        const content = await readFile(join(file.parentPath, file.name));
        expect(content.includes(password), `${file.parentPath}/${file.name} holds the password`).toBe(false);
      }
      expect((await stat(join(secretHome, "secret.key"))).mode & 0o777).toBe(0o600);
      expect(logs).not.toContain(password);
      await rm(secretHome, { recursive: true, force: true });
    });

    it("starts on the embedded database, and stops cleanly on SIGTERM with exit code 0", async () => {
      const child = startGateway(home);
      const out = await waitForOutput(child, /"msg":"gateway running"/);
      expect(out).toMatch(/"startupMs":\d+/);
      expect(out).not.toContain(prosody.componentSecret);
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    });
  });
});
