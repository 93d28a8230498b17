import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ConsoleLog,
  resolveExecutable,
  retryOnPortCollision,
  ServerLifecycle,
  type ServerProcess,
  SpawnFailedError,
  spawnServer,
} from "./server-process.js";

/**
 * A throwaway ngIRCd (Debian 12: ngircd 26.1) for IRC gateway tests: its own config in a fresh temp
 * dir, one plain-text port on 127.0.0.1, run in the foreground (`ngircd -n -f <config>`) as a child
 * of the test process; never the system service.
 */

export interface NgircdOptions {
  /** The server's IRC name (must contain a dot). Default `irc.localhost`. */
  name?: string;
  /**
   * Global server password (`[Global] Password`): every client must send `PASS <password>`.
   * ngircd 26 has no SASL, so this is the only login check it can do. Default: none.
   */
  password?: string;
  /** `[Limits] MaxNickLength`. Default 31, the most ngircd 26 accepts (RFC 2812's 9 is too short for tests). */
  maxNickLength?: number;
  /** One-line message of the day (`MotdPhrase`, < 127 characters). Default `Gangway test server`. */
  motd?: string;
  /** How long start/restart may take before failing. Default 10 s (it takes ~10 ms here). */
  startTimeoutMs?: number;
  /** How long a SIGTERM'd ngircd gets before SIGKILL. Default 5 s (it exits in a few ms). */
  stopTimeoutMs?: number;
  /** Path of the `ngircd` executable. Default: `$GANGWAY_NGIRCD`, else `ngircd` on PATH, else /usr/sbin. */
  ngircdPath?: string;
}

export interface NgircdRestartOptions {
  /** How long the port stays closed between stop and start, e.g. to test reconnect back-off. Default 0. */
  downMs?: number;
}

export interface NgircdServer {
  /** Always 127.0.0.1: the fixture never listens elsewhere. */
  readonly host: string;
  /** The plain-text client port; the same after restart(). */
  readonly port: number;
  /** No TLS listener is configured. */
  readonly tlsPort: undefined;
  /** The server's IRC name (`irc.localhost`): the prefix of its numerics. */
  readonly name: string;
  /** The server password clients must send, or undefined when none is required. */
  readonly password: string | undefined;
  /** The configured (and advertised, ISUPPORT `NICKLEN`) maximum nick length. */
  readonly maxNickLength: number;
  /** The temp dir holding the config; removed by stop(). */
  readonly dir: string;
  readonly configPath: string;
  /** PID of the running ngircd (changes on restart). */
  readonly pid: number;
  /**
   * Stops ngircd (every client is disconnected with `ERROR :Server going down`), waits `downMs`,
   * starts it again on the same port. Nothing survives: ngircd keeps no state on disk.
   */
  restart(options?: NgircdRestartOptions): Promise<void>;
  /** SIGTERM (SIGKILL after a timeout), waits until the PID is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Everything ngircd logged on its console (all levels) since the first start. */
  logs(): string;
}

/** Thrown when the ngircd executable cannot be found. */
export class NgircdNotInstalledError extends Error {
  constructor(searched: string) {
    super(`ngIRCd is not installed (looked for ${searched}). Install it with: apt-get install ngircd`);
    this.name = "NgircdNotInstalledError";
  }
}

/** Thrown when ngircd does not come up, with its console output for diagnosis. */
export class NgircdStartError extends Error {
  constructor(reason: string, configPath: string, consoleOutput: string) {
    super(
      `${reason}\nngircd config: ${configPath}\n--- ngircd console output ---\n${consoleOutput.trimEnd()}`,
    );
    this.name = "NgircdStartError";
  }
}

class PortCollisionError extends NgircdStartError {}

const LOOPBACK = "127.0.0.1";
/** ngircd 26.1 refuses larger values ("Value of MaxNickLength exceeds 31!") and silently uses 31. */
const NGIRCD_MAX_NICK_LENGTH = 31;
const PORT_COLLISION_ATTEMPTS = 3;
const SERVER_NAME_PATTERN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i;

/**
 * Starts a throwaway ngircd on a free loopback port.
 *
 * ```ts
 * const irc = await startNgircd({ password: "letmein" });
 * const bob = await connectIrcBot({ host: irc.host, port: irc.port, nick: "bob", password: "letmein" });
 * await irc.stop();
 * ```
 */
