/**
 * `pnpm demo`: a throwaway Prosody in a temp dir, a gateway on the embedded database, and an
 * account to log in with from any XMPP client. Ctrl-C stops everything.
 *
 * `--network demo` (the default) runs the demo gateway; `--network messenger` runs the Messenger
 * gateway (apps/messenger-gateway) on its fake Messenger cloud. The Messenger app is spawned by
 * its built bin's path in the workspace, never imported: the demo gateway does not depend on it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, realpathSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { ProsodyNotInstalledError, type ProsodyServer, startProsody } from "@gangway/testing";

/** The gateway stops by itself within seconds even with Prosody gone; past this it is killed. */
const GATEWAY_STOP_MS = 8000;
/** apps/: this file runs from apps/demo-gateway/dist (or src, under the tests). */
const APPS_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export const DEMO_NETWORKS = ["demo", "messenger"] as const;
export type DemoNetworkName = (typeof DEMO_NETWORKS)[number];

/** What the launcher runs for a network, and what it tells the newcomer. */
export interface DemoNetwork {
  name: DemoNetworkName;
  /** The gateway's component domain. */
  domain: string;
  /** Who the gateway is, in messages: "the demo gateway". */
  label: string;
  /** The built executable to spawn. */
  bin: string;
  /** Its arguments: the network's own, then every launcher argument other than --network. */
  args: string[];
  /** How to try it, once the gateway runs (printed after the account). */
  instructions: string;
}

/** A launcher argument that cannot work; the message says what to do (and never repeats the input). */
export class DemoLauncherError extends Error {}

function networkOf(name: DemoNetworkName, appsDir: string, passThrough: string[]): DemoNetwork {
  if (name === "messenger") {
    const domain = "messenger.localhost";
    return {
      name,
      domain,
      label: "Messenger gateway",
      bin: join(appsDir, "messenger-gateway", "dist", "bin.js"),
      args: ["--backend", "fake", ...passThrough],
      instructions: `  Then register with the gateway ${domain} (Facebook Messenger on a fake cloud: no account needed)
  with its "Register" command (ad-hoc commands), or send "register" to ${domain} in a chat:
  any email, any password except "wrong"; an email that starts with "checkpoint"
  (e.g. checkpoint@example.org) asks for a login code: 123456.
  Your friends alice.fb@${domain} (she answers "seen: …") and bob.fb@${domain} appear
  in your roster; join the group family@${domain}.`,
    };
  }
  const domain = "demo.localhost";
  return {
    name,
    domain,
    label: "demo gateway",
    bin: join(appsDir, "demo-gateway", "dist", "bin.js"),
    args: passThrough,
    instructions: `  Then register with the gateway ${domain} (any username; any password except "wrong")
  and send "hi" to echo@${domain}.`,
  };
}

/**
 * Which gateway `argv` (the launcher's arguments) asks for: `--network <name>` or
 * `--network=<name>`, default `demo`; every other argument is passed to the gateway. Throws
 * {@link DemoLauncherError} for an unknown network or a gateway that is not built.
 */
export function selectDemoNetwork(
  argv: readonly string[],
  appsDir = APPS_DIR,
  isBuilt: (bin: string) => boolean = existsSync,
): DemoNetwork {
  let name: string | undefined;
  const passThrough: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--network") {
      name = argv[++i];
      if (name === undefined || name.startsWith("-"))
        throw new DemoLauncherError(`--network needs a value: ${DEMO_NETWORKS.join(" or ")}`);
    } else if (arg.startsWith("--network=")) {
      name = arg.slice("--network=".length);
    } else {
      passThrough.push(arg);
    }
  }
  name ??= "demo";
  if (!(DEMO_NETWORKS as readonly string[]).includes(name))
    throw new DemoLauncherError(`unknown --network; the demo runs: ${DEMO_NETWORKS.join(", ")}`);
  const network = networkOf(name as DemoNetworkName, appsDir, passThrough);
  if (!isBuilt(network.bin)) {
    const app = relative(appsDir, join(network.bin, "..", ".."));
    throw new DemoLauncherError(
      `the ${network.label} is not built (${join("apps", relative(appsDir, network.bin))} is missing): ` +
        `run "pnpm demo${name === "demo" ? "" : ` --network ${name}`}" from the repository root, which builds it, ` +
        `or "pnpm --filter @gangway/${app} build"`,
    );
  }
  return network;
}

