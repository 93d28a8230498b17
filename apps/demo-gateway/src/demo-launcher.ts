/**
 * `pnpm demo`: a throwaway Prosody in a temp dir, the demo gateway on the embedded database, and
 * an account to log in with from any XMPP client. Ctrl-C stops everything.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ProsodyNotInstalledError, type ProsodyServer, startProsody } from "@gangway/testing";

const GATEWAY_DOMAIN = "demo.localhost";
/** The gateway stops by itself within seconds even with Prosody gone; past this it is killed. */
const GATEWAY_STOP_MS = 8000;

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("the demo gateway did not come online in time")),
      timeoutMs,
    );
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
      reject(new Error(`the demo gateway exited with code ${code}:\n${buffered}`));
    });
  });
}

async function main(): Promise<void> {
  let prosody: ProsodyServer;
  try {
    prosody = await startProsody({ componentDomain: GATEWAY_DOMAIN });
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

  const bin = join(dirname(fileURLToPath(import.meta.url)), "bin.js");
  // `pnpm demo --registration qr` etc.: extra arguments go to the gateway.
  const gateway = spawn(process.execPath, [bin, ...process.argv.slice(2)], {
    env: {
      ...process.env,
      GANGWAY_JID: GATEWAY_DOMAIN,
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
    await waitForLine(gateway, /"msg":"gateway running"/, 30_000);
  } catch (err) {
    console.error((err as Error).message);
    await stopAll();
    process.exitCode = 1;
    return;
  }
  gateway.stdout?.pipe(process.stdout);
  console.info(`
Gangway demo is running.

  Log in with any XMPP client (no TLS, plain password allowed on loopback):
    JID:       demo@${prosody.domain}
    Password:  ${password}
    Server:    ${prosody.host}   port ${prosody.c2sPort}

  Then register with the gateway ${GATEWAY_DOMAIN} (any username; any password except "wrong")
  and send "hi" to echo@${GATEWAY_DOMAIN}.

  Ctrl-C stops everything and removes the temp dirs.
`);
  gateway.once("exit", (code) => {
    if (stopping === undefined) {
      console.error(`the demo gateway exited unexpectedly (code ${code})`);
      void stopAll().then(() => {
        process.exitCode = 1;
      });
    }
  });
}

await main();