export async function startNgircd(options: NgircdOptions = {}): Promise<NgircdServer> {
  const ngircdPath = resolveNgircdPath(options.ngircdPath);
  const settings = validateOptions(options);
  const dir = await mkdtemp(join(tmpdir(), "gangway-ngircd-"));
  // An empty include dir of our own: the default (/etc/ngircd/ngircd.conf.d) would pull in
  // whatever snippets the system's ngircd has.
  await mkdir(join(dir, "conf.d"));
  const configPath = join(dir, "ngircd.conf");
  const consoleLog = new ConsoleLog();
  const timing = {
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 5_000,
  };

  return retryOnPortCollision(
    {
      count: 1,
      attempts: PORT_COLLISION_ATTEMPTS,
      dir,
      isCollision: (error) => error instanceof PortCollisionError,
    },
    async (picked) => {
      const [port] = picked as [number];
      await writeFile(configPath, renderConfig({ ...settings, dir, port }));
      const running = await launch({
        ngircdPath,
        configPath,
        dir,
        port,
        name: settings.name,
        consoleLog,
        timing,
      });
      return new RunningNgircd({ ngircdPath, dir, configPath, port, settings, consoleLog, timing, running });
    },
  );
}

interface Settings {
  name: string;
  password: string | undefined;
  maxNickLength: number;
  motd: string;
}

interface Timing {
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

interface LaunchInput {
  ngircdPath: string;
  configPath: string;
  dir: string;
  port: number;
  name: string;
  consoleLog: ConsoleLog;
  timing: Timing;
}

class RunningNgircd implements NgircdServer {
  readonly host = LOOPBACK;
  readonly tlsPort = undefined;
  readonly port: number;
  readonly name: string;
  readonly password: string | undefined;
  readonly maxNickLength: number;
  readonly dir: string;
  readonly configPath: string;
  readonly #ngircdPath: string;
  readonly #consoleLog: ConsoleLog;
  readonly #timing: Timing;
  readonly #lifecycle: ServerLifecycle<ServerProcess>;

  constructor(init: {
    ngircdPath: string;
    dir: string;
    configPath: string;
    port: number;
    settings: Settings;
    consoleLog: ConsoleLog;
    timing: Timing;
    running: ServerProcess;
  }) {
    this.#ngircdPath = init.ngircdPath;
    this.dir = init.dir;
    this.configPath = init.configPath;
    this.port = init.port;
    this.name = init.settings.name;
    this.password = init.settings.password;
    this.maxNickLength = init.settings.maxNickLength;
    this.#consoleLog = init.consoleLog;
    this.#timing = init.timing;
    this.#lifecycle = new ServerLifecycle(
      {
        label: "ngircd",
        dir: init.dir,
        consoleLog: init.consoleLog,
        terminate: (running) => running.stop({ timeoutMs: init.timing.stopTimeoutMs }),
      },
      init.running,
    );
  }

  get pid(): number {
    const running = this.#lifecycle.current;
    if (!running) throw new Error("ngircd is not running");
    return running.pid;
  }

  logs(): string {
    return this.#consoleLog.text();
  }

  async restart(options: NgircdRestartOptions = {}): Promise<void> {
    // Same port on purpose (reconnect tests); if something took it meanwhile this fails clearly.
    await this.#lifecycle.restart(
      () =>
        launch({
          ngircdPath: this.#ngircdPath,
          configPath: this.configPath,
          dir: this.dir,
          port: this.port,
          name: this.name,
          consoleLog: this.#consoleLog,
          timing: this.#timing,
        }),
      options.downMs,
    );
  }

  stop(): Promise<void> {
    return this.#lifecycle.stop();
  }
}

