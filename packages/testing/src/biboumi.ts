import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildForm, type Element, escapeLocalpart, xml } from "@gangway/xmpp";
import type { TestClient } from "./clients.js";
import type { ProsodyServer } from "./prosody.js";
import {
  ConsoleLog,
  resolveExecutable,
  type ServerProcess,
  SpawnFailedError,
  spawnServer,
} from "./server-process.js";

/**
 * A throwaway biboumi (Debian 12: biboumi 9.0), the reference XMPP ↔ IRC gateway, as an XEP-0114
 * component of a test Prosody: its own config file and SQLite database in a fresh temp dir, run in
 * the foreground (`biboumi <config>`) as a child of the test process, stopped by PID. Never the
 * system service, never its /etc/biboumi config.
 */

export interface BiboumiOptions {
  /** The Prosody biboumi logs into; `componentDomain` must be one of its components. */
  prosody: ProsodyServer;
  /** The component domain biboumi serves (`hostname`), e.g. `biboumi.localhost`. */
  componentDomain: string;
  /** The IRC server users reach (plain text). `password` is the server password (`PASS`) users send. */
  ircServer: { host: string; port: number; password?: string };
  /**
   * `fixed_irc_server`: every JID points at `ircServer.host`, so an IRC user is `nick@<domain>` and a
   * channel `#chan@<domain>`. With `false`, JIDs name the server: `nick%<host>@<domain>`. Default true.
   */
  fixedIrcServer?: boolean;
  /** `admin`: bare JIDs with biboumi's admin ad-hoc commands. Default none. */
  admins?: readonly string[];
  /** `realname_customization`: may users set their IRC username and realname. Default true. */
  realnameCustomization?: boolean;
  /** `log_level`: 0 debug, 1 info (default; readiness is read from an info line). */
  logLevel?: 0 | 1;
  /** How long start may take before failing. Default 10 s (it takes ~20 ms here). */
  startTimeoutMs?: number;
  /** How long a SIGTERM'd biboumi gets before SIGKILL. Default 5 s (it waits ≤ 2 s for IRC servers). */
  stopTimeoutMs?: number;
  /** Path of the `biboumi` executable. Default: `$GANGWAY_BIBOUMI`, else `biboumi` on PATH, else /usr/bin. */
  biboumiPath?: string;
}

/** Values of biboumi's per-user, per-IRC-server `server-configure` ad-hoc form. */
export interface BiboumiServerSettings {
  /** Plain-text ports (`ports`). Default: `[ircServer.port]`. */
  ports?: readonly number[];
  /** TLS ports, tried first (`tls_ports`). Default: none (biboumi's own default is 6697, 6670). */
  tlsPorts?: readonly number[];
  /**
   * `throttle_limit`: lines sent at full speed before biboumi sends one line per second. biboumi's
   * default is 10; a negative number disables throttling. Default: left as it is.
   */
  throttleLimit?: number;
  /** `pass`: the server password. Default: `ircServer.password` when set. */
  password?: string;
  /** `nick`: overrides the nick of the first joined channel's presence. */
  nickname?: string;
  /** `username` / `realname` (need `realnameCustomization`). */
  username?: string;
  realname?: string;
}

export interface BiboumiServer {
  /** The component domain (`hostname`). */
  readonly domain: string;
  readonly ircServer: { readonly host: string; readonly port: number; readonly password?: string };
  readonly fixedIrcServer: boolean;
  /** The JID of the IRC server (ad-hoc `server-configure`, raw IRC commands): the domain itself when fixed. */
  readonly serverJid: string;
  readonly dir: string;
  readonly configPath: string;
  /** The SQLite database (`db_name`), inside `dir`. */
  readonly dbPath: string;
  readonly pid: number;
  /** The JID of IRC user `nick` for 1:1 messages: `nick@<domain>` (fixed) or `nick%<host>@<domain>`. */
  jidFor(nick: string): string;
  /** The MUC JID of an IRC channel, e.g. `#room@<domain>` (fixed) or `#room%<host>@<domain>`. */
  channelJid(channel: string): string;
  /**
   * Fills in biboumi's `server-configure` form for `client`'s bare JID (stored in biboumi's
   * database): by default the fixture's port without TLS and the server password. Takes effect on
   * the user's next IRC connection.
   */
  configureIrcServer(client: TestClient, settings?: BiboumiServerSettings): Promise<void>;
  /**
   * Joins `channel` as `nick` and resolves on biboumi's self-presence (status 110): biboumi opens a
   * user's IRC connection only for a channel join, and a private message sent before it gets
   * `remote-server-not-found` "Not connected to IRC server …".
   */
  joinChannel(client: TestClient, channel: string, nick: string, timeoutMs?: number): Promise<Element>;
  /** biboumi's resident set size (`VmRSS` of /proc/<pid>/status), in bytes. */
  rssBytes(): number;
  /** SIGTERM (SIGKILL after a timeout), waits until the PID is gone, removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** Everything biboumi logged on its console since the start. */
  logs(): string;
}

