import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ComponentCredentials, ExtraComponentOptions, PrivilegeGrant } from "./prosody.js";
import { FULL_PRIVILEGES } from "./prosody.js";
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

/**
 * The XEP-0356 namespace ejabberd 23.01 (Debian 12) speaks. Prosody's mod_privilege speaks
 * `urn:xmpp:privilege:2`; a gateway has to accept both and wrap with the advertised one.
 */
export const EJABBERD_PRIVILEGE_NAMESPACE = "urn:xmpp:privilege:1";

export interface EjabberdOptions {
  /** The gateway component's domain. Default `gateway.localhost`. */
  componentDomain?: string;
  /** The gateway component's secret. Default: random. */
  componentSecret?: string;
  /**
   * XEP-0356 grant for the gateway component (ejabberd's mod_privilege). Default
   * {@link FULL_PRIVILEGES}; `false` grants nothing. Only roster, message and presence are
   * rendered: ejabberd 23.01 has no XEP-0356 v2 `iq` permission, so an `iq` grant is ignored. Its
   * privileged roster *set* answers internal-server-error (upstream processone/ejabberd#3942).
   */
  privileges?: PrivilegeGrant | false;
  /** More external components (e.g. a second gateway). */
  extraComponents?: ExtraComponentOptions[];
  /** XEP-0077 in-band account registration on the server (mod_register). Default true. */
  allowRegistration?: boolean;
  /** Adds an XEP-0363 service at `upload.<domain>` (mod_http_upload on `httpPort`). Default true. */
  upload?: boolean;
  /** How long start/restart may take before failing. Default 30 s (the Erlang VM boots in ~1 s here). */
  startTimeoutMs?: number;
  /** How long a SIGTERM'd ejabberd gets (restart) before SIGKILL. Default 10 s. */
  stopTimeoutMs?: number;
  /** Path of `ejabberdctl`. Default: `$GANGWAY_EJABBERDCTL`, else `ejabberdctl` on PATH, else /usr/sbin. */
  ejabberdctlPath?: string;
}

export interface EjabberdServer {
  /** The XMPP domain users live on: `localhost`. */
  readonly domain: string;
  /** Always 127.0.0.1: the fixture never listens elsewhere. */
  readonly host: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  /** The mod_http_upload listener; picked (but not opened) when `upload: false`. */
  readonly httpPort: number;
  /** The Erlang distribution port (loopback, no epmd), used by `ejabberdctl` to reach the node. */
  readonly distributionPort: number;
  /** This fixture's own Erlang node name, e.g. `gangway-1a2b3c4d@localhost`. */
  readonly nodeName: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  /** Every configured component, the gateway first. */
  readonly components: readonly ComponentCredentials[];
  /** Domain of the XEP-0363 upload service, or undefined when `upload: false`. */
  readonly uploadDomain: string | undefined;
  /** {@link EJABBERD_PRIVILEGE_NAMESPACE}: what the component's privilege advertisement uses. */
  readonly privilegeNamespace: string;
  /** The temp dir holding config, Mnesia spool and logs; removed by stop(). */
  readonly dir: string;
  /** ejabberd.yml */
  readonly configPath: string;
  /** ejabberd's own log (`logs/ejabberd.log`); errors also go to `logs/error.log` next to it. */
  readonly logFile: string;
  /** PID of the running beam.smp (changes on restart). */
  readonly pid: number;
  /**
   * Creates an account `name@localhost` with `ejabberdctl register` (~0.5 s: it boots a small
   * Erlang node per call); an existing account gets the new password. For many accounts,
   * `registerAccount()` (XEP-0077, a few ms each) is much faster.
   */
  registerUser(name: string, password: string): Promise<void>;
  /** Stops ejabberd gracefully and starts it again on the same ports with the same data (accounts, rosters). */
  restart(): Promise<void>;
  /** Kills the node's whole process group (the data is thrown away anyway), removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Everything ejabberd printed on its console (its info log) since the first start. */
  logs(): string;
}

/** Thrown when `ejabberdctl` cannot be found. */
export class EjabberdNotInstalledError extends Error {
  constructor(searched: string) {
    super(`ejabberd is not installed (looked for ${searched}). Install it with: apt-get install ejabberd`);
    this.name = "EjabberdNotInstalledError";
  }
}

