import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { StoreDriverName } from "@gangway/store";
import {
  type EjabberdServer,
  type ProsodyServer,
  runSlixmppClient,
  type SlixmppRawStep,
  type SlixmppRunOptions,
  type SlixmppRunResult,
  startEjabberd,
  startProsody,
  type XmppServerAddress,
} from "@gangway/testing";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import type { Cleanups } from "./support.js";
import { createTestDatabase, type TestDatabase } from "./test-databases.js";

/**
 * What the Messenger e2e files share: the built `gangway-messenger` executable
 * (apps/messenger-gateway/dist/bin.js) with `--backend fake`, run as its own process against a real
 * Prosody, and slixmpp runs that register with it through its XEP-0050 "Register" command (its
 * XEP-0077 form cannot carry the login checkpoint's second step).
 */

export const MESSENGER = "messenger.localhost";
export const ALICE = `alice.fb@${MESSENGER}`;
export const BOB = `bob.fb@${MESSENGER}`;
export const FAMILY = `family@${MESSENGER}`;
export const MARKERS = "urn:xmpp:chat-markers:0";

const require = createRequire(import.meta.url);
export const MESSENGER_BIN = join(
  dirname(require.resolve("@gangway/messenger-gateway/package.json")),
  "dist",
  "bin.js",
);

export interface MessengerStack {
  server: ProsodyServer | EjabberdServer;
  database: TestDatabase;
  gateway: GatewayProcess;
  /** Stops the running gateway (SIGTERM) and starts it again on the same database and home dir. */
  restartGateway(): Promise<GatewayProcess>;
}

/**
 * A Prosody (or ejabberd) with the component `messenger.localhost`, a new database and the
 * gateway on it, running.
 */
export async function startMessengerStack(
  cleanups: Cleanups,
  driver: StoreDriverName,
  serverKind: "prosody" | "ejabberd" = "prosody",
): Promise<MessengerStack> {
  const options = { componentDomain: MESSENGER };
  const server = serverKind === "prosody" ? await startProsody(options) : await startEjabberd(options);
  cleanups.add(() => server.stop());
  const database = await createTestDatabase(driver, cleanups);
  const start = async () => {
    const gateway = startGatewayProcess(
      cleanups,
      [...database.cliArgs, "--backend", "fake", "--allow-file-host", `127.0.0.1:${server.httpPort}`],
      {
        GANGWAY_JID: MESSENGER,
        GANGWAY_SECRET: server.componentSecret,
        GANGWAY_PORT: String(server.componentPort),
        GANGWAY_LOG_LEVEL: "debug",
      },
      MESSENGER_BIN,
    );
    await gateway.waitForOutput(/"msg":"gateway running"/, 60_000);
    return gateway;
  };
  const stack: MessengerStack = {
    server,
    database,
    gateway: await start(),
    async restartGateway() {
      const exit = await stack.gateway.stop(15_000);
      if (exit.signal === "SIGKILL")
        throw new Error(`the gateway did not stop cleanly:\n${stack.gateway.output()}`);
      stack.gateway = await start();
      return stack.gateway;
    },
  };
  return stack;
}

/** `{urn:…}name[@attr='value']`-style paths for the raw steps' `has`. */
export const statusIs = (text: string) => `{jabber:client}status[.='${text}']`;

/** A raw step that waits for the gateway's "Logged in as <email>" presence. */
export function loggedIn(email: string): SlixmppRawStep {
  return {
    expect: { stanza: "presence", from: MESSENGER, has: statusIs(`Logged in as ${email}`) },
    timeoutMs: 60_000,
  };
}

type AdhocStage = NonNullable<NonNullable<SlixmppRunOptions["adhoc"]>["stages"]>[number];

export interface RegisterOptions {
  /** The stages after the command's first form (credentials), e.g. checkpoint codes; then the preferences are accepted. */
  stages?: readonly AdhocStage[];
  /** Raw steps to run once registered (after the "Logged in" presence). */
  afterLogin?: readonly SlixmppRawStep[];
  fetchRoster?: boolean;
  waitForRosterItems?: readonly string[];
}

/**
 * Creates `user@localhost` on the server (password "pw") and runs the gateway's Register command
 * with `email` and `password`, then the given `stages` and the preferences form as offered.
 */
export function registerWithMessenger(
  server: XmppServerAddress,
  user: string,
  email: string,
  password: string,
  options: RegisterOptions = {},
): Promise<SlixmppRunResult> {
  const stages = [{ values: { email, password } }, ...(options.stages ?? []), { values: {} }];
  return runSlixmppClient({
    server,
    jid: `${user}@localhost`,
    password: "pw",
    registerAccount: true,
    adhoc: { jid: MESSENGER, node: "jabber:iq:register", stages },
    raw: { steps: [loggedIn(email), ...(options.afterLogin ?? [])] },
    ...(options.fetchRoster && { fetchRoster: true }),
    ...(options.waitForRosterItems && { waitForRosterItems: options.waitForRosterItems }),
    timeoutMs: 120_000,
  });
}

/** A slixmpp run of raw steps as an already registered `user@localhost`. */
export function rawRun(
  server: XmppServerAddress,
  user: string,
  steps: readonly SlixmppRawStep[],
): Promise<SlixmppRunResult> {
  return runSlixmppClient({
    server,
    jid: `${user}@localhost`,
    password: "pw",
    raw: { steps },
    timeoutMs: 120_000,
  });
}

/** What a failed run printed, plus the gateway's output, for assertion messages. */
export function why(run: SlixmppRunResult, gateway: GatewayProcess): string {
  return `${JSON.stringify(run.rawError ?? run.adhocError ?? run.errors, null, 1)}\n${run.stderr}\n${gateway.output()}`;
}

/** How each Messenger test file starts: the stack, and carol registered on it (her session running). */
export async function startWithCarol(cleanups: Cleanups, driver: StoreDriverName): Promise<MessengerStack> {
  const stack = await startMessengerStack(cleanups, driver);
  const run = await registerWithMessenger(stack.server, "carol", "carol@example.org", "pw");
  if (!run.ok) throw new Error(`carol could not register: ${why(run, stack.gateway)}`);
  return stack;
}
