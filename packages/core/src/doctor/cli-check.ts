import { type Store, StoreError } from "@gangway/store";
import pino, { type DestinationStream } from "pino";
import type { GatewayConfig } from "../config/config.js";
import type { AnyGateway } from "../gateway.js";
import type { Logger } from "../logger.js";
import { allGranted, runChecks } from "./checks.js";
import { someUsers } from "./command.js";
import { renderReport } from "./report.js";

/**
 * `--check`: connect the component once, report what the server grants (the `doctor` command's
 * report) and exit, instead of running the gateway. Users are not logged in. The server takes one
 * connection per component JID: run it while the gateway itself is stopped.
 */

export const CHECK_FLAG = "--check";

/** How long `--check` tries to connect (the gateway itself retries forever). */
export const CHECK_CONNECT_TIMEOUT_MS = 10_000;
/** How long it waits for the server's XEP-0356 advertisement once connected. */
export const CHECK_PRIVILEGE_WAIT_MS = 2_000;

/** Its line in `--help` (the options there all take a value; this one does not). */
export const CHECK_FLAG_HELP =
  "\n  --check  connect, print what the XMPP server grants and what is missing (with the config lines\n" +
  "           that fix it), and exit: 0 everything granted, 4 something missing, 3 cannot connect\n";

/** Takes `--check` out of argv: the configuration parser knows only options with values. */
export function takeCheckFlag(argv: readonly string[]): { check: boolean; argv: string[] } {
  return { check: argv.includes(CHECK_FLAG), argv: argv.filter((arg) => arg !== CHECK_FLAG) };
}

/**
 * The report's only line when the check could not even start (usually: the database did not
 * open): what went wrong, as the store says it (its URLs come without passwords).
 */
export function startupFailureLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return err instanceof StoreError
    ? `✗ Database: could not open it: ${message}\n`
    : `✗ Could not start the check: ${message}\n`;
}

/** In check mode the report is stdout; the logs go to stderr. */
export function checkLogDestination(): DestinationStream {
  return pino.destination({ fd: 2, sync: true });
}

export interface CheckExitCodes {
  cannotConnect: number;
  missing: number;
}

/**
 * Connects (giving up after CHECK_CONNECT_TIMEOUT_MS), waits a moment for the privileges, runs
 * the checks, writes the report to `out` and resolves with the exit code: 0, `missing` or
 * `cannotConnect`. Stops the gateway's connection and closes the store either way.
 */
export async function runCheck(
  gateway: AnyGateway,
  store: Store,
  config: GatewayConfig,
  logger: Logger,
  codes: CheckExitCodes,
  out: (text: string) => void = (text) => void process.stdout.write(text),
): Promise<number> {
  const where = `${config.server}:${config.port}`;
  try {
    const connected = await connectWithin(gateway, CHECK_CONNECT_TIMEOUT_MS);
    if (connected !== true) {
      out(`✗ Component connection: cannot connect as ${config.jid} to ${where}: ${connected}\n`);
      return codes.cannotConnect;
    }
    await privilegesOrTimeout(gateway, CHECK_PRIVILEGE_WAIT_MS);
    const results = await runChecks(gateway, {
      connection: `online as ${config.jid} at ${where}`,
      accounts: await someUsers(gateway).catch(() => []),
    });
    out(`${renderReport(config.jid, results)}\n`);
    return allGranted(results) ? 0 : codes.missing;
  } finally {
    await gateway.stop().catch((err) => logger.warn({ err }, "check: closing the connection failed"));
    await store.close().catch((err) => logger.warn({ err }, "check: closing the store failed"));
  }
}

/** `true` once online; otherwise why not (the transport's error, or the timeout). */
async function connectWithin(gateway: AnyGateway, timeoutMs: number): Promise<true | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no connection within ${timeoutMs / 1000} s`), timeoutMs);
  });
  try {
    return await Promise.race([
      gateway.component.start().then(
        () => true as const,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The advertisement can trail the handshake; without one, the report says nothing was granted. */
async function privilegesOrTimeout(gateway: AnyGateway, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (gateway.privileges === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