/** Thrown when ejabberd does not come up, with the tail of its console output and its log path. */
export class EjabberdStartError extends Error {
  constructor(reason: string, logFile: string, consoleTail: string) {
    super(
      `${reason}\nejabberd log: ${logFile}\n--- ejabberd console output (tail) ---\n${consoleTail.trimEnd()}`,
    );
    this.name = "EjabberdStartError";
  }
}

/** A start that failed because a picked port was taken meanwhile; retried with fresh ports. */
class PortCollisionError extends EjabberdStartError {}

const XMPP_DOMAIN = "localhost";
const LOOPBACK = "127.0.0.1";
const DOMAIN_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;
/** Account names and passwords go on ejabberdctl's command line and into no config. */
const PRINTABLE = /^[\x21-\x7e]+$/;
const PORT_COLLISION_ATTEMPTS = 3;
const ERROR_TAIL_LINES = 60;

/**
 * Starts a throwaway ejabberd (Debian's 23.01) on free loopback ports in a fresh temp dir, as its
 * own Erlang node (own name, cookie and distribution port, no epmd), independent of any system one.
 *
 * ```ts
 * const ejabberd = await startEjabberd();
 * await ejabberd.registerUser("alice", "pass");
 * // ... connect a component to ejabberd.componentPort with ejabberd.componentSecret
 * await ejabberd.stop();
 * ```
 */
export async function startEjabberd(options: EjabberdOptions = {}): Promise<EjabberdServer> {
  const ctlPath = resolveEjabberdctl(options.ejabberdctlPath);
  const componentDomain = options.componentDomain ?? `gateway.${XMPP_DOMAIN}`;
  const components: ComponentSpec[] = [
    {
      domain: componentDomain,
      secret: options.componentSecret ?? randomHex(12),
      privileges: options.privileges === undefined ? FULL_PRIVILEGES : options.privileges,
    },
    ...(options.extraComponents ?? []).map((extra) => ({
      domain: extra.domain,
      secret: extra.secret ?? randomHex(12),
      privileges: extra.privileges ?? false,
    })),
  ];
  for (const component of components) validateComponent(component);
  if (new Set(components.map((c) => c.domain)).size !== components.length) {
    throw new Error(`Component domains must be distinct: ${components.map((c) => c.domain).join(", ")}`);
  }
  const upload = options.upload ?? true;
  const uploadDomain = upload ? `upload.${XMPP_DOMAIN}` : undefined;
  if (uploadDomain && components.some((c) => c.domain === uploadDomain)) {
    throw new Error(`${uploadDomain} is reserved for the upload service; pass upload: false to use it`);
  }

  const dir = await mkdtemp(join(tmpdir(), "gangway-ejabberd-"));
  const paths = {
    dir,
    config: join(dir, "ejabberd.yml"),
    ctlConfig: join(dir, "ejabberdctl.cfg"),
    spool: join(dir, "spool"),
    logs: join(dir, "logs"),
    upload: join(dir, "upload"),
    pidFile: join(dir, "ejabberd.pid"),
  };
  await Promise.all([mkdir(paths.spool), mkdir(paths.logs), mkdir(paths.upload)]);
  // ejabberdctl points ERL_INETRC at <config dir>/inetrc; Debian's maps localhost to 127.0.0.1.
  await copyFile("/etc/ejabberd/inetrc", join(dir, "inetrc")).catch(() =>
    writeFile(join(dir, "inetrc"), '{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n'),
  );
  // Our own cookie in our own HOME: never reads or creates /root/.erlang.cookie, and the cookie
  // stays off the process list (unlike -setcookie). Erlang insists the file is private.
  await writeFile(join(dir, ".erlang.cookie"), randomHex(16), { mode: 0o400 });
  const nodeName = `gangway-${randomHex(4)}@localhost`;
  const timing = {
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 10_000,
  };
  const consoleLog = new ConsoleLog();

  return retryOnPortCollision(
    {
      count: 4,
      attempts: PORT_COLLISION_ATTEMPTS,
      dir,
      isCollision: (error) => error instanceof PortCollisionError,
      onCollision: () => consoleLog.append("--- gangway: a port was taken, retrying with new ports ---\n"),
    },
    async (picked) => {
      const [c2sPort, componentPort, httpPort, distributionPort] = picked as [number, number, number, number];
      const ports: Ports = { c2sPort, componentPort, httpPort, distributionPort, upload };
      await writeFile(
        paths.ctlConfig,
        renderCtlConfig({ nodeName, distributionPort, pidFile: paths.pidFile }),
      );
      await writeFile(
        paths.config,
        renderConfig({
          ports,
          components,
          uploadDomain,
          uploadDir: paths.upload,
          allowRegistration: options.allowRegistration ?? true,
        }),
      );
      const launcher: Launcher = { ctlPath, paths, nodeName, ports, consoleLog, timing };
      const running = await launch(launcher);
      return new RunningEjabberd(launcher, components, uploadDomain, running);
    },
  );
}