function waitForLine(child: ChildProcess, label: string, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the ${label} did not come online in time`)), timeoutMs);
    let buffered = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      if (pattern.test(buffered)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the ${label} exited with code ${code}:\n${buffered}`));
    });
  });
}

async function main(): Promise<void> {
  let network: DemoNetwork;
  try {
    network = selectDemoNetwork(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof DemoLauncherError)) throw err;
    console.error(err.message);
    process.exitCode = 1;
    return;
  }
  let prosody: ProsodyServer;
  try {
    prosody = await startProsody({ componentDomain: network.domain });
  } catch (err) {
    if (err instanceof ProsodyNotInstalledError) {
      console.error(`${err.message}\n(on Debian/Ubuntu: sudo apt-get install -y prosody prosody-modules)`);
      process.exitCode = 1;
      return;
    }
    throw err;
  }
  const homeDir = await mkdtemp(join(tmpdir(), "gangway-demo-home-"));
  const password = randomBytes(6).toString("hex");
  await prosody.registerUser("demo", password);

  // `pnpm demo --registration qr` etc.: extra arguments go to the gateway.
  const gateway = spawn(process.execPath, [network.bin, ...network.args], {
    env: {
      ...process.env,
      GANGWAY_JID: network.domain,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
      GANGWAY_HOME_DIR: homeDir,
      // QR codes (`--registration qr`) are uploaded there and shown as images.
      ...(prosody.uploadDomain ? { GANGWAY_UPLOAD_SERVICE: prosody.uploadDomain } : {}),
      GANGWAY_LOG_LEVEL: process.env.GANGWAY_LOG_LEVEL ?? "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });

  // Ctrl-C once: a clean stop (the gateway has seconds to log out); again: no more waiting. On
  // every path Prosody is stopped and the home dir, which holds the secret key, is removed.
  let stopping: Promise<void> | undefined;
  const stopAll = (): Promise<void> => {
    if (stopping) {
      if (gateway.exitCode === null && gateway.signalCode === null) gateway.kill("SIGKILL");
      return stopping;
    }
    stopping = (async () => {
      console.info("\nstopping the demo… (Ctrl-C again not to wait for the gateway)");
      if (gateway.exitCode === null && gateway.signalCode === null) {
        const exited = new Promise((resolve) => gateway.once("exit", resolve));
        gateway.kill("SIGTERM");
        const hurry = setTimeout(() => gateway.kill("SIGKILL"), GATEWAY_STOP_MS);
        await exited;
        clearTimeout(hurry);
      }
      await prosody.stop().catch((err) => console.error(`could not stop Prosody: ${err}`));
      await rm(homeDir, { recursive: true, force: true });
      console.info("demo stopped");
    })();
    return stopping;
  };
  process.on("SIGINT", () => void stopAll());
  process.on("SIGTERM", () => void stopAll());

  try {
    await waitForLine(gateway, network.label, /"msg":"gateway running"/, 30_000);
  } catch (err) {
    console.error((err as Error).message);
    await stopAll();
    process.exitCode = 1;
    return;
  }
  gateway.stdout?.pipe(process.stdout);
  console.info(`
Gangway demo is running${network.name === "demo" ? "" : ` (network: ${network.name})`}.

  Log in with any XMPP client (no TLS, plain password allowed on loopback):
    JID:       demo@${prosody.domain}
    Password:  ${password}
    Server:    ${prosody.host}   port ${prosody.c2sPort}

${network.instructions}

  Ctrl-C stops everything and removes the temp dirs.
`);
  gateway.once("exit", (code) => {
    if (stopping === undefined) {
      console.error(`the ${network.label} exited unexpectedly (code ${code})`);
      void stopAll().then(() => {
        process.exitCode = 1;
      });
    }
  });
}

// Run as a program (`node dist/demo-launcher.js`), not when a test imports selectDemoNetwork.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
