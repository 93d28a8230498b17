import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadGatewayConfig } from "@gangway/core";
import type { Store } from "@gangway/store";
import { MemoryTransport, sequentialIds } from "@gangway/testing";
import { pino } from "pino";
import { afterAll } from "vitest";
import { DemoGateway } from "../gateway.js";

export const GW = "demo.localhost";

/**
 * The gateway keeps its demo network's state in its home dir: a test's must be a temp dir, not
 * the user's ~/.local/share. One per store, as an installation has its database and home dir
 * together: starting again on the same store is a restart that finds the demo network's state.
 */
const homeDirs = new WeakMap<Store, string>();
const createdHomeDirs: string[] = [];
// Registered when a test file imports this module: its home dirs go when its tests are done.
afterAll(() => {
  for (const dir of createdHomeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function testHomeDir(store: Store): string {
  let dir = homeDirs.get(store);
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), "gangway-demo-test-"));
    createdHomeDirs.push(dir);
    homeDirs.set(store, dir);
  }
  return dir;
}

/** The demo gateway on an in-memory transport, started; `args` are extra command-line options. */
export async function startTestGateway(
  store: Store,
  args: readonly string[] = [],
): Promise<{ gateway: DemoGateway; transport: MemoryTransport }> {
  const transport = new MemoryTransport({ domain: GW });
  const gateway = new DemoGateway({
    config: loadGatewayConfig({
      appName: "demo",
      argv: ["--jid", GW, "--secret", "s", "--home-dir", testHomeDir(store), ...args],
      env: {},
      appOptions: DemoGateway.OPTIONS,
    }),
    store,
    transport,
    logger: pino({ level: "silent" }),
    newStanzaId: sequentialIds("gw"),
    // No server, so no XEP-0356 advertisement to wait for.
    privilegeWaitMs: 0,
  });
  await gateway.start();
  return { gateway, transport };
}

/** romeo, already registered: the gateway logs him in at startup; what it sent by then is consumed. */
export const ROMEO = "romeo@localhost";

export async function startWithRomeoLoggedIn(
  store: Store,
): Promise<{ gateway: DemoGateway; transport: MemoryTransport }> {
  await store.users.create({ jid: ROMEO, registration: { username: "romeo", password: "pw" } });
  const started = await startTestGateway(store);
  await started.transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
  while (started.transport.uncheckedCount > 0) started.transport.nextSent();
  return started;
}

/** Says `text` to the gateway's chat bot and returns the bodies of what the gateway answered `from`. */
export async function sayToGateway(
  transport: MemoryTransport,
  from: string,
  text: string,
): Promise<string[]> {
  const before = transport.sent.length;
  await transport.inject(
    `<message type="chat" from="${from}/phone" to="${GW}"><body>${text}</body></message>`,
  );
  return (
    transport.sent
      .slice(before)
      // Answers go to the bare JID; error replies to the full JID the message came from.
      .filter((s) => s.is("message") && s.attrs.from === GW && String(s.attrs.to).split("/")[0] === from)
      .map((s) => s.getChildText("body") ?? `[${s.attrs.type}]`)
  );
}