interface ComponentSpec {
  domain: string;
  secret: string;
  privileges: PrivilegeGrant | false;
}

interface Ports {
  c2sPort: number;
  componentPort: number;
  httpPort: number;
  distributionPort: number;
  upload: boolean;
}

interface Paths {
  dir: string;
  config: string;
  ctlConfig: string;
  spool: string;
  logs: string;
  upload: string;
  pidFile: string;
}

/** Everything needed to (re)start the node and to run ejabberdctl against it. */
interface Launcher {
  ctlPath: string;
  paths: Paths;
  nodeName: string;
  ports: Ports;
  consoleLog: ConsoleLog;
  timing: { startTimeoutMs: number; stopTimeoutMs: number };
}

/**
 * One ejabberd node: the ejabberdctl shell, leader of the process group `foreground` runs in
 * (the shell, beam.smp and beam's port programs), and its beam.
 */
interface RunningProcess {
  server: ServerProcess;
  beamPid: number;
}

class RunningEjabberd implements EjabberdServer {
  readonly domain = XMPP_DOMAIN;
  readonly host = LOOPBACK;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly distributionPort: number;
  readonly nodeName: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  readonly components: readonly ComponentCredentials[];
  readonly uploadDomain: string | undefined;
  readonly privilegeNamespace = EJABBERD_PRIVILEGE_NAMESPACE;
  readonly dir: string;
  readonly configPath: string;
  readonly logFile: string;
  readonly #launcher: Launcher;
  readonly #lifecycle: ServerLifecycle<RunningProcess>;

