import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, readRepoFile, substitute } from "./markdown.js";
import { run } from "./processes.js";

const UNIT = "docs/deployment/systemd/gangway@.service";

/** The unit's `Key=value` settings, in order (a key may repeat). */
function settings(unit: string): [string, string][] {
  return unit
    .split("\n")
    .map((line) => /^([A-Za-z]+)=(.*)$/.exec(line.trim()))
    .filter((match) => match !== null)
    .map((match) => [match[1]!, match[2]!]);
}

describe("the systemd unit in docs/deployment/systemd", () => {
  const unit = readRepoFile(UNIT);
  let dir: string;
  let instance: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gangway-docs-systemd-"));
    // verify checks that ExecStart's program exists: the demo gateway's, as built in this repository.
    instance = join(dir, "gangway@demo.service");
    const runnable = substitute(unit, [
      {
        from: "/usr/local/bin/gangway-%i",
        to: `${process.execPath} ${REPO_ROOT}/apps/demo-gateway/dist/bin.js`,
      },
    ]);
    await writeFile(instance, runnable);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("passes systemd-analyze verify without a single warning", async () => {
    const verified = await run("systemd-analyze", ["verify", instance]);
    expect(verified.stderr + verified.stdout).toBe("");
    expect(verified.code).toBe(0);
  });

  it("keeps the hardening the docs describe, and leaves MemoryDenyWriteExecute unset for V8", () => {
    const set = new Map(settings(unit));
    expect(set.has("MemoryDenyWriteExecute")).toBe(false);
    expect(Object.fromEntries(set)).toMatchObject({
      DynamicUser: "yes",
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ReadWritePaths: "/var/lib/gangway-%i",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      SystemCallFilter: "@system-service",
      EnvironmentFile: "/etc/gangway/%i.env",
      RestartPreventExitStatus: "2",
    });
  });

  it("is rated well by systemd-analyze security", async () => {
    const rated = await run("systemd-analyze", ["security", "--offline=true", instance]);
    const exposure = /Overall exposure level for gangway@demo\.service: ([\d.]+)/.exec(rated.stdout);
    expect(exposure, rated.stdout + rated.stderr).not.toBeNull();
    // operations.md quotes about 1.7; dropping any of the options above raises it.
    expect(Number(exposure![1])).toBeLessThanOrEqual(2);
  });
});
