import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createConnection, createServer } from "node:net";

/**
 * Just enough process handling for the docs tests: free loopback ports, a child whose output is
 * collected, waiting for it to say something, and stopping it by its own PID (or process group).
 */

export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, "127.0.0.1", () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => (server.address() as { port: number }).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

export function acceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 8 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A self-signed certificate for `domain` and its subdomains, as `<dir>/<domain>.crt` and `.key`. */
export async function selfSignedCertificate(
  dir: string,
  domain: string,
): Promise<{ crt: string; key: string }> {
  const crt = `${dir}/${domain}.crt`;
  const key = `${dir}/${domain}.key`;
  const made = await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    `/CN=${domain}`,
    "-addext",
    `subjectAltName=DNS:${domain},DNS:*.${domain}`,
    "-keyout",
    key,
    "-out",
    crt,
  ]);
  if (made.code !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  return { crt, key };
}

export class Child {
  readonly process: ChildProcess;
  #output = "";
  #exited: Promise<void>;
  readonly #group: boolean;

  constructor(
    command: string,
    args: readonly string[],
    options: { cwd?: string; env?: NodeJS.ProcessEnv; group?: boolean } = {},
  ) {
    this.#group = options.group ?? false;
    this.process = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: this.#group,
    });
    const collect = (chunk: Buffer) => {
      this.#output += chunk.toString("utf8");
    };
    this.process.stdout?.on("data", collect);
    this.process.stderr?.on("data", collect);
    this.#exited = new Promise((resolve) => this.process.once("exit", () => resolve()));
  }

  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Polls `ready` until it holds; fails when the child exits first or after `timeoutMs`. */
  async waitFor(what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await ready())) {
      if (!this.running) throw new Error(`exited while waiting for ${what}:\n${this.#output.slice(-4000)}`);
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}:\n${this.#output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM (to its process group when started as one), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running || this.process.pid === undefined) return;
    const target = this.#group ? -this.process.pid : this.process.pid;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(target, name);
      } catch {
        // already gone
      }
    };
    signal("SIGTERM");
    const timer = setTimeout(() => signal("SIGKILL"), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }
}