  constructor(
    launcher: Launcher,
    components: ComponentSpec[],
    uploadDomain: string | undefined,
    running: RunningProcess,
  ) {
    this.#launcher = launcher;
    this.#lifecycle = new ServerLifecycle(
      {
        label: "ejabberd",
        dir: launcher.paths.dir,
        consoleLog: launcher.consoleLog,
        // restart: graceful, so Mnesia closes its disc tables and the restarted node finds every
        // account. stop: no graceful shutdown (~1 s): the spool is deleted right after.
        terminate: (current, why) =>
          terminate(current, why === "restart" ? "graceful" : "kill", launcher.timing.stopTimeoutMs),
      },
      running,
    );
    const { ports, paths } = launcher;
    this.c2sPort = ports.c2sPort;
    this.componentPort = ports.componentPort;
    this.httpPort = ports.httpPort;
    this.distributionPort = ports.distributionPort;
    this.nodeName = launcher.nodeName;
    this.components = components.map(({ domain, secret }) => ({ domain, secret }));
    this.componentDomain = components[0]!.domain;
    this.componentSecret = components[0]!.secret;
    this.uploadDomain = uploadDomain;
    this.dir = paths.dir;
    this.configPath = paths.config;
    this.logFile = join(paths.logs, "ejabberd.log");
  }

  get pid(): number {
    return this.#lifecycle.current?.beamPid ?? -1;
  }

  logs(): string {
    return this.#launcher.consoleLog.text();
  }

  async registerUser(name: string, password: string): Promise<void> {
    this.#lifecycle.assertNotStopped();
    if (!PRINTABLE.test(name) || !PRINTABLE.test(password)) {
      throw new Error("registerUser: name and password must be non-empty printable ASCII without spaces");
    }
    const registered = await runCtl(this.#launcher, ["register", name, this.domain, password]);
    if (registered.ok) return;
    // Same contract as prosodyctl: an existing account is overwritten, here by a new password.
    if (/conflict|already registered/i.test(registered.output)) {
      const changed = await runCtl(this.#launcher, ["change_password", name, this.domain, password]);
      if (changed.ok) return;
      throw new Error(`ejabberdctl change_password ${name} failed: ${changed.output}`);
    }
    throw new Error(`ejabberdctl register ${name} failed: ${registered.output}`);
  }

  async restart(): Promise<void> {
    await this.#lifecycle.restart(() => launch(this.#launcher));
  }

  stop(): Promise<void> {
    return this.#lifecycle.stop();
  }
}

function ctlArgs(launcher: Launcher): string[] {
  const { paths } = launcher;
  return [
    "--config-dir",
    paths.dir,
    "--config",
    paths.config,
    "--ctl-config",
    paths.ctlConfig,
    "--spool",
    paths.spool,
    "--logs",
    paths.logs,
  ];
}

/** HOME is the temp dir: Erlang takes the node's cookie from $HOME/.erlang.cookie. */
function ctlEnv(launcher: Launcher): NodeJS.ProcessEnv {
  return { ...process.env, HOME: launcher.paths.dir };
}

function runCtl(launcher: Launcher, command: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      launcher.ctlPath,
      [...ctlArgs(launcher), ...command],
      { env: ctlEnv(launcher), timeout: launcher.timing.startTimeoutMs },
      (error, stdout, stderr) => resolve({ ok: !error, output: `${stdout}${stderr}`.trim() }),
    );
  });
}

async function launch(launcher: Launcher): Promise<RunningProcess> {
  const { ctlPath, paths, nodeName, ports, consoleLog, timing } = launcher;
  // A stale pidfile from the previous run must not be mistaken for the new beam.
  await rm(paths.pidFile, { force: true });
  let server: ServerProcess;
  try {
    // A process group of its own: beam.smp and the port programs it forks (memsup, inet_gethost, …)
    // join the ejabberdctl shell's group, so one group signal reaches exactly them.
    server = await spawnServer({
      name: "ejabberd",
      command: ctlPath,
      args: [...ctlArgs(launcher), "foreground"],
      env: ctlEnv(launcher),
      dir: paths.dir,
      consoleLog,
      processGroup: true,
    });
  } catch (error) {
    if (error instanceof SpawnFailedError)
      throw new EjabberdStartError(error.message, paths.logs, consoleLog.tail(20));
    throw error;
  }
  const running: RunningProcess = { server, beamPid: -1 };
  const logFile = join(paths.logs, "ejabberd.log");
  const wanted = [ports.c2sPort, ports.componentPort, ...(ports.upload ? [ports.httpPort] : [])];
  try {
    await server.waitUntilReady({
      timeoutMs: timing.startTimeoutMs,
      intervalMs: 25,
      onExit: (output) => {
        const reason = `ejabberd exited during startup (code ${server.exitCode}, signal ${server.signalCode})`;
        // "Failed to open socket … address already in use" (a listener) or
        // "register/listen error: eaddrinuse" (the distribution port).
        if (/eaddrinuse|address already in use/.test(output)) {
          return new PortCollisionError(
            `${reason}: a port is in use`,
            logFile,
            consoleLog.tail(ERROR_TAIL_LINES),
          );
        }
        return new EjabberdStartError(reason, logFile, consoleLog.tail(ERROR_TAIL_LINES));
      },
      // The console must confirm that this node started and that ejabberd itself opened each
      // listener: a port check alone could be fooled by another process on a colliding port.
      ready: async (output) => {
        if (!started(output, nodeName, ports)) return false;
        const accepting = await Promise.all(wanted.map((port) => acceptsConnections(port)));
        const beamPid = await readPid(paths.pidFile);
        if (!accepting.every(Boolean) || beamPid === undefined) return false;
        running.beamPid = beamPid;
        return true;
      },
      onTimeout: () =>
        new EjabberdStartError(
          `ejabberd did not accept connections on ports ${wanted.join(", ")} within ${timing.startTimeoutMs} ms`,
          logFile,
          consoleLog.tail(ERROR_TAIL_LINES),
        ),
    });
    return running;
  } catch (error) {
    await terminate(running, "kill", timing.stopTimeoutMs);
    throw error;
  }
}

