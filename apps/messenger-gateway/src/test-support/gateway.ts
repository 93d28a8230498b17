import { startTestGateway as startGateway, type TestGateway } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { MessengerGateway } from "../gateway.js";

/** The Messenger gateway's fixtures on top of @gangway/core/testing: its domain and a user. */
export const GW = "messenger.localhost";
export const ROMEO = "romeo@localhost";
export const ALICE_JID = `alice.fb@${GW}`;

/** The gateway on an in-memory transport with the fake backend (and `args`), started; startup stanzas kept. */
export function startTestGateway(store: Store, args: string[] = []): Promise<TestGateway<MessengerGateway>> {
  return startGateway(MessengerGateway, store, {
    domain: GW,
    args: ["--backend", "fake", ...args],
    keepStartupStanzas: true,
  });
}

/** romeo, registered with the fake cloud and logged in at startup; what the gateway sent by then is dropped. */
export function startWithRomeoLoggedIn(
  store: Store,
  args: string[] = [],
): Promise<TestGateway<MessengerGateway>> {
  const romeo = { jid: ROMEO, registration: { email: "romeo@example.org", password: "pw" } };
  return startGateway(MessengerGateway, store, {
    domain: GW,
    args: ["--backend", "fake", ...args],
    users: [romeo],
  });
}
