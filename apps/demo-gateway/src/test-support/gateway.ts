import { startTestGateway as startGateway, type TestGateway } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { DemoGateway } from "../gateway.js";

export { sayToGateway, testHomeDir } from "@gangway/core/testing";

/** The demo's fixtures on top of @gangway/core/testing: its domain and a registered user. */
export const GW = "demo.localhost";
export const ROMEO = "romeo@localhost";

/** The demo gateway on an in-memory transport, started; what it sent while starting is left to assert. */
export function startTestGateway(
  store: Store,
  args: readonly string[] = [],
): Promise<TestGateway<DemoGateway>> {
  return startGateway(DemoGateway, store, { domain: GW, args, keepStartupStanzas: true });
}

/** romeo, already registered and logged in at startup; what the gateway sent by then is dropped. */
export function startWithRomeoLoggedIn(store: Store): Promise<TestGateway<DemoGateway>> {
  const romeo = { jid: ROMEO, registration: { username: "romeo", password: "pw" } };
  return startGateway(DemoGateway, store, { domain: GW, users: [romeo] });
}