function started(output: string, nodeName: string, ports: Ports): boolean {
  const listening = (port: number, module: string) =>
    output.includes(`Start accepting TCP connections at ${LOOPBACK}:${port} for ${module}`);
  return (
    output.includes(`is started in the node '${nodeName}'`) &&
    listening(ports.c2sPort, "ejabberd_c2s") &&
    listening(ports.componentPort, "ejabberd_service") &&
    (!ports.upload || listening(ports.httpPort, "ejabberd_http"))
  );
}

async function readPid(pidFile: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(pidFile, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `graceful`: SIGTERM to beam (Erlang runs init:stop(), ~1 s), SIGKILL after the timeout.
 * `kill`: SIGKILL to beam at once. Beam is signalled, not the group: the ejabberdctl shell then
 * reaps it and exits. Killing the shell first would orphan beam to PID 1, where it can linger
 * as a zombie that still answers `kill -0`. Whatever is left of the group afterwards (port
 * programs beam forked) gets SIGKILL; the group is ours alone, so that reaches nothing else.
 */
async function terminate(
  running: RunningProcess,
  mode: "graceful" | "kill",
  stopTimeoutMs: number,
): Promise<void> {
  const { server, beamPid } = running;
  if (beamPid > 0) {
    await server.stop({
      pid: beamPid,
      signal: mode === "graceful" ? "SIGTERM" : "SIGKILL",
      timeoutMs: mode === "graceful" ? stopTimeoutMs : 2000,
    });
  } else {
    // Failed before beam wrote its pidfile: nothing to shut down gracefully.
    await server.stop({ signal: "SIGKILL", timeoutMs: 2000 });
  }
}

/**
 * Sourced by ejabberdctl as bash. Its root check runs before this file is read and would
 * `su ejabberd`, which cannot write our root-owned temp dir: EXEC_CMD=as_current_user overrides it.
 * ERL_DIST_PORT makes the node listen on a fixed distribution port and never start epmd (which
 * would listen on 0.0.0.0:4369 and outlive us); ctl commands then connect to that port directly.
 * The loopback interface is set via ERL_OPTIONS, not INET_DIST_INTERFACE, which would boot an
 * extra Erlang VM on every ejabberdctl call just to parse the address.
 */
function renderCtlConfig(input: { nodeName: string; distributionPort: number; pidFile: string }): string {
  return `# Generated by @gangway/testing: a throwaway ejabberd node on loopback.
ERLANG_NODE=${input.nodeName}
ERL_DIST_PORT=${input.distributionPort}
ERL_EPMD_ADDRESS=${LOOPBACK}
EJABBERD_PID_PATH=${shellQuote(input.pidFile)}
ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1}"
EJABBERD_BYPASS_WARNINGS=true
EXEC_CMD=as_current_user
`;
}

function renderConfig(input: {
  ports: Ports;
  components: ComponentSpec[];
  uploadDomain: string | undefined;
  uploadDir: string;
  allowRegistration: boolean;
}): string {
  const { ports } = input;
  // mod_privilege takes one access rule per (permission, value); each rule allows an ACL listing
  // the component domains granted exactly that value.
  const grants = new Map<string, { key: string; value: string; domains: string[] }>();
  for (const component of input.components) {
    if (component.privileges === false) continue;
    for (const key of ["roster", "message", "presence"] as const) {
      const value = component.privileges[key];
      if (value === undefined || value === "none") continue;
      const name = `gangway_${key}_${value}`;
      const grant = grants.get(name) ?? { key, value, domains: [] };
      grant.domains.push(component.domain);
      grants.set(name, grant);
    }
  }
  const acl = [...grants].map(
    ([name, grant]) =>
      `  ${name}:\n    server:\n${grant.domains.map((d) => `      - ${yaml(d)}\n`).join("")}`,
  );
  const rules = [...grants].map(([name]) => `  ${name}:\n    allow: ${name}\n`);
  const privilegeModule =
    grants.size === 0
      ? ""
      : `  mod_privilege:\n${(["roster", "message", "presence"] as const)
          .map((key) => {
            const entries = [...grants].filter(([, g]) => g.key === key);
            if (entries.length === 0) return "";
            return `    ${key}:\n${entries.map(([name, g]) => `      ${g.value}: ${name}\n`).join("")}`;
          })
          .join("")}`;
  const services = input.components
    .map((c) => `      ${yaml(c.domain)}:\n        password: ${yaml(c.secret)}\n`)
    .join("");
  const uploadUrl = yaml(`http://${LOOPBACK}:${ports.httpPort}/upload`);
  const httpListener = input.uploadDomain
    ? `  -
    port: ${ports.httpPort}
    ip: "${LOOPBACK}"
    module: ejabberd_http
    request_handlers:
      /upload: mod_http_upload
`
    : "";
  const uploadModule = input.uploadDomain
    ? `  mod_http_upload:
    hosts:
      - ${yaml(input.uploadDomain)}
    put_url: ${uploadUrl}
    get_url: ${uploadUrl}
    docroot: ${yaml(input.uploadDir)}
    max_size: 10485760
`
    : "";
  const registerModule = input.allowRegistration
    ? `  mod_register:
    ip_access: all
    access: register
`
    : "";
  return `# Generated by @gangway/testing: a throwaway ejabberd 23.01 on loopback. No TLS, no s2s.
loglevel: info
log_rotate_count: 0
hosts:
  - ${yaml(XMPP_DOMAIN)}
# Never try Let's Encrypt; no server-to-server at all.
acme:
  auto: false
s2s_access: none
auth_method: internal
# Stored in plain so SASL PLAIN (what test clients use: xmpp.js' SCRAM costs ~340 ms) and SCRAM both work.
auth_password_format: plain
# The default (600 s) allows one XEP-0077 registration per IP per 10 minutes.
registration_timeout: infinity
listen:
  -
    port: ${ports.c2sPort}
    ip: "${LOOPBACK}"
    module: ejabberd_c2s
    max_stanza_size: 262144
    access: c2s
    starttls: false
  -
    port: ${ports.componentPort}
    ip: "${LOOPBACK}"
    module: ejabberd_service
    # The default (true) routes EVERY domain of this listener to whichever component logs in:
    # second.localhost would also receive gateway.localhost's stanzas and privilege advertisement.
    global_routes: false
    hosts:
${services}${httpListener}acl:
  local:
    user_regexp: ""
${acl.join("")}access_rules:
  # mod_http_upload's default access rule; without it every slot request is "forbidden".
  local:
    allow: local
  c2s:
    allow: all
  register:
    allow: all
${rules.join("")}# Lets ejabberdctl run every command (register, change_password, …).
api_permissions:
  "console commands":
    from:
      - ejabberd_ctl
    who: all
    what: "*"
modules:
  # ejabberdctl change_password (registerUser on an existing account), add_rosteritem, get_roster.
  mod_admin_extra: {}
  mod_disco: {}
  mod_ping: {}
  mod_roster: {}
  # Stores messages for logged-out users, as production servers do.
  mod_offline: {}
${registerModule}${privilegeModule}${uploadModule}`;
}

/** A YAML double-quoted scalar; JSON's string syntax is a subset of it. */
function yaml(value: string): string {
  return JSON.stringify(value);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}

function validateComponent(component: ComponentSpec): void {
  if (!DOMAIN_PATTERN.test(component.domain)) {
    throw new Error(`Invalid component domain: ${JSON.stringify(component.domain)}`);
  }
  if (!/^[\x20-\x7e]+$/.test(component.secret)) {
    throw new Error(`Component secret for ${component.domain} must be non-empty printable ASCII`);
  }
}

function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

function resolveEjabberdctl(explicit: string | undefined): string {
  return resolveExecutable({
    name: "ejabberdctl",
    explicit,
    envVar: "GANGWAY_EJABBERDCTL",
    fallbackDirs: ["/usr/sbin", "/usr/bin"],
    notInstalled: (searched) => new EjabberdNotInstalledError(searched),
  });
}
