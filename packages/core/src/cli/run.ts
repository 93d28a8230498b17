import { access, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { openStore, type Store } from "@gangway/store";
import { ComponentTransport } from "@gangway/xmpp";
import { CommanderError } from "commander";
import type { AppOptions } from "../config/app-options.js";
import { ConfigError, type GatewayConfig, loadGatewayConfig } from "../config/config.js";
import {
  CHECK_FLAG_HELP,
  checkLogDestination,
  runCheck,
  startupFailureLine,
  takeCheckFlag,
} from "../doctor/cli-check.js";
import type { AnyGateway, GatewayDependencies } from "../gateway.js";
import { createLogger, type Logger, logFormatFor } from "../logger.js";
import { loadSecretBox } from "./secret-key.js";

/** A gateway class: its constructor, and the app's own options it declares (`static OPTIONS`). */
export type GatewayClass<G extends AnyGateway> = {
  new (deps: GatewayDependencies): G;
  readonly OPTIONS?: AppOptions;
};

export interface RunOptions {
  /** Short app name: default home dir `~/.local/share/gangway/<appName>`. */
  appName: string;
  command?: string;
  description?: string;
  version?: string;
  argv?: readonly string[];
  env?: NodeJS.ProcessEnv;
}

/** Exit codes an operator's supervisor can tell apart. */
export const EXIT_CONFIG_ERROR = 2;
export const EXIT_STARTUP_FAILED = 3;
/** `--check` found something the server does not grant (the report says what and how to fix it). */
export const EXIT_CHECK_MISSING = 4;

/** The embedded database's file in the home dir. */
export const SQLITE_FILE = "gangway.sqlite";

/** Opens the database the configuration points at: PostgreSQL with `--db-url`, else SQLite in the home dir. */
export async function openConfiguredStore(config: GatewayConfig, logger: Logger): Promise<Store> {
  await mkdir(config.homeDir, { recursive: true, mode: 0o700 });
  const secretBox = await loadSecretBox(config, logger);
  // --store-retry: how long queries wait out a database outage before users get an error.
  const retryForMs = config.limits.storeRetryMs;
  const store = config.dbUrl
    ? await openStore({ driver: "postgres", url: config.dbUrl, secretBox, retryForMs }, logger)
    : await openStore(
        { driver: "sqlite", file: join(config.homeDir, SQLITE_FILE), secretBox, retryForMs },
        logger,
      );
  await warnAboutPgliteLeftovers(config, logger);
  // Rows written before a key was set, or sealed with a previous key, are sealed with the current one.
  const resealed = await store.users.resealAll();
  if (resealed > 0) logger.info({ users: resealed }, "sealed users' credentials with the current secret key");
  return store;
}

/** Releases before SQLite kept an embedded PGlite database in `<home-dir>/db`: nothing reads it now. */
async function warnAboutPgliteLeftovers(config: GatewayConfig, logger: Logger): Promise<void> {
  const leftover = join(config.homeDir, "db", "PG_VERSION");
  if (
    await access(leftover).then(
      () => true,
      () => false,
    )
  ) {
    logger.warn(
      { directory: join(config.homeDir, "db") },
      "found a database of an earlier release (embedded PGlite), which is no longer read: users registered there must register again; delete the directory once you no longer need it",
    );
  }
}

/**
 * The `main()` of every gateway app: parse the configuration, open (and migrate) the database,
 * connect to the XMPP server, log users in, and shut down cleanly on SIGTERM/SIGINT.
 * Returns the running gateway; `process.exitCode` tells failures.
 */
export async function runGateway<G extends AnyGateway>(
  Gateway: GatewayClass<G>,
  options: RunOptions,
): Promise<G | undefined> {
  const startedAt = performance.now();
  // --check: report what the server grants, then exit (see doctor/cli-check.ts).
  const { check, argv } = takeCheckFlag(options.argv ?? process.argv.slice(2));
  let config: GatewayConfig;
  try {
    config = loadGatewayConfig({
      ...options,
      appOptions: Gateway.OPTIONS,
      argv,
      env: options.env ?? process.env,
    });
  } catch (err) {
    if (err instanceof CommanderError && err.exitCode === 0) {
      const helpText = (err as CommanderError & { helpText?: string }).helpText;
      process.stdout.write(helpText ? `${helpText}${CHECK_FLAG_HELP}` : `${err.message}\n`);
      return undefined;
    }
    if (err instanceof ConfigError) {
      process.stderr.write(
        `${options.command ?? `gangway-${options.appName}`}: configuration error:\n${err.message}\n`,
      );
      process.exitCode = EXIT_CONFIG_ERROR;
      return undefined;
    }
    throw err;
  }

  const format = logFormatFor(config.logFormat, process.stdout);
  // With --check the report is stdout, the logs stderr.
  const logger = createLogger(
    { level: config.logLevel, name: options.appName, format },
    check ? checkLogDestination() : undefined,
  );
  let store: Store | undefined;
  let gateway: G | undefined;
  let transport: ComponentTransport | undefined;
  // Installed before anything starts: a supervisor may signal as soon as it sees "gateway
  // running" (or earlier); a signal during startup stops the gateway once it has started.
  let shutdown: ((signal: string) => Promise<void>) | undefined;
  let signalledDuringStartup: string | undefined;
  const onSignal = (signal: string) => {
    if (shutdown) return void shutdown(signal);
    signalledDuringStartup ??= signal;
    // Still waiting for the XMPP server, which it would retry forever: nothing has started that
    // stopping could leave half done, so stop waiting (start() then fails as "stopped").
    if (transport && transport.status !== "online") void transport.stop().catch(() => {});
  };
  process.once("SIGTERM", () => onSignal("SIGTERM"));
  process.once("SIGINT", () => onSignal("SIGINT"));
  try {
    store = await openConfiguredStore(config, logger);
    transport = new ComponentTransport({
      service: `xmpp://${config.server}:${config.port}`,
      domain: config.jid,
      password: config.secret,
      logger,
      // Refused before queueing, never written: the server would close the stream on it.
      maxStanzaBytes: config.limits.stanzaBytes,
    });
    gateway = new Gateway({ config, store, transport, logger });
    if (check) {
      const codes = { cannotConnect: EXIT_STARTUP_FAILED, missing: EXIT_CHECK_MISSING };
      process.exitCode = await runCheck(gateway, store, config, logger, codes);
      return undefined;
    }
    await gateway.start();
  } catch (err) {
    if (signalledDuringStartup && !check) {
      logger.info({ signal: signalledDuringStartup }, "stopped before the XMPP server answered");
      await gateway?.stop().catch(() => {});
      await store?.close().catch(() => {});
      logger.flush();
      return undefined;
    }
    logger.fatal({ err }, "could not start the gateway");
    if (check) process.stdout.write(startupFailureLine(err));
    await gateway?.stop().catch(() => {});
    await store?.close().catch(() => {});
    process.exitCode = EXIT_STARTUP_FAILED;
    return undefined;
  }
  logger.info(
    { startupMs: Math.round(performance.now() - startedAt), users: gateway.sessions.size },
    "gateway running",
  );

  const running = gateway;
  const openStoreHandle = store;
  let shuttingDown = false;
  shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, "shutting down");
    try {
      await running.stop();
      await openStoreHandle.close();
    } catch (err) {
      logger.error({ err }, "error during shutdown");
      process.exitCode = 1;
    }
    logger.flush();
  };
  if (signalledDuringStartup) void shutdown(signalledDuringStartup);
  return running;
}