/** Thrown when the biboumi executable cannot be found. */
export class BiboumiNotInstalledError extends Error {
  constructor(searched: string) {
    super(`biboumi is not installed (looked for ${searched}). Install it with: apt-get install biboumi`);
    this.name = "BiboumiNotInstalledError";
  }
}

/** Thrown when biboumi does not come up, with its console output for diagnosis. */
export class BiboumiStartError extends Error {
  constructor(reason: string, configPath: string, consoleOutput: string) {
    super(
      `${reason}\nbiboumi config: ${configPath}\n--- biboumi console output ---\n${consoleOutput.trimEnd()}`,
    );
    this.name = "BiboumiStartError";
  }
}

const LOOPBACK = "127.0.0.1";
const READY_LINE = "Authenticated with the XMPP server";
const COMMANDS_NS = "http://jabber.org/protocol/commands";

/** Is this path-safe and config-safe (one `key=value` line)? */
function assertConfigValue(name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new Error(`biboumi ${name} must be one line: ${JSON.stringify(value)}`);
}

/**
 * Starts biboumi as the component `componentDomain` of `prosody`, pointed at `ircServer`.
 *
 * ```ts
 * const prosody = await startProsody({ extraComponents: [{ domain: "biboumi.localhost" }] });
 * const irc = await startNgircd();
 * const biboumi = await startBiboumi({ prosody, componentDomain: "biboumi.localhost", ircServer: irc });
 * await biboumi.configureIrcServer(alice, { throttleLimit: -1 });
 * await biboumi.joinChannel(alice, "#lobby", "alice");
 * await alice.send(`<message type="chat" to="${biboumi.jidFor("bob")}"><body>hi</body></message>`);
 * ```
 */
export async function startBiboumi(options: BiboumiOptions): Promise<BiboumiServer> {
  const biboumiPath = resolveBiboumiPath(options.biboumiPath);
  const { prosody, componentDomain } = options;
  const component = prosody.components.find((c) => c.domain === componentDomain);
  if (!component) {
    throw new Error(
      `Prosody has no component ${componentDomain} (it has ${prosody.components.map((c) => c.domain).join(", ")}): ` +
        "add it with startProsody({ extraComponents: [{ domain, privileges: false }] })",
    );
  }
  const ircServer = {
    host: options.ircServer.host,
    port: options.ircServer.port,
    ...(options.ircServer.password !== undefined && { password: options.ircServer.password }),
  };
  const fixedIrcServer = options.fixedIrcServer ?? true;
  const admins = options.admins ?? [];
  for (const [name, value] of [
    ["hostname", componentDomain],
    ["password", component.secret],
    ["fixed_irc_server", ircServer.host],
    ["admin", admins.join(":")],
  ] as const) {
    assertConfigValue(name, value);
  }
  const dir = await mkdtemp(join(tmpdir(), "gangway-biboumi-"));
  const configPath = join(dir, "biboumi.cfg");
  const dbPath = join(dir, "biboumi.sqlite");
  await writeFile(
    configPath,
    renderConfig({
      hostname: componentDomain,
      password: component.secret,
      port: prosody.componentPort,
      admins,
      fixedIrcServer: fixedIrcServer ? ircServer.host : undefined,
      dbPath,
      realnameCustomization: options.realnameCustomization ?? true,
      logLevel: options.logLevel ?? 1,
      dir,
    }),
  );
  const consoleLog = new ConsoleLog();
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const running = await launch({
    biboumiPath,
    configPath,
    dir,
    consoleLog,
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
    stopTimeoutMs,
  });
  return new RunningBiboumi({
    domain: componentDomain,
    ircServer,
    fixedIrcServer,
    dir,
    configPath,
    dbPath,
    consoleLog,
    stopTimeoutMs,
    running,
  });
}

class RunningBiboumi implements BiboumiServer {
  readonly domain: string;
  readonly ircServer: { readonly host: string; readonly port: number; readonly password?: string };
  readonly fixedIrcServer: boolean;
  readonly dir: string;
  readonly configPath: string;
  readonly dbPath: string;
  readonly pid: number;
  readonly #consoleLog: ConsoleLog;
  readonly #stopTimeoutMs: number;
  readonly #running: ServerProcess;
  #stopped: Promise<void> | undefined;

