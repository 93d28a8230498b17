import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { accessSync, constants as fsConstants, rmSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** XEP-0356 permissions granted to a component, in Prosody mod_privilege's vocabulary. */
export interface PrivilegeGrant {
  roster?: "none" | "get" | "set" | "both";
  message?: "none" | "outgoing";
  presence?: "none" | "managed_entity" | "roster";
  /** XEP-0356 v2 IQ permission: payload namespace → IQ types the component may send as a user. */
  iq?: Readonly<Record<string, "get" | "set" | "both">>;
}

/**
 * What a gateway needs from the server by default: full roster access, sending as the user,
 * presences, and requesting XEP-0363 upload slots as the user.
 */
export const FULL_PRIVILEGES: Readonly<Required<PrivilegeGrant>> = Object.freeze({
  roster: "both",
  message: "outgoing",
  presence: "roster",
  iq: Object.freeze({ "urn:xmpp:http:upload:0": "get" }),
});

export interface ExtraComponentOptions {
  domain: string;
  /** Defaults to a random secret. */
  secret?: string;
  /** XEP-0356 grant for this component; defaults to none. */
  privileges?: PrivilegeGrant | false;
}

export interface ProsodyOptions {
  /** The gateway component's domain. Default `gateway.localhost`. */
  componentDomain?: string;
  /** The gateway component's secret. Default: random. */
  componentSecret?: string;
  /** XEP-0356 grant for the gateway component. Default {@link FULL_PRIVILEGES}; `false` grants nothing. */
  privileges?: PrivilegeGrant | false;
  /** More external components (e.g. a second gateway). */
  extraComponents?: ExtraComponentOptions[];
  /** XEP-0077 in-band account registration on the server. Default true. */
  allowRegistration?: boolean;
  /** Adds an XEP-0363 `http_file_share` component at `upload.<domain>`. Default true. */
  upload?: boolean;
  /** More global modules, e.g. `["admin_adhoc", "uptime"]` for Prosody's own XEP-0050 commands. Default none. */
  extraModules?: readonly string[];
  /** Server admins (bare JIDs), e.g. for mod_admin_adhoc's commands. Default none. */
  admins?: readonly string[];
  /** How long start/restart may take before failing. Default 20 s (CI machines with 2 cores are slow). */
  startTimeoutMs?: number;
  /** How long a SIGTERM'd Prosody gets before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
  /** Path of the `prosody` executable. Default: `$GANGWAY_PROSODY`, else `prosody` on PATH, else /usr/bin. */
  prosodyPath?: string;
}

export interface ComponentCredentials {
  domain: string;
  secret: string;
}

export interface ProsodyServer {
  /** The XMPP domain users live on: `localhost`. */
  readonly domain: string;
  /** Always 127.0.0.1: the fixture never listens elsewhere. */
  readonly host: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly componentDomain: string;
  readonly componentSecret: string;
  /** Every configured component, the gateway first. */
  readonly components: readonly ComponentCredentials[];
  /** Domain of the XEP-0363 upload service, or undefined when `upload: false`. */
  readonly uploadDomain: string | undefined;
  /** The temp dir holding config, data and logs; removed by stop(). */
  readonly dir: string;
  readonly configPath: string;
  /** Prosody's debug log file. */
  readonly logFile: string;
  /** PID of the running Prosody (changes on restart). */
  readonly pid: number;
  /** Creates (or overwrites) an account `name@localhost` with prosodyctl. */
  registerUser(name: string, password: string): Promise<void>;
  /** Stops and starts Prosody again on the same ports with the same data (accounts, rosters). */
  restart(): Promise<void>;
  /** SIGTERM (SIGKILL after a timeout), waits for exit, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Everything Prosody printed on its console (info and above) since the first start. */
  logs(): string;
}

/** Thrown when the Prosody executable cannot be found. */
export class ProsodyNotInstalledError extends Error {
  constructor(searched: string) {
    super(
      `Prosody is not installed (looked for ${searched}). ` +
        "Install it with: apt-get install prosody prosody-modules",
    );
    this.name = "ProsodyNotInstalledError";
  }
}

/** Thrown when Prosody does not come up, with its console output and log file for diagnosis. */
export class ProsodyStartError extends Error {
  constructor(reason: string, logFile: string, consoleOutput: string) {
    super(
      `${reason}\nProsody debug log: ${logFile}\n--- Prosody console output ---\n${consoleOutput.trimEnd()}`,
    );
    this.name = "ProsodyStartError";
  }
}

const XMPP_DOMAIN = "localhost";
const LOOPBACK = "127.0.0.1";
const DOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
/** Cap on captured console output, so a chatty server in a long test cannot eat the heap. */
const MAX_CONSOLE_CHARS = 512 * 1024;
/** Port collisions (another process grabbing a port between our probe and Prosody's bind) are retried. */
const PORT_COLLISION_ATTEMPTS = 3;

/**
 * Every Prosody this process started and has not stopped yet. The exit hook kills them when the
 * test process exits without calling stop(); the per-server watchdog covers harder deaths (SIGKILL).
 */
const liveServers = new Set<{ pid: number; dir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const server of liveServers) {
      try {
        process.kill(server.pid, "SIGKILL");
      } catch {
        // already gone
      }
      rmSync(server.dir, { recursive: true, force: true });
    }
  });
}

