import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { XmppServerAddress } from "./clients.js";

/**
 * Debian's python3 on purpose: a pyenv/asdf `python3` earlier on PATH does not see Debian's
 * dist-packages, so `import slixmpp` fails there. Override with `GANGWAY_SLIXMPP_PYTHON`.
 */
const DEFAULT_PYTHON = "/usr/bin/python3";

/** The script ships in the package; `src/` and `dist/` are both one level below the package root. */
export const SLIXMPP_SCRIPT_PATH = fileURLToPath(new URL("../scripts/slix_client.py", import.meta.url));

export interface SlixmppRunOptions {
  server: XmppServerAddress;
  /** Bare JID of the account, e.g. `carol@localhost`. */
  jid: string;
  password: string;
  /** Create the account with XEP-0077 before logging in. */
  registerAccount?: boolean;
  /** Register with this gateway component (XEP-0077), answering its form with `gatewayFields`. */
  registerGateway?: string;
  gatewayFields?: Record<string, string>;
  /** Fetch the roster after login (and after gateway registration). */
  fetchRoster?: boolean;
  /**
   * Poll the roster until it holds all of these JIDs, then report it (implies `fetchRoster`).
   * A gateway fills the roster asynchronously after registration (XEP-0356 privileged set).
   */
  waitForRosterItems?: readonly string[];
  /**
   * Before sending, wait for an available presence from this JID (bare match). Initial presence is
   * then sent right after login, so presences sent during gateway registration reach the client.
   */
  waitForPresence?: { from: string; status?: string };
  /** Send `message` to this JID. */
  sendTo?: string;
  message?: string;
  /** Wait for a message back from `sendTo` before finishing. */
  waitReply?: boolean;
  /** Whole-run budget in ms. Default 10 s. */
  timeoutMs?: number;
}

export interface SlixmppRosterItem {
  jid: string;
  name: string;
  subscription: string;
  groups: string[];
}

export interface SlixmppMessage {
  from: string;
  to: string;
  type: string;
  body: string;
}

/** One JSON line printed by the script; `event` says which step it reports. */
export interface SlixmppEvent {
  event: string;
  /** Milliseconds since the script started. */
  ms: number;
  [field: string]: unknown;
}

export interface SlixmppRunResult {
  /** True when every requested step succeeded (the script's exit code was 0). */
  ok: boolean;
  exitCode: number | null;
  events: SlixmppEvent[];
  /** The roster when `fetchRoster` was set and it succeeded. */
  roster: SlixmppRosterItem[] | undefined;
  /** The presence `waitForPresence` waited for. */
  presence: { from: string; show: string; status: string } | undefined;
  /** Every chat/normal message received, in order. */
  messages: SlixmppMessage[];
  /** Error events (`step`, `condition`, `message`). */
  errors: SlixmppEvent[];
  stderr: string;
}

let availability: boolean | undefined;

/** Whether Debian's python3-slixmpp can be imported (checked once per process). */
export function slixmppAvailable(): boolean {
  availability ??=
    spawnSync(pythonPath(), ["-c", "import slixmpp"], { stdio: "ignore", timeout: 10_000 }).status === 0;
  return availability;
}

/**
 * Runs the shipped slixmpp script as an independent "real client" and collects what it reported.
 * Resolves even when a step fails (`ok: false`, see `errors`); rejects only if python cannot run.
 */
export function runSlixmppClient(options: SlixmppRunOptions): Promise<SlixmppRunResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = [
    SLIXMPP_SCRIPT_PATH,
    "--jid",
    options.jid,
    "--password",
    options.password,
    "--host",
    options.server.host ?? "127.0.0.1",
    "--port",
    String(options.server.c2sPort),
    "--timeout",
    String(timeoutMs / 1000),
  ];
  if (options.registerAccount) args.push("--register-account");
  if (options.registerGateway) {
    args.push("--register-gateway", options.registerGateway);
    for (const [name, value] of Object.entries(options.gatewayFields ?? {})) {
      args.push("--gateway-field", `${name}=${value}`);
    }
  }
  if (options.fetchRoster) args.push("--roster");
  for (const jid of options.waitForRosterItems ?? []) args.push("--wait-roster-item", jid);
  if (options.waitForPresence) {
    args.push("--wait-presence", options.waitForPresence.from);
    if (options.waitForPresence.status !== undefined) {
      args.push("--wait-status", options.waitForPresence.status);
    }
  }
  if (options.sendTo) {
    args.push("--send-to", options.sendTo);
    if (options.message !== undefined) args.push("--message", options.message);
    if (options.waitReply) args.push("--wait-reply");
  }

  return new Promise((resolve, reject) => {
    const child = spawn(pythonPath(), args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    // The script enforces its own timeout; this one only catches a hung interpreter.
    const killTimer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 5000);
    child.once("error", (error) => {
      clearTimeout(killTimer);
      reject(new Error(`Could not run ${pythonPath()} ${SLIXMPP_SCRIPT_PATH}: ${error.message}`));
    });
    child.once("close", (exitCode) => {
      clearTimeout(killTimer);
      const events = parseEvents(stdout);
      const rosterEvent = events.find((event) => event.event === "roster");
      const presenceEvent = events.find((event) => event.event === "presence");
      resolve({
        ok: exitCode === 0,
        exitCode,
        events,
        roster: rosterEvent?.items as SlixmppRosterItem[] | undefined,
        presence: presenceEvent
          ? {
              from: String(presenceEvent.from),
              show: String(presenceEvent.show),
              status: String(presenceEvent.status),
            }
          : undefined,
        messages: events
          .filter((event) => event.event === "message")
          .map(({ from, to, type, body }) => ({ from, to, type, body }) as SlixmppMessage),
        errors: events.filter((event) => event.event === "error"),
        stderr,
      });
    });
  });
}

function parseEvents(stdout: string): SlixmppEvent[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as SlixmppEvent);
}

function pythonPath(): string {
  return process.env.GANGWAY_SLIXMPP_PYTHON ?? DEFAULT_PYTHON;
}
