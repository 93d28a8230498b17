import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DemoLauncherError, selectDemoNetwork } from "./demo-launcher.js";

/** `pnpm demo [--network <name>] [gateway args…]`: which executable runs, with which arguments. */

const APPS = "/repo/apps";
const built = () => true;

describe("selectDemoNetwork", () => {
  it("runs the demo gateway by default, with every argument passed through", () => {
    const network = selectDemoNetwork(["--registration", "qr"], APPS, built);
    expect(network).toMatchObject({
      name: "demo",
      domain: "demo.localhost",
      bin: join(APPS, "demo-gateway", "dist", "bin.js"),
      args: ["--registration", "qr"],
    });
    expect(network.instructions).toContain("echo@demo.localhost");
  });

  it("--network messenger runs the Messenger gateway's bin on its fake backend; other arguments follow", () => {
    for (const argv of [
      ["--network", "messenger", "--log-level", "debug"],
      ["--log-level", "--network=messenger", "debug"],
    ]) {
      const network = selectDemoNetwork(argv, APPS, built);
      expect(network).toMatchObject({
        name: "messenger",
        domain: "messenger.localhost",
        bin: join(APPS, "messenger-gateway", "dist", "bin.js"),
      });
      expect(network.args).toEqual(["--backend", "fake", "--log-level", "debug"]);
    }
  });

  it("says how to try the Messenger gateway: any email, not 'wrong', the checkpoint code, alice.fb and Family", () => {
    const { instructions } = selectDemoNetwork(["--network", "messenger"], APPS, built);
    expect(instructions).toContain('any password except "wrong"');
    expect(instructions).toContain('starts with "checkpoint"');
    expect(instructions).toContain("123456");
    expect(instructions).toContain("alice.fb@messenger.localhost");
    expect(instructions).toContain("family@messenger.localhost");
  });

  it("an unknown network or a missing value is a clear error that does not repeat the input", () => {
    expect(() => selectDemoNetwork(["--network", "<b>icq</b>"], APPS, built)).toThrow(
      new DemoLauncherError("unknown --network; the demo runs: demo, messenger"),
    );
    expect(() => selectDemoNetwork(["--network"], APPS, built)).toThrow(
      new DemoLauncherError("--network needs a value: demo or messenger"),
    );
    expect(() => selectDemoNetwork(["--network", "--log-level"], APPS, built)).toThrow(DemoLauncherError);
  });

  it("a Messenger gateway that is not built: the error says how to build it", () => {
    const missing = (bin: string) => !bin.includes("messenger-gateway");
    expect(() => selectDemoNetwork(["--network", "messenger"], APPS, missing)).toThrow(
      new DemoLauncherError(
        'the Messenger gateway is not built (apps/messenger-gateway/dist/bin.js is missing): run "pnpm demo --network messenger" from the repository root, which builds it, or "pnpm --filter @gangway/messenger-gateway build"',
      ),
    );
    expect(selectDemoNetwork([], APPS, missing).name).toBe("demo");
  });
});