  constructor(init: {
    domain: string;
    ircServer: { host: string; port: number; password?: string };
    fixedIrcServer: boolean;
    dir: string;
    configPath: string;
    dbPath: string;
    consoleLog: ConsoleLog;
    stopTimeoutMs: number;
    running: ServerProcess;
  }) {
    this.domain = init.domain;
    this.ircServer = init.ircServer;
    this.fixedIrcServer = init.fixedIrcServer;
    this.dir = init.dir;
    this.configPath = init.configPath;
    this.dbPath = init.dbPath;
    this.#consoleLog = init.consoleLog;
    this.#stopTimeoutMs = init.stopTimeoutMs;
    this.#running = init.running;
    this.pid = init.running.pid;
  }

  get serverJid(): string {
    return this.fixedIrcServer ? this.domain : `${this.ircServer.host}@${this.domain}`;
  }

  jidFor(nick: string): string {
    // JID localparts are case-folded by the XMPP server; IRC nicks are case-insensitive.
    const local = escapeLocalpart(nick.toLowerCase());
    return this.fixedIrcServer ? `${local}@${this.domain}` : `${local}%${this.ircServer.host}@${this.domain}`;
  }

  channelJid(channel: string): string {
    const local = escapeLocalpart(channel.toLowerCase());
    return this.fixedIrcServer ? `${local}@${this.domain}` : `${local}%${this.ircServer.host}@${this.domain}`;
  }

  async configureIrcServer(client: TestClient, settings: BiboumiServerSettings = {}): Promise<void> {
    // The node differs: with fixed_irc_server the domain serves both the gateway's own `configure`
    // (now `global-configure`) and the server's (`server-configure`); otherwise the server JID has `configure`.
    const node = this.fixedIrcServer ? "server-configure" : "configure";
    const first = await client.request(
      `<iq type="set" to="${this.serverJid}"><command xmlns="${COMMANDS_NS}" node="${node}" action="execute"/></iq>`,
    );
    const sessionid = first.getChild("command", COMMANDS_NS)?.attrs.sessionid;
    if (!sessionid) throw new Error(`biboumi's ${node} sent no session: ${first.toString()}`);
    // Every field goes back with its current value: biboumi stores what is submitted, and a field
    // left out is stored empty (an omitted throttle_limit becomes 0: every line throttled to 1/s).
    const values = new Map<string, readonly string[]>();
    const formElement = first.getChild("command", COMMANDS_NS)?.getChild("x", "jabber:x:data");
    for (const field of formElement?.getChildren("field") ?? []) {
      const name = field.attrs.var;
      if (typeof name !== "string" || field.attrs.type === "fixed") continue;
      values.set(
        name,
        field.getChildren("value").map((value) => value.text()),
      );
    }
    const password = settings.password ?? this.ircServer.password;
    values.set("ports", (settings.ports ?? [this.ircServer.port]).map(String));
    values.set("tls_ports", (settings.tlsPorts ?? []).map(String));
    if (settings.throttleLimit !== undefined) values.set("throttle_limit", [String(settings.throttleLimit)]);
    if (password !== undefined) values.set("pass", [password]);
    if (settings.nickname !== undefined) values.set("nick", [settings.nickname]);
    if (settings.username !== undefined) values.set("username", [settings.username]);
    if (settings.realname !== undefined) values.set("realname", [settings.realname]);
    const form = buildForm({
      type: "submit",
      fields: [...values.keys()].map((name) => ({ var: name, type: "text-multi" as const })),
      values: Object.fromEntries([...values].map(([name, list]) => [name, [...list]])),
    });
    const done = await client.request(
      xml(
        "iq",
        { type: "set", to: this.serverJid },
        xml("command", { xmlns: COMMANDS_NS, node, sessionid, action: "complete" }, form),
      ),
    );
    const status = done.getChild("command", COMMANDS_NS)?.attrs.status;
    if (status !== "completed") throw new Error(`biboumi's ${node} did not complete: ${done.toString()}`);
  }

