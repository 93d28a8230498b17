import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptsConnections, ProsodyNotInstalledError, type ProsodyServer, startProsody } from "./prosody.js";

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

describe("startProsody", () => {
  let prosody: ProsodyServer;

  beforeAll(async () => {
    prosody = await startProsody({
      extraComponents: [{ domain: "second.localhost", secret: "second-secret" }],
    });
  });
  afterAll(async () => {
    await prosody.stop();
  });

  it("listens on distinct loopback ports and reports its settings", async () => {
    expect(prosody.domain).toBe("localhost");
    expect(prosody.componentDomain).toBe("gateway.localhost");
    expect(prosody.componentSecret).toMatch(/^[0-9a-f]{24}$/);
    expect(prosody.uploadDomain).toBe("upload.localhost");
    expect(new Set([prosody.c2sPort, prosody.componentPort, prosody.httpPort]).size).toBe(3);
    expect(await acceptsConnections(prosody.c2sPort)).toBe(true);
    expect(await acceptsConnections(prosody.componentPort)).toBe(true);
    expect(await acceptsConnections(prosody.httpPort)).toBe(true);
    expect(processAlive(prosody.pid)).toBe(true);
    expect(prosody.components).toEqual([
      { domain: "gateway.localhost", secret: prosody.componentSecret },
      { domain: "second.localhost", secret: "second-secret" },
    ]);
  });

  it("grants mod_privilege on the host and enables it on the gateway component only", () => {
    const config = readFileSync(prosody.configPath, "utf8");
    expect(config).toContain("run_as_root = true");
    expect(config).toMatch(
      /privileged_entities = \{\s*\["gateway\.localhost"\] = \{\s*roster = "both";\s*message = "outgoing";\s*presence = "roster";/,
    );
    expect(config).toMatch(/Component "gateway\.localhost"\n[^\n]*\n {2}modules_enabled = \{ "privilege" \}/);
    expect(config).not.toMatch(/Component "second\.localhost"\n[^\n]*\n {2}modules_enabled/);
  });

  it("captures the console output", () => {
    expect(prosody.logs()).toContain(`Activated service 'c2s' on [127.0.0.1]:${prosody.c2sPort}`);
    expect(existsSync(prosody.logFile)).toBe(true);
  });

  it("restarts on the same ports with a new process and the same data", async () => {
    const before = { pid: prosody.pid, c2s: prosody.c2sPort, component: prosody.componentPort };
    const started = performance.now();
    await prosody.restart();
    console.info(`prosody restart took ${(performance.now() - started).toFixed(0)} ms`);
    expect(prosody.pid).not.toBe(before.pid);
    expect(processAlive(before.pid)).toBe(false);
    expect([prosody.c2sPort, prosody.componentPort]).toEqual([before.c2s, before.component]);
    expect(await acceptsConnections(prosody.c2sPort)).toBe(true);
    expect(await acceptsConnections(prosody.componentPort)).toBe(true);
    expect(prosody.logs()).toContain("--- gangway: restarting Prosody ---");
  });
});

describe("stopping", () => {
  it("kills our process, frees the ports and removes the temp dir", async () => {
    const started = performance.now();
    const prosody = await startProsody({ upload: false, privileges: false });
    const startMs = performance.now() - started;
    const { pid, dir, c2sPort, componentPort } = prosody;
    expect(readFileSync(prosody.configPath, "utf8")).not.toContain("privileged_entities = {\n    [");
    const stopStarted = performance.now();
    await prosody.stop();
    console.info(
      `prosody start ${startMs.toFixed(0)} ms, stop ${(performance.now() - stopStarted).toFixed(0)} ms`,
    );
    expect(processAlive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(await acceptsConnections(c2sPort)).toBe(false);
    expect(await acceptsConnections(componentPort)).toBe(false);
    await prosody.stop(); // idempotent
    await expect(prosody.restart()).rejects.toThrow(/stopped/);
  });

  it("two servers run side by side on different ports", async () => {
    const [a, b] = await Promise.all([startProsody(), startProsody()]);
    try {
      const ports = [a.c2sPort, a.componentPort, a.httpPort, b.c2sPort, b.componentPort, b.httpPort];
      expect(new Set(ports).size).toBe(6);
      expect(a.dir).not.toBe(b.dir);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it("does not leave Prosody behind when the test process is SIGKILLed", async () => {
    const moduleUrl = new URL("./prosody.ts", import.meta.url).href;
    // A child node process starts Prosody, prints its pid, and is then killed without any cleanup.
    const script = `
      const { startProsody } = await import(${JSON.stringify(moduleUrl)});
      const p = await startProsody({ upload: false });
      console.log(JSON.stringify({ pid: p.pid, dir: p.dir }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const { pid, dir } = JSON.parse(line) as { pid: number; dir: string };
    try {
      expect(processAlive(pid)).toBe(true);
      child.kill("SIGKILL");
      expect(await waitUntil(() => !processAlive(pid), 10_000)).toBe(true);
      expect(await waitUntil(() => !existsSync(dir), 10_000)).toBe(true);
    } finally {
      // Only reached with a live Prosody if the watchdog failed: clean up what this test started.
      if (processAlive(pid)) process.kill(pid, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("errors", () => {
  it("says how to install Prosody when it is missing", async () => {
    const attempt = startProsody({ prosodyPath: "/nonexistent/prosody" });
    await expect(attempt).rejects.toBeInstanceOf(ProsodyNotInstalledError);
    await expect(attempt).rejects.toThrow("apt-get install prosody prosody-modules");
  });

  it("rejects component domains that would break the config", async () => {
    await expect(startProsody({ componentDomain: 'evil"domain' })).rejects.toThrow(
      /Invalid component domain/,
    );
  });
});
