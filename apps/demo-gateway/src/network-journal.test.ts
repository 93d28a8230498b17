import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_STATE_FILE, DemoNetwork } from "./network.js";
import { sendLogOf } from "./network-journal.js";

/** A message the user sent is on disk when sendMessage returns, before the state file's write. */
describe("the demo network's send log", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function stateFile(): string {
    const dir = mkdtempSync(join(tmpdir(), "gangway-demo-journal-"));
    dirs.push(dir);
    return join(dir, DEMO_STATE_FILE);
  }

  it("a network killed before its state write still has the sends and echo's answers", () => {
    const file = stateFile();
    // A write delay nobody reaches: as a SIGKILL before it.
    const killed = new DemoNetwork({ stateFile: file, delayMs: 60_000 });
    const client = killed.login("romeo", "x");
    const first = client.sendMessage("echo", "one");
    const second = client.sendMessage("echo", "two");
    expect(existsSync(file)).toBe(false);
    expect(statSync(sendLogOf(file)).mode & 0o777).toBe(0o600);

    const after = new DemoNetwork({ stateFile: file }).login("romeo", "x");
    const replayed: string[] = [];
    after.on("message", (e) => replayed.push(e.text));
    after.replay(undefined);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        expect(replayed).toEqual(["echo: one", "echo: two"]);
        // Ids go on after the logged ones.
        const next = after.sendMessage("echo", "three");
        expect([first, second]).not.toContain(next);
        resolve();
      }),
    );
  });

  it("is removed by the state file's write, and applying it again changes nothing", async () => {
    const file = stateFile();
    const network = new DemoNetwork({ stateFile: file, delayMs: 60_000 });
    const client = network.login("romeo", "x");
    client.sendMessage("echo", "one");
    const log = readFileSync(sendLogOf(file), "utf8");
    network.flush();
    expect(existsSync(sendLogOf(file))).toBe(false);
    // As a kill between the state's write and the log's removal leaves them.
    writeFileSync(sendLogOf(file), log);
    const after = new DemoNetwork({ stateFile: file }).login("romeo", "x");
    const replayed: string[] = [];
    after.on("message", (e) => replayed.push(e.text));
    after.replay(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(replayed).toEqual(["echo: one"]);
  });
});
