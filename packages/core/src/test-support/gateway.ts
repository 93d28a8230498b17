import type { Store } from "@gangway/store";
import { MemoryTransport, sequentialIds } from "@gangway/testing";
import type { StanzaTransport } from "@gangway/xmpp";
import { pino } from "pino";
import { loadGatewayConfig } from "../cli/config.js";
import type { AnyGateway, GatewayDependencies } from "../gateway.js";

/** The component JID core's gateway tests run as. */
export const GW = "net.localhost";

/** What a test gateway is built with: deterministic stanza ids, silent logs, no server to wait for. */
export function testGatewayDeps(
  store: Store,
  transport: StanzaTransport,
  overrides: Partial<GatewayDependencies> = {},
): GatewayDependencies {
  return {
    config: loadGatewayConfig({ appName: "test", argv: ["--jid", GW, "--secret", "s"], env: {} }),
    store,
    transport,
    logger: pino({ level: "silent" }),
    newStanzaId: sequentialIds("gw"),
    // No server, so no XEP-0356 advertisement to wait for.
    privilegeWaitMs: 0,
    ...overrides,
  };
}

/** Starts `Gateway` on a MemoryTransport, with what its start sent (logins) already consumed. */
export async function startOnMemoryTransport<G extends AnyGateway>(
  Gateway: new (deps: GatewayDependencies) => G,
  store: Store,
): Promise<{ gateway: G; transport: MemoryTransport }> {
  const transport = new MemoryTransport({ domain: GW });
  const gateway = new Gateway(testGatewayDeps(store, transport));
  await gateway.start();
  while (transport.uncheckedCount > 0) transport.nextSent();
  return { gateway, transport };
}
