import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKeyMaterial, openStore, SecretBox } from "@gangway/store";
import { type ProsodyServer, startProsody } from "@gangway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS, CLEAN_ENV, runApp } from "./apps.js";
import { REPO_ROOT, readRepoFile } from "./markdown.js";
import { Child, freePorts } from "./processes.js";

const demo = APPS[0];
/** The README with its line breaks as spaces: a claim may wrap anywhere. */
const README = readRepoFile("README.md").replace(/\s+/g, " ");

/** The exit codes the README and docs/deployment/operations.md promise, from the real executable. */
describe("the documented exit codes", () => {
  let home: string;
  let prosody: ProsodyServer;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), "gangway-docs-exit-"));
    prosody = await startProsody({ componentDomain: "demo.localhost" });
  });

  afterAll(async () => {
    await prosody?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it("2: a configuration error, saying what to fix", async () => {
    expect(README).toContain("`2` = configuration error");
    const result = await runApp(demo, ["--secret", "s3cret-value", "--home-dir", join(home, "config")]);
    expect(result.stderr).toContain("configuration error");
    expect(result.stderr).toContain("jid");
    expect(result.stderr).not.toContain("s3cret-value");
    expect(result.code).toBe(2);
  });

  it("3: the XMPP server refuses the component's secret", async () => {
    expect(README).toContain("`3` = could not start");
    const result = await runApp(demo, [
      ...["--jid", "demo.localhost", "--secret", "not-the-secret", "--port", String(prosody.componentPort)],
      ...["--home-dir", join(home, "secret")],
    ]);
    expect(result.stdout).toContain("could not start the gateway");
    expect(result.code).toBe(3);
  });

  it("3: the secret key does not open the stored data (and the key is not printed)", async () => {
    const dir = join(home, "key");
    const sealedWith = generateKeyMaterial();
    await mkdir(dir);
    const secretBox = SecretBox.fromMaterial(sealedWith);
    const store = await openStore({ driver: "sqlite", file: join(dir, "gangway.sqlite"), secretBox });
    await store.users.create({ jid: "romeo@localhost", registration: { password: "legacy-pw" } });
    await store.close();
    const otherKey = generateKeyMaterial();
    const result = await runApp(demo, [
      ...[
        "--jid",
        "demo.localhost",
        "--secret",
        prosody.componentSecret,
        "--port",
        String(prosody.componentPort),
      ],
      ...["--home-dir", dir, "--secret-key", otherKey],
    ]);
    expect(result.stdout).toContain("could not start the gateway");
    expect(result.stdout).toContain("pass that key as a previous secret key");
    expect(result.stdout + result.stderr).not.toContain(otherKey);
    expect(result.stdout + result.stderr).not.toContain("legacy-pw");
    expect(result.code).toBe(3);
  });

  it("an unreachable XMPP server is no exit: the gateway keeps retrying", async () => {
    expect(README).toContain("is not an exit: the gateway keeps retrying");
    const [closedPort] = await freePorts(1);
    const gateway = new Child(
      process.execPath,
      [
        join(REPO_ROOT, demo.dir, "dist/bin.js"),
        ...["--jid", "demo.localhost", "--secret", "x", "--port", String(closedPort)],
        ...["--home-dir", join(home, "unreachable")],
      ],
      { env: CLEAN_ENV },
    );
    try {
      const retries = () => gateway.output.split("could not connect the component; retrying").length - 1;
      await gateway.waitFor("three connection attempts", () => retries() >= 3);
      expect(gateway.running).toBe(true);
    } finally {
      // SIGKILL: a SIGTERM before the first time online is only acted on once online (operations.md).
      gateway.process.kill("SIGKILL");
    }
  });

  it("--check: 3 when it cannot connect", async () => {
    const [closedPort] = await freePorts(1);
    const result = await runApp(demo, [
      ...["--check", "--jid", "demo.localhost", "--secret", "x", "--port", String(closedPort)],
      ...["--home-dir", join(home, "check")],
    ]);
    expect(result.code).toBe(3);
  });
});
