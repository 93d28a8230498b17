import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { runSlixmppClient } from "@gangway/testing";
import { afterEach, describe, expect, it } from "vitest";
import { ALICE, BOB, loggedIn, MESSENGER } from "./messenger-support.js";
import { Cleanups } from "./support.js";

/**
 * `pnpm demo --network messenger` as a newcomer meets it: the launcher starts a Prosody and
 * `gangway-messenger --backend fake`, prints an account; a slixmpp client logs in with it,
 * registers with the gateway through the login checkpoint (code 123456), sees alice.fb and bob.fb
 * in its roster and gets alice.fb's answer; Ctrl-C (SIGINT to the process group, as a terminal
 * sends it) then ends everything: the launcher, the gateway, Prosody and the temp dirs.
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

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The processes whose parent is `pid`, with their command lines. */
function childrenOf(pid: number): Array<{ pid: number; command: string }> {
  const found = spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).stdout;
  return found
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const child = Number(line);
      let command = "";
      try {
        command = readFileSync(`/proc/${child}/cmdline`, "utf8").replaceAll("\0", " ");
      } catch {} // gone meanwhile
      return { pid: child, command };
    });
}

function launch(args: readonly string[]) {
  // Its own process group, like a shell's foreground job: a signal to the group reaches every child.
  const child: ChildProcess = spawn(process.execPath, [LAUNCHER, ...args], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const waiters = new Set<() => void>();
  const onOutput = (d: Buffer) => {
    output += d;
    for (const check of waiters) check();
  };
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  cleanups.add(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, "SIGKILL");
  });
  /** Resolves with the first match of `pattern` in the output so far or to come; rejects if the launcher exits first. */
  const waitFor = (pattern: RegExp, timeoutMs = 90_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = output.match(pattern);
        if (!match) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve(match);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no ${pattern} in:\n${output}`));
      }, timeoutMs);
      waiters.add(check);
      void exited.then(() => {
        check();
        if (waiters.delete(check)) {
          clearTimeout(timer);
          reject(new Error(`the launcher exited without ${pattern}:\n${output}`));
        }
      });
      check();
    });
  return { child, output: () => output, exited, waitFor };
}

describe("pnpm demo --network messenger (the launcher)", () => {
  it("prints an account and instructions; registration with a checkpoint, friends, alice.fb's answer; Ctrl-C ends everything", async () => {
    const before = await homeDirs();
    const demo = launch(["--network", "messenger"]);
    await demo.waitFor(/Gangway demo is running \(network: messenger\)/);
    const jid = (await demo.waitFor(/JID:\s+(\S+)/))[1]!;
    const password = (await demo.waitFor(/Password:\s+(\S+)/))[1]!;
    const port = Number((await demo.waitFor(/port (\d+)/))[1]);
    expect(demo.output()).toContain(`register with the gateway ${MESSENGER}`);
    expect(demo.output()).toContain("123456");
    expect(demo.output()).toContain(`family@${MESSENGER}`);
    expect(await homeDirs()).toHaveLength(before.length + 1);

    const email = "checkpoint.newcomer@example.org";
    const run = await runSlixmppClient({
      server: { c2sPort: port, domain: "localhost" },
      jid,
      password,
      adhoc: {
        jid: MESSENGER,
        node: "jabber:iq:register",
        stages: [{ values: { email, password: "anything" } }, { values: { code: "123456" } }, { values: {} }],
      },
      raw: {
        steps: [
          loggedIn(email),
          {
            send: `<message type="chat" to="${ALICE}" id="hello"><body>hello from the demo</body></message>`,
          },
          {
            expect: {
              from: ALICE,
              body: "^seen: hello from the demo$",
              has: "{urn:xmpp:reply:0}reply[@id='hello']",
            },
            timeoutMs: 60_000,
          },
        ],
      },
      fetchRoster: true,
      waitForRosterItems: [ALICE, BOB],
      timeoutMs: 120_000,
    });
    expect(run.rawError ?? run.adhocError ?? run.errors, `${run.stderr}\n${demo.output()}`).toEqual([]);
    expect(run.adhocStages.map((stage) => stage.form?.title ?? stage.status)).toEqual([
      "Registration to 'Facebook Messenger (Gangway)'",
      "Facebook login code",
      "Preferences",
      "completed",
    ]);
    expect(
      run
        .roster!.filter((item) => item.jid.endsWith(`@${MESSENGER}`))
        .map((item) => item.name)
        .sort(),
    ).toEqual(["Alice Facebook", "Bob Facebook"]);

    // The Prosody and the gateway the launcher started: its children (by PID), gone after Ctrl-C.
    const children = childrenOf(demo.child.pid!);
    expect(children.map((c) => c.command).join("\n")).toMatch(/prosody/);
    expect(children.map((c) => c.command).join("\n")).toMatch(
      /messenger-gateway\/dist\/bin\.js --backend fake/,
    );
    process.kill(-demo.child.pid!, "SIGINT");
    const code = await Promise.race([
      demo.exited,
      new Promise((resolve) => setTimeout(() => resolve("still running"), 60_000)),
    ]);
    expect(code, demo.output()).toBe(0);
    expect(demo.output()).toContain("demo stopped");
    expect(await homeDirs()).toEqual(before);
    expect(children.filter((c) => isRunning(c.pid))).toEqual([]);
  }, 240_000);

  it("an unknown network: a clear error, exit code 1, nothing started", async () => {
    const before = await homeDirs();
    const demo = launch(["--network", "icq"]);
    expect(await demo.exited).toBe(1);
    expect(demo.output()).toContain("unknown --network; the demo runs: demo, messenger");
    expect(demo.output()).not.toContain("icq");
    expect(await homeDirs()).toEqual(before);
  }, 60_000);
});
