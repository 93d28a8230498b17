import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { connectClient } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { Cleanups, GW, registerWithGateway } from "./support.js";

/**
 * `pnpm demo` as a newcomer meets it: the launcher starts a Prosody and the gateway; Ctrl-C (SIGINT
 * to the whole process group, as a terminal sends it) must end everything, with a user logged in,
 * and leave no temp dir behind — once, or twice in a row.
 */

const require = createRequire(import.meta.url);
const LAUNCHER = join(
  dirname(require.resolve("@gangway/demo-gateway/package.json")),
  "dist",
  "demo-launcher.js",
);
const HOME_PREFIX = "gangway-demo-home-";

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function homeDirs(): Promise<string[]> {
  return (await readdir(tmpdir())).filter((name) => name.startsWith(HOME_PREFIX));
}

function launch(): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  // Its own process group, like a shell's foreground job: a signal to the group reaches every child.
  const child = spawn(process.execPath, [LAUNCHER], { detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  cleanups.add(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  });
  return { child, output: () => output, exited };
}

async function waitFor(output: () => string, pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (Date.now() > until) throw new Error(`no ${pattern} in:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("pnpm demo (the launcher)", () => {
  for (const presses of [1, 2]) {
    it(`Ctrl-C ${presses === 1 ? "once" : "twice"} with a logged-in user ends everything and removes the temp dirs`, async () => {
      const before = await homeDirs();
      const demo = launch();
      await waitFor(demo.output, /Gangway demo is running/);
      const password = (await waitFor(demo.output, /Password:\s+(\S+)/))[1]!;
      const port = Number((await waitFor(demo.output, /port (\d+)/))[1]);
      const client = await connectClient({
        server: { c2sPort: port, domain: "localhost" },
        username: "demo",
        password,
      });
      await registerWithGateway(client, "newcomer");
      await client.stop();
      const started = await homeDirs();
      expect(started.length).toBe(before.length + 1);

      for (let i = 0; i < presses; i++) {
        process.kill(-demo.child.pid!, "SIGINT");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const signalledAt = Date.now();
      const code = await Promise.race([
        demo.exited,
        new Promise((resolve) => setTimeout(() => resolve("still running"), 20_000)),
      ]);
      expect(code, demo.output()).not.toBe("still running");
      console.log(`Ctrl-C ×${presses}: the launcher ended ${Date.now() - signalledAt} ms later`);
      expect(demo.output()).toContain("demo stopped");
      expect(await homeDirs()).toEqual(before);
    });
  }

  it("when the gateway dies, the launcher stops Prosody, removes the temp dirs and exits with an error", async () => {
    const before = await homeDirs();
    const demo = launch();
    await waitFor(demo.output, /Gangway demo is running/);
    const gatewayPid = Number(
      execFileSync("pgrep", ["-P", String(demo.child.pid), "-f", "bin.js"], { encoding: "utf8" }).trim(),
    );
    expect(gatewayPid).toBeGreaterThan(0);
    process.kill(gatewayPid, "SIGKILL");
    const code = await Promise.race([
      demo.exited,
      new Promise((resolve) => setTimeout(() => resolve("still running"), 20_000)),
    ]);
    expect(code, demo.output()).toBe(1);
    expect(demo.output()).toContain("the demo gateway exited unexpectedly");
    expect(demo.output()).toContain("demo stopped");
    expect(await homeDirs()).toEqual(before);
  });
});