/**
 * Starts a throwaway Prosody on free loopback ports in a fresh temp dir.
 *
 * ```ts
 * const prosody = await startProsody();
 * await prosody.registerUser("alice", "pass");
 * // ... connect a component to prosody.componentPort with prosody.componentSecret
 * await prosody.stop();
 * ```
 */
export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  const prosodyPath = resolveProsodyPath(options.prosodyPath);
  const componentDomain = options.componentDomain ?? `gateway.${XMPP_DOMAIN}`;
  const components: ComponentSpec[] = [
    {
      domain: componentDomain,
      secret: options.componentSecret ?? randomSecret(),
      privileges: options.privileges === undefined ? FULL_PRIVILEGES : options.privileges,
    },
    ...(options.extraComponents ?? []).map((extra) => ({
      domain: extra.domain,
      secret: extra.secret ?? randomSecret(),
      privileges: extra.privileges ?? false,
    })),
  ];
  for (const component of components) validateComponent(component);
  if (new Set(components.map((c) => c.domain)).size !== components.length) {
    throw new Error(`Component domains must be distinct: ${components.map((c) => c.domain).join(", ")}`);
  }
  const upload = options.upload ?? true;
  const extraModules = [...(options.extraModules ?? [])];
  const admins = [...(options.admins ?? [])];
  for (const name of extraModules) {
    if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`Invalid Prosody module name: ${JSON.stringify(name)}`);
  }
  for (const admin of admins) {
    if (!/^[\x21-\x7e]+$/.test(admin)) throw new Error(`Invalid admin JID: ${JSON.stringify(admin)}`);
  }
  const uploadDomain = upload ? `upload.${XMPP_DOMAIN}` : undefined;
  if (uploadDomain && components.some((c) => c.domain === uploadDomain)) {
    throw new Error(`${uploadDomain} is reserved for the upload service; pass upload: false to use it`);
  }

  const dir = await mkdtemp(join(tmpdir(), "gangway-prosody-"));
  await mkdir(join(dir, "data"));
  await mkdir(join(dir, "certs"));
  const configPath = join(dir, "prosody.cfg.lua");
  const logFile = join(dir, "prosody.log");
  const timing = {
    startTimeoutMs: options.startTimeoutMs ?? 20_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
  };
  const consoleLog = new ConsoleLog();
  installExitHook();

  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_COLLISION_ATTEMPTS; attempt++) {
    const [c2sPort, componentPort, httpPort] = (await pickFreePorts(3)) as [number, number, number];
    const config = renderConfig({
      dir,
      logFile,
      c2sPort,
      componentPort,
      httpPort,
      components,
      uploadDomain,
      allowRegistration: options.allowRegistration ?? true,
      extraModules,
      admins,
    });
    await writeFile(configPath, config);
    const ports = { c2sPort, componentPort, httpPort: upload ? httpPort : undefined };
    try {
      const running = await launch(prosodyPath, configPath, logFile, ports, consoleLog, dir, timing);
      return new RunningProsody({
        prosodyPath,
        dir,
        configPath,
        logFile,
        c2sPort,
        componentPort,
        httpPort,
        ports,
        components,
        uploadDomain,
        consoleLog,
        timing,
        running,
      });
    } catch (error) {
      lastError = error;
      if (!(error instanceof PortCollisionError)) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

interface ComponentSpec {
  domain: string;
  secret: string;
  privileges: PrivilegeGrant | false;
}

interface Timing {
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

interface ListeningPorts {
  c2sPort: number;
  componentPort: number;
  /** Only awaited when an HTTP module (the upload service) is loaded; Prosody opens no HTTP port otherwise. */
  httpPort: number | undefined;
}

/** One Prosody process plus the watchdog that kills it if this test process dies abruptly. */
interface RunningProcess {
  child: ChildProcess;
  watchdog: ChildProcess;
  exited: Promise<void>;
  registration: { pid: number; dir: string };
}

class PortCollisionError extends ProsodyStartError {}

class RunningProsody implements ProsodyServer {
  readonly domain = XMPP_DOMAIN;
  readonly host = LOOPBACK;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly components: readonly ComponentCredentials[];
  readonly uploadDomain: string | undefined;
  readonly dir: string;
  readonly configPath: string;
  readonly logFile: string;
  readonly #prosodyPath: string;
  readonly #ports: ListeningPorts;
  readonly #consoleLog: ConsoleLog;
  readonly #timing: Timing;
  #running: RunningProcess | undefined;
  #stopped = false;

  constructor(init: {
    prosodyPath: string;
    dir: string;
    configPath: string;
    logFile: string;
    c2sPort: number;
    componentPort: number;
    httpPort: number;
    ports: ListeningPorts;
    components: ComponentSpec[];
    uploadDomain: string | undefined;
    consoleLog: ConsoleLog;
    timing: Timing;
    running: RunningProcess;
  }) {
    this.#prosodyPath = init.prosodyPath;
    this.dir = init.dir;
    this.configPath = init.configPath;
    this.logFile = init.logFile;
    this.c2sPort = init.c2sPort;
    this.componentPort = init.componentPort;
    this.httpPort = init.httpPort;
    this.#ports = init.ports;
    this.components = init.components.map(({ domain, secret }) => ({ domain, secret }));
    this.uploadDomain = init.uploadDomain;
    this.#consoleLog = init.consoleLog;
    this.#timing = init.timing;
    this.#running = init.running;
  }

  get componentDomain(): string {
    return this.components[0]!.domain;
  }

  get componentSecret(): string {
    return this.components[0]!.secret;
  }

  get pid(): number {
    if (!this.#running?.child.pid) throw new Error("Prosody is not running");
    return this.#running.child.pid;
  }

  logs(): string {
    return this.#consoleLog.text();
  }

  async registerUser(name: string, password: string): Promise<void> {
    if (this.#stopped) throw new Error("Prosody was stopped");
    await new Promise<void>((resolve, reject) => {
      execFile(
        prosodyctlPath(this.#prosodyPath),
        ["--config", this.configPath, "register", name, this.domain, password],
        { timeout: this.#timing.startTimeoutMs },
        (error, stdout, stderr) => {
          if (error) {
            reject(new Error(`prosodyctl register ${name} failed: ${error.message}\n${stdout}${stderr}`));
          } else {
            resolve();
          }
        },
      );
    });
  }

  async restart(): Promise<void> {
    if (this.#stopped) throw new Error("Prosody was stopped");
    await this.#terminate();
    this.#consoleLog.append("--- gangway: restarting Prosody ---\n");
    this.#running = await launch(
      this.#prosodyPath,
      this.configPath,
      this.logFile,
      this.#ports,
      this.#consoleLog,
      this.dir,
      this.#timing,
    );
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#terminate();
    await rm(this.dir, { recursive: true, force: true });
  }

  async #terminate(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    this.#running = undefined;
    await terminate(running, this.#timing.stopTimeoutMs);
  }
}

async function launch(
  prosodyPath: string,
  configPath: string,
  logFile: string,
  ports: ListeningPorts,
  consoleLog: ConsoleLog,
  dir: string,
  timing: Timing,
): Promise<RunningProcess> {
  const child = spawn(prosodyPath, ["-F", "--config", configPath], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const spawnFailed = new Promise<Error>((resolve) => child.once("error", resolve));
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.stdout?.on("data", (chunk: Buffer) => consoleLog.append(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => consoleLog.append(chunk.toString()));
  if (child.pid === undefined) {
    const error = await spawnFailed;
    throw new ProsodyStartError(
      `Could not spawn ${prosodyPath}: ${error.message}`,
      logFile,
      consoleLog.text(),
    );
  }
  const registration = { pid: child.pid, dir };
  liveServers.add(registration);
  const running: RunningProcess = { child, watchdog: spawnWatchdog(child.pid, dir), exited, registration };
  const startOffset = consoleLog.length;

  let exitedEarly = false;
  void exited.then(() => {
    exitedEarly = true;
  });
  const deadline = Date.now() + timing.startTimeoutMs;
  const wanted = [ports.c2sPort, ports.componentPort, ports.httpPort].filter((p) => p !== undefined);
  try {
    for (;;) {
      const output = consoleLog.textSince(startOffset);
      if (output.includes("Failed to open server port")) {
        throw new PortCollisionError("Prosody could not bind a port (in use)", logFile, consoleLog.text());
      }
      if (exitedEarly) {
        throw new ProsodyStartError(
          `Prosody exited during startup (code ${child.exitCode}, signal ${child.signalCode})`,
          logFile,
          consoleLog.text(),
        );
      }
      const accepting = await Promise.all(wanted.map((port) => acceptsConnections(port)));
      // The port check alone could be fooled by another process on a colliding port, so the
      // console must also confirm that Prosody itself activated the c2s and component services.
      if (accepting.every(Boolean) && servicesActivated(output, ports)) return running;
      if (Date.now() > deadline) {
        throw new ProsodyStartError(
          `Prosody did not accept connections on ports ${wanted.join(", ")} within ${timing.startTimeoutMs} ms`,
          logFile,
          consoleLog.text(),
        );
      }
      await sleep(20);
    }
  } catch (error) {
    await terminate(running, timing.stopTimeoutMs);
    throw error;
  }
}

function servicesActivated(output: string, ports: ListeningPorts): boolean {
  return (
    output.includes(`Activated service 'c2s' on [${LOOPBACK}]:${ports.c2sPort}`) &&
    output.includes(`Activated service 'component' on [${LOOPBACK}]:${ports.componentPort}`)
  );
}

async function terminate(running: RunningProcess, stopTimeoutMs: number): Promise<void> {
  const { child, watchdog, exited, registration } = running;
  // Disarm the watchdog first: once Prosody is gone its PID could be reused by an unrelated process.
  watchdog.kill("SIGKILL");
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    const killTimer = setTimeout(() => child.kill("SIGKILL"), stopTimeoutMs);
    await exited;
    clearTimeout(killTimer);
  }
  liveServers.delete(registration);
}

/**
 * A tiny shell that holds the read end of a pipe only this process writes to. If this process
 * dies without running exit hooks (SIGKILL, a crashed test worker), the pipe reaches EOF and the
 * shell terminates the orphaned Prosody by PID and removes its temp dir.
 */
function spawnWatchdog(prosodyPid: number, dir: string): ChildProcess {
  const script =
    'read -r _; kill -TERM "$1" 2>/dev/null || exit 0; ' +
    'i=0; while [ $i -lt 50 ] && kill -0 "$1" 2>/dev/null; do sleep 0.1; i=$((i+1)); done; ' +
    'kill -KILL "$1" 2>/dev/null; rm -rf "$2"; exit 0';
  const watchdog = spawn("/bin/sh", ["-c", script, "gangway-prosody-watchdog", String(prosodyPid), dir], {
    stdio: ["pipe", "ignore", "ignore"],
  });
  // The watchdog must never keep the test process alive on its own.
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

class ConsoleLog {
  #text = "";
  #dropped = 0;

  get length(): number {
    return this.#dropped + this.#text.length;
  }

  append(chunk: string): void {
    this.#text += chunk;
    if (this.#text.length > MAX_CONSOLE_CHARS) {
      const excess = this.#text.length - MAX_CONSOLE_CHARS;
      this.#text = this.#text.slice(excess);
      this.#dropped += excess;
    }
  }

  text(): string {
    return this.#dropped > 0 ? `[… ${this.#dropped} earlier characters dropped]\n${this.#text}` : this.#text;
  }

  textSince(offset: number): string {
    return this.#text.slice(Math.max(0, offset - this.#dropped));
  }
}

function renderConfig(input: {
  dir: string;
  logFile: string;
  c2sPort: number;
  componentPort: number;
  httpPort: number;
  components: ComponentSpec[];
  uploadDomain: string | undefined;
  allowRegistration: boolean;
  extraModules: readonly string[];
  admins: readonly string[];
}): string {
  const privileged = input.components.filter((c) => c.privileges !== false);
  // mod_privilege must be enabled in BOTH places: on the VirtualHost (which grants) and on each
  // privileged Component (which receives the advertisement and may use the grant).
  const privilegedEntities = privileged
    .map((c) => {
      const grant = c.privileges as PrivilegeGrant;
      const fields = (["roster", "message", "presence"] as const)
        .filter((key) => grant[key] !== undefined && grant[key] !== "none")
        .map((key) => `      ${key} = ${lua(grant[key]!)};`);
      const iq = Object.entries(grant.iq ?? {});
      if (iq.length > 0) {
        const entries = iq.map(([ns, type]) => `[${lua(ns)}] = ${lua(type)};`).join(" ");
        fields.push(`      iq = { ${entries} };`);
      }
      return `    [${lua(c.domain)}] = {\n${fields.join("\n")}\n    };`;
    })
    .join("\n");
  const componentBlocks = input.components
    .map(
      (c) =>
        `Component ${lua(c.domain)}\n  component_secret = ${lua(c.secret)}\n` +
        (c.privileges === false ? "" : `  modules_enabled = { "privilege" }\n`),
    )
    .join("\n");
  const uploadBlock = input.uploadDomain
    ? `Component ${lua(input.uploadDomain)} "http_file_share"\n` +
      "  http_file_share_size_limit = 10*1024*1024\n" +
      `  http_host = ${lua(LOOPBACK)}\n` +
      `  http_external_url = ${lua(`http://${LOOPBACK}:${input.httpPort}/`)}\n`
    : "";
  return `-- Generated by @gangway/testing: a throwaway Prosody on loopback. No TLS, no s2s.
-- Without run_as_root, 'prosody -F' started as root logs "Refusing to run as root" and hangs.
run_as_root = true
pidfile = ${lua(join(input.dir, "prosody.pid"))}
data_path = ${lua(join(input.dir, "data"))}
plugin_paths = { "/usr/lib/prosody/modules" }
-- An empty certificate dir silences certmanager errors; TLS is disabled anyway.
certificates = ${lua(join(input.dir, "certs"))}

log = {
  { levels = { min = "info" }, to = "console" };
  { levels = { min = "debug" }, to = "file", filename = ${lua(input.logFile)} };
}

interfaces = { "${LOOPBACK}" }
local_interfaces = { "${LOOPBACK}" }
c2s_ports = { ${input.c2sPort} }
c2s_direct_tls_ports = { }
legacy_ssl_ports = { }
component_ports = { ${input.componentPort} }
component_interfaces = { "${LOOPBACK}" }
http_ports = { ${input.httpPort} }
http_interfaces = { "${LOOPBACK}" }
https_ports = { }
https_interfaces = { }

modules_enabled = {
  "disco"; "roster"; "saslauth"; "register"; "ping"; "version"; "time";
  "offline"; -- stores messages for logged-out users, as production servers do
  "privilege";${input.extraModules.map((name) => ` ${lua(name)};`).join("")}
}
admins = { ${input.admins.map((admin) => `${lua(admin)}; `).join("")}}
modules_disabled = { "s2s"; "tls" }
-- Small stanzas in quick succession would otherwise wait ~40 ms for delayed ACKs (see echo.bench.ts).
network_settings = { nagle = false }

c2s_require_encryption = false
-- Test clients log in with SASL PLAIN: SCRAM costs ~700 ms per login in xmpp.js.
allow_unencrypted_plain_auth = true
allow_registration = ${input.allowRegistration}
authentication = "internal_hashed"
storage = "internal"

VirtualHost "${XMPP_DOMAIN}"
  privileged_entities = {
${privilegedEntities}
  }

${componentBlocks}
${uploadBlock}`;
}

/** A Lua string literal. Inputs are validated to printable ASCII, so escaping `\` and `"` suffices. */
function lua(value: string): string {
  return `"${value.replace(/[\\"]/g, (ch) => `\\${ch}`)}"`;
}

function validateComponent(component: ComponentSpec): void {
  if (!DOMAIN_PATTERN.test(component.domain)) {
    throw new Error(`Invalid component domain: ${JSON.stringify(component.domain)}`);
  }
  if (!/^[\x20-\x7e]+$/.test(component.secret)) {
    throw new Error(`Component secret for ${component.domain} must be non-empty printable ASCII`);
  }
  if (component.privileges === false) return;
  for (const [ns, type] of Object.entries(component.privileges.iq ?? {})) {
    // Written into the Lua config by lua(), which relies on printable ASCII.
    if (!/^[\x20-\x7e]+$/.test(ns) || !["get", "set", "both"].includes(type)) {
      throw new Error(`Invalid IQ privilege for ${component.domain}: ${JSON.stringify({ [ns]: type })}`);
    }
  }
}

function randomSecret(): string {
  return randomBytes(12).toString("hex");
}

function resolveProsodyPath(explicit: string | undefined): string {
  const configured = explicit ?? process.env.GANGWAY_PROSODY;
  const candidates = configured
    ? [configured]
    : [...(process.env.PATH ?? "").split(delimiter).filter(Boolean), "/usr/bin", "/usr/sbin"].map((dir) =>
        join(dir, "prosody"),
      );
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new ProsodyNotInstalledError(configured ?? "prosody on PATH and in /usr/bin");
}

/** prosodyctl ships next to prosody in every distribution package. */
function prosodyctlPath(prosodyPath: string): string {
  return `${prosodyPath}ctl`;
}

/**
 * Asks the OS for `count` distinct free loopback ports. All probe sockets stay open until every
 * port is picked, so the kernel cannot hand out the same port twice; a collision with another
 * process between here and Prosody's bind is still possible and is retried by the caller.
 */
async function pickFreePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
          const server = createServer();
          server.once("error", reject);
          server.listen(0, LOOPBACK, () => resolve(server));
        }),
    ),
  );
  const ports = servers.map((server) => {
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("unexpected server address");
    return address.port;
  });
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

/** Resolves true when something accepts a TCP connection on the loopback port. */
export function acceptsConnections(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: LOOPBACK, port });
    const done = (result: boolean) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
