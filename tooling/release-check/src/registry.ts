import { type ChildProcess, spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { cleanEnv } from "./steps.js";

/**
 * A throwaway verdaccio (6.8.x: 6.10 needs Node 22) on a free loopback port, its storage in a temp
 * dir. @gangway/* lives only here (publish needs a login, reading does not); every other package is
 * proxied from the npm registry, since installing an app needs its third-party dependencies.
 */
export interface LocalRegistry {
  readonly url: string;
  /** A token for the throwaway user, for `//host:port/:_authToken=` in an .npmrc. */
  readonly token: string;
  stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, uplink: string): string {
  return `storage: ${join(dir, "storage")}
auth:
  htpasswd:
    file: ${join(dir, "htpasswd")}
    max_users: 1
uplinks:
  npmjs:
    url: ${uplink}
    timeout: 60s
    max_fails: 5
packages:
  "@gangway/*":
    access: $all
    publish: $authenticated
  "**":
    access: $all
    publish: $authenticated
    proxy: npmjs
web:
  enable: false
server:
  keepAliveTimeout: 60
log: { type: stdout, format: json, level: warn }
`;
}

async function waitUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${url}-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`verdaccio did not answer ${url}-/ping within 60 s:\n${output()}`);
}

/** Creates the only user verdaccio allows (max_users: 1) and returns its token. */
async function addUser(url: string): Promise<string> {
  const name = "release-check";
  const response = await fetch(`${url}-/user/org.couchdb.user:${name}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password: `pw-${process.pid}-${Date.now()}` }),
  });
  const body = (await response.json()) as { token?: string; error?: string };
  if (!response.ok || !body.token)
    throw new Error(`verdaccio refused the user: ${response.status} ${body.error}`);
  return body.token;
}

export async function startRegistry(dir: string, uplink: string): Promise<LocalRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  await mkdir(dir, { recursive: true });
  const configPath = join(dir, "config.yaml");
  await writeFile(configPath, config(dir, uplink));
  const bin = join(dirname(require.resolve("verdaccio/package.json")), "bin", "verdaccio");
  const child = spawn(process.execPath, [bin, "--config", configPath, "--listen", `127.0.0.1:${port}`], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (d) => (output += d));
  child.stderr?.on("data", (d) => (output += d));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitUntilUp(url, child, () => output);
    return { url, token: await addUser(url), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