  async joinChannel(client: TestClient, channel: string, nick: string, timeoutMs = 10_000): Promise<Element> {
    const room = this.channelJid(channel);
    const occupant = `${room}/${nick}`;
    await client.send(
      xml(
        "presence",
        { to: occupant },
        xml("x", { xmlns: "http://jabber.org/protocol/muc" }, xml("history", { maxstanzas: "0" })),
      ),
    );
    const self = await client.waitFor(
      (s) =>
        s.is("presence") &&
        String(s.attrs.from).startsWith(`${room}/`) &&
        (s.attrs.type === "error" ||
          (s
            .getChild("x", "http://jabber.org/protocol/muc#user")
            ?.getChildren("status")
            .some((status) => status.attrs.code === "110") ??
            false)),
      timeoutMs,
    );
    if (self.attrs.type === "error")
      throw new Error(`biboumi refused to join ${occupant}: ${self.toString()}`);
    return self;
  }

  rssBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    if (!match) throw new Error(`no VmRSS in /proc/${this.pid}/status`);
    return Number(match[1]) * 1024;
  }

  logs(): string {
    return this.#consoleLog.text();
  }

  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      // SIGTERM: biboumi QUITs every IRC connection and exits once the servers acknowledge (≤ 2 s).
      await this.#running.stop({ timeoutMs: this.#stopTimeoutMs });
      await rm(this.dir, { recursive: true, force: true });
    })();
    return this.#stopped;
  }
}

async function launch(input: {
  biboumiPath: string;
  configPath: string;
  dir: string;
  consoleLog: ConsoleLog;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}): Promise<ServerProcess> {
  const { biboumiPath, configPath, dir, consoleLog } = input;
  let running: ServerProcess;
  try {
    // biboumi never daemonizes: the child's PID is biboumi itself; with no log_file it logs to stdout.
    running = await spawnServer({
      name: "biboumi",
      command: biboumiPath,
      args: [configPath],
      cwd: dir,
      dir,
      consoleLog,
      watchdogGraceTenths: 30,
    });
  } catch (error) {
    if (!(error instanceof SpawnFailedError)) throw error;
    await rm(dir, { recursive: true, force: true });
    throw new BiboumiStartError(error.message, configPath, consoleLog.text());
  }
  try {
    await running.waitUntilReady({
      timeoutMs: input.startTimeoutMs,
      intervalMs: 5,
      // Logged after the component handshake succeeded: Prosody routes the domain to us from now on.
      ready: () => consoleLog.text().includes(READY_LINE),
      onExit: () =>
        new BiboumiStartError(
          `biboumi exited during startup (code ${running.exitCode}, signal ${running.signalCode})`,
          configPath,
          consoleLog.text(),
        ),
      onTimeout: () =>
        new BiboumiStartError(
          `biboumi did not log "${READY_LINE}" within ${input.startTimeoutMs} ms`,
          configPath,
          consoleLog.text(),
        ),
    });
    return running;
  } catch (error) {
    await running.stop({ timeoutMs: input.stopTimeoutMs });
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function renderConfig(input: {
  hostname: string;
  password: string;
  port: number;
  admins: readonly string[];
  fixedIrcServer: string | undefined;
  dbPath: string;
  realnameCustomization: boolean;
  logLevel: number;
  dir: string;
}): string {
  return [
    "# Generated by @gangway/testing: a throwaway biboumi (key=value, no spaces around '=').",
    `hostname=${input.hostname}`,
    `password=${input.password}`,
    `xmpp_server_ip=${LOOPBACK}`,
    `port=${input.port}`,
    `admin=${input.admins.join(":")}`,
    ...(input.fixedIrcServer ? [`fixed_irc_server=${input.fixedIrcServer}`] : []),
    `db_name=${input.dbPath}`,
    `realname_customization=${input.realnameCustomization}`,
    "realname_from_jid=false",
    // Empty: log to stdout (the fixture's console log).
    "log_file=",
    `log_level=${input.logLevel}`,
    // biboumi's identd would listen on 0.0.0.0:113 (as root): off.
    "identd_port=0",
    // TLS policy files are looked up here, not in /etc/biboumi (none: we speak plain text).
    `policy_directory=${input.dir}`,
    "",
  ].join("\n");
}

function resolveBiboumiPath(explicit: string | undefined): string {
  return resolveExecutable({
    name: "biboumi",
    explicit,
    envVar: "GANGWAY_BIBOUMI",
    fallbackDirs: ["/usr/bin"],
    notInstalled: (searched) => new BiboumiNotInstalledError(searched),
  });
}

/** Whether a biboumi executable can be found (for `describe.skipIf`). */
export function biboumiAvailable(biboumiPath?: string): boolean {
  try {
    resolveBiboumiPath(biboumiPath);
    return true;
  } catch {
    return false;
  }
}
