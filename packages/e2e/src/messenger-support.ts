import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { StoreDriverName } from "@gangway/store";
import {
  type ProsodyServer,
  runSlixmppClient,
  type SlixmppRawStep,
  type SlixmppRunOptions,
  type SlixmppRunResult,
  startProsody,
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
  prosody: ProsodyServer;
  database: TestDatabase;
  gateway: GatewayProcess;
  /** Stops the running gateway (SIGTERM) and starts it again on the same database and home dir. */
  restartGateway(): Promise<GatewayProcess>;
}

/** A Prosody with the component `messenger.localhost`, a new database and the gateway on it, running. */
export async function startMessengerStack(
  cleanups: Cleanups,
  driver: StoreDriverName,
): Promise<MessengerStack> {
  const prosody = await startProsody({ componentDomain: MESSENGER });
  cleanups.add(() => prosody.stop());
  const database = await createTestDatabase(driver, cleanups);
  const start = async () => {
    const gateway = startGatewayProcess(
      cleanups,
      [...database.cliArgs, "--backend", "fake", "--allow-file-host", `127.0.0.1:${prosody.httpPort}`],
      {
        GANGWAY_JID: MESSENGER,
        GANGWAY_SECRET: prosody.componentSecret,
        GANGWAY_PORT: String(prosody.componentPort),
        GANGWAY_LOG_LEVEL: "debug",
      },
      MESSENGER_BIN,
    );
    await gateway.waitForOutput(/"msg":"gateway running"/, 60_000);
    return gateway;
  };
  const stack: MessengerStack = {
    prosody,
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
  then?: readonly SlixmppRawStep[];
  fetchRoster?: boolean;
  waitForRosterItems?: readonly string[];
}

/**
 * Creates `user@localhost` on Prosody (password "pw") and runs the gateway's Register command
 * with `email` and `password`, then the given `stages` and the preferences form as offered.
 */
export function registerWithMessenger(
  prosody: ProsodyServer,
  user: string,
  email: string,
  password: string,
  options: RegisterOptions = {},
): Promise<SlixmppRunResult> {
  const stages = [{ values: { email, password } }, ...(options.stages ?? []), { values: {} }];
  return runSlixmppClient({
    server: prosody,
    jid: `${user}@localhost`,
    password: "pw",
    registerAccount: true,
    adhoc: { jid: MESSENGER, node: "jabber:iq:register", stages },
    raw: { steps: [loggedIn(email), ...(options.then ?? [])] },
    ...(options.fetchRoster && { fetchRoster: true }),
    ...(options.waitForRosterItems && { waitForRosterItems: options.waitForRosterItems }),
    timeoutMs: 120_000,
  });
}

/** A slixmpp run of raw steps as an already registered `user@localhost`. */
export function rawRun(
  prosody: ProsodyServer,
  user: string,
  steps: readonly SlixmppRawStep[],
): Promise<SlixmppRunResult> {
  return runSlixmppClient({
    server: prosody,
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
