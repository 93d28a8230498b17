import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  acceptsConnections,
  ConsoleLog,
  resolveExecutable,
  retryOnPortCollision,
  ServerLifecycle,
  type ServerProcess,
  SpawnFailedError,
  spawnServer,
} from "./server-process.js";

export { acceptsConnections };

/** XEP-0356 permissions granted to a component, in Prosody mod_privilege's vocabulary. */
export interface PrivilegeGrant {
  roster?: "none" | "get" | "set" | "both";
  message?: "none" | "outgoing";
  presence?: "none" | "managed_entity" | "roster";
  /** XEP-0356 v2 IQ permission: payload namespace → IQ types the component may send as a user. */
  iq?: Readonly<Record<string, "get" | "set" | "both">>;
}

/** The pubsub namespace: granted, it lets a gateway read and write the user's PEP (XEP-0402 bookmarks). */
const NS_PUBSUB_GRANT = "http://jabber.org/protocol/pubsub";

/**
 * What a gateway needs from the server by default: full roster access, sending as the user,
 * presences, requesting XEP-0363 upload slots as the user, and reading and writing the user's
 * PEP (XEP-0402 bookmarks of their groups).
 */
export const FULL_PRIVILEGES: Readonly<Required<PrivilegeGrant>> = Object.freeze({
  roster: "both",
  message: "outgoing",
  presence: "roster",
  iq: Object.freeze({ "urn:xmpp:http:upload:0": "get", [NS_PUBSUB_GRANT]: "both" }),
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
  /** The upload service's largest file, in bytes (`http_file_share_size_limit`). Default 10 MiB. */
  uploadSizeLimit?: number;
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
  /**
   * Stops and starts Prosody again on the same ports with the same data (accounts, rosters),
   * after `downMs` of outage (default none).
   */
  restart(options?: { downMs?: number }): Promise<void>;
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
/** Port collisions (another process grabbing a port between our probe and Prosody's bind) are retried. */
const PORT_COLLISION_ATTEMPTS = 3;

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

  return retryOnPortCollision(
    {
      count: 3,
      attempts: PORT_COLLISION_ATTEMPTS,
      dir,
      isCollision: (error) => error instanceof PortCollisionError,
    },
    async (picked) => {
      const [c2sPort, componentPort, httpPort] = picked as [number, number, number];
      const config = renderConfig({
        dir,
        logFile,
        c2sPort,
        componentPort,
        httpPort,
        components,
        uploadDomain,
        uploadSizeLimit: options.uploadSizeLimit ?? 10 * 1024 * 1024,
        allowRegistration: options.allowRegistration ?? true,
        extraModules,
        admins,
      });
      await writeFile(configPath, config);
      const ports = { c2sPort, componentPort, httpPort: upload ? httpPort : undefined };
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
    },
  );
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
  readonly #lifecycle: ServerLifecycle<ServerProcess>;

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
    running: ServerProcess;
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
    this.#lifecycle = new ServerLifecycle(
      {
        label: "Prosody",
        dir: init.dir,
        consoleLog: init.consoleLog,
        terminate: (running) => running.stop({ timeoutMs: init.timing.stopTimeoutMs }),
      },
      init.running,
    );
  }

  get componentDomain(): string {
    return this.components[0]!.domain;
  }

  get componentSecret(): string {
    return this.components[0]!.secret;
  }

  get pid(): number {
    const running = this.#lifecycle.current;
    if (!running) throw new Error("Prosody is not running");
    return running.pid;
  }

  logs(): string {
    return this.#consoleLog.text();
  }

  async registerUser(name: string, password: string): Promise<void> {
    this.#lifecycle.assertNotStopped();
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

  /** Stops Prosody, waits `downMs` (an outage, as a package upgrade or a crash causes), starts it again. */
  async restart(options: { downMs?: number } = {}): Promise<void> {
    await this.#lifecycle.restart(
      () =>
        launch(
          this.#prosodyPath,
          this.configPath,
          this.logFile,
          this.#ports,
          this.#consoleLog,
          this.dir,
          this.#timing,
        ),
      options.downMs,
    );
  }

  stop(): Promise<void> {
    return this.#lifecycle.stop();
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
): Promise<ServerProcess> {
  let running: ServerProcess;
  try {
    running = await spawnServer({
      name: "prosody",
      command: prosodyPath,
      args: ["-F", "--config", configPath],
      dir,
      consoleLog,
    });
  } catch (error) {
    if (error instanceof SpawnFailedError)
      throw new ProsodyStartError(error.message, logFile, consoleLog.text());
    throw error;
  }
  const wanted = [ports.c2sPort, ports.componentPort, ports.httpPort].filter((p) => p !== undefined);
  try {
    await running.waitUntilReady({
      timeoutMs: timing.startTimeoutMs,
      intervalMs: 20,
      failure: (output) =>
        output.includes("Failed to open server port")
          ? new PortCollisionError("Prosody could not bind a port (in use)", logFile, consoleLog.text())
          : undefined,
      onExit: () =>
        new ProsodyStartError(
          `Prosody exited during startup (code ${running.exitCode}, signal ${running.signalCode})`,
          logFile,
          consoleLog.text(),
        ),
      // The port check alone could be fooled by another process on a colliding port, so the
      // console must also confirm that Prosody itself activated the c2s and component services.
      ready: async (output) =>
        (await Promise.all(wanted.map((port) => acceptsConnections(port)))).every(Boolean) &&
        servicesActivated(output, ports),
      onTimeout: () =>
        new ProsodyStartError(
          `Prosody did not accept connections on ports ${wanted.join(", ")} within ${timing.startTimeoutMs} ms`,
          logFile,
          consoleLog.text(),
        ),
    });
    return running;
  } catch (error) {
    await running.stop({ timeoutMs: timing.stopTimeoutMs });
    throw error;
  }
}

function servicesActivated(output: string, ports: ListeningPorts): boolean {
  return (
    output.includes(`Activated service 'c2s' on [${LOOPBACK}]:${ports.c2sPort}`) &&
    output.includes(`Activated service 'component' on [${LOOPBACK}]:${ports.componentPort}`)
  );
}

function renderConfig(input: {
  dir: string;
  logFile: string;
  c2sPort: number;
  componentPort: number;
  httpPort: number;
  components: ComponentSpec[];
  uploadDomain: string | undefined;
  uploadSizeLimit: number;
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
  // A pubsub grant reaches the users' PEP, which production configs load (Prosody's default
  // modules_enabled has "pep"); this minimal config loads it only for such a grant.
  const pep = privileged.some((c) =>
    Object.hasOwn((c.privileges as PrivilegeGrant).iq ?? {}, NS_PUBSUB_GRANT),
  );
  const uploadBlock = input.uploadDomain
    ? `Component ${lua(input.uploadDomain)} "http_file_share"\n` +
      `  http_file_share_size_limit = ${Math.floor(input.uploadSizeLimit)}\n` +
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
  "privilege";${pep ? ' "pep";' : ""}${input.extraModules.map((name) => ` ${lua(name)};`).join("")}
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
  return resolveExecutable({
    name: "prosody",
    explicit,
    envVar: "GANGWAY_PROSODY",
    fallbackDirs: ["/usr/bin", "/usr/sbin"],
    notInstalled: (searched) => new ProsodyNotInstalledError(searched),
  });
}

/** prosodyctl ships next to prosody in every distribution package. */
function prosodyctlPath(prosodyPath: string): string {
  return `${prosodyPath}ctl`;
}