async function launch(input: LaunchInput): Promise<ServerProcess> {
  const { ngircdPath, configPath, dir, port, name, consoleLog, timing } = input;
  let running: ServerProcess;
  try {
    // -n: stay in the foreground (no fork), so the child's PID is ngircd itself and the log goes to
    // the console. ngircd started as root drops to "nobody" after binding; it reads nothing afterwards.
    running = await spawnServer({
      name: "ngircd",
      command: ngircdPath,
      args: ["-n", "-f", configPath],
      dir,
      consoleLog,
      watchdogGraceTenths: 30,
    });
  } catch (error) {
    if (error instanceof SpawnFailedError)
      throw new NgircdStartError(error.message, configPath, consoleLog.text());
    throw error;
  }
  try {
    await running.waitUntilReady({
      timeoutMs: timing.startTimeoutMs,
      intervalMs: 5,
      failure: (output) =>
        output.includes(`Can't bind socket to address ${LOOPBACK}:${port}`)
          ? new PortCollisionError(`ngircd could not bind ${LOOPBACK}:${port} (in use)`, configPath, output)
          : undefined,
      onExit: (output) =>
        new NgircdStartError(
          `ngircd exited during startup (code ${running.exitCode}, signal ${running.signalCode})`,
          configPath,
          output,
        ),
      // Both lines come from our child's own console, so another process on a colliding port
      // cannot fake readiness; "listening" is logged after listen(), so the port accepts already.
      ready: (output) =>
        output.includes(`Now listening on [${LOOPBACK}]:${port}`) && output.includes(`Server "${name}" (on `),
      onTimeout: (output) =>
        new NgircdStartError(
          `ngircd did not report listening on ${LOOPBACK}:${port} within ${timing.startTimeoutMs} ms`,
          configPath,
          output,
        ),
    });
    return running;
  } catch (error) {
    await running.stop({ timeoutMs: timing.stopTimeoutMs });
    throw error;
  }
}

function validateOptions(options: NgircdOptions): Settings {
  const name = options.name ?? "irc.localhost";
  if (!SERVER_NAME_PATTERN.test(name)) {
    throw new Error(`Invalid IRC server name (a hostname with at least one dot): ${JSON.stringify(name)}`);
  }
  const password = options.password;
  // One config line and one PASS parameter: printable ASCII without spaces, not starting with ":".
  if (password !== undefined && !/^[\x21-\x39\x3b-\x7e][\x21-\x7e]*$/.test(password)) {
    throw new Error("The server password must be printable ASCII without spaces and not start with ':'");
  }
  const maxNickLength = options.maxNickLength ?? NGIRCD_MAX_NICK_LENGTH;
  if (!Number.isInteger(maxNickLength) || maxNickLength < 1 || maxNickLength > NGIRCD_MAX_NICK_LENGTH) {
    throw new Error(
      `maxNickLength must be an integer from 1 to ${NGIRCD_MAX_NICK_LENGTH} (ngircd 26's limit)`,
    );
  }
  const motd = options.motd ?? "Gangway test server";
  if (!/^[\x20-\x7e]{1,126}$/.test(motd)) {
    throw new Error("motd must be 1-126 printable ASCII characters (ngircd's MotdPhrase)");
  }
  return { name, password, maxNickLength, motd };
}

function renderConfig(input: Settings & { dir: string; port: number }): string {
  return `# Generated by @gangway/testing: a throwaway ngircd on loopback, plain text only.
[Global]
  Name = ${input.name}
  Info = Gangway test IRC server
  # Without admin info ngircd warns "required by RFC" on every start.
  AdminInfo1 = Gangway tests
  AdminInfo2 = 127.0.0.1 only
  AdminEMail = nobody@localhost
  Listen = ${LOOPBACK}
  Ports = ${input.port}
  MotdPhrase = ${input.motd}
${input.password === undefined ? "" : `  Password = ${input.password}\n`}
[Limits]
  # Every test client comes from 127.0.0.1: no per-IP cap, no global cap, no channel cap.
  MaxConnections = 0
  MaxConnectionsIP = 0
  MaxJoins = 0
  MaxNickLength = ${input.maxNickLength}
  # 0 disables ngircd's flood penalties (it logs "not recommended"): tests send bursts.
  MaxPenaltyTime = 0
  IdleTimeout = 0

[Options]
  # No lookups that could stall logins on an offline machine; PAM would also disable Password.
  PAM = no
  DNS = no
  Ident = no
  IncludeDir = ${join(input.dir, "conf.d")}
`;
}

function resolveNgircdPath(explicit: string | undefined): string {
  return resolveExecutable({
    name: "ngircd",
    explicit,
    envVar: "GANGWAY_NGIRCD",
    fallbackDirs: ["/usr/sbin", "/usr/bin"],
    notInstalled: (searched) => new NgircdNotInstalledError(searched),
  });
}
