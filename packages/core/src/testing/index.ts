import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Store, UserRow } from "@gangway/store";
import { MemoryTransport, sequentialIds } from "@gangway/testing";
import { type Element, xml } from "@gangway/xmpp";
import { pino } from "pino";
import { afterAll } from "vitest";
import type { AppOptions } from "../config/app-options.js";
import { type GatewayConfig, loadGatewayConfig } from "../config/config.js";
import type { AnyGateway, GatewayDependencies } from "../gateway.js";

/**
 * The kit a network author tests a gateway with: the app's own gateway class on an in-memory
 * XMPP transport (every stanza it sends can be asserted) and a real store, in one call.
 *
 * ```ts
 * const { gateway, transport } = await startTestGateway(MyGateway, store, { users: [ROMEO] });
 * await sendChat(transport, ROMEO.jid, `alice@${gateway.domain}`, "hi");
 * ```
 */

/** The component JID test gateways run as, unless told otherwise. */
export const TEST_DOMAIN = "gateway.localhost";

export interface TestGatewayClass<G extends AnyGateway> {
  new (deps: GatewayDependencies): G;
  readonly OPTIONS?: AppOptions;
}

export interface TestUser {
  jid: string;
  registration: Record<string, unknown>;
}

export interface TestGatewayOptions {
  /** The component JID (default TEST_DOMAIN). */
  domain?: string;
  /** Extra command-line arguments: the app's options, `--admins`… */
  args?: readonly string[];
  /** Users registered before the gateway starts: it logs them in at startup. */
  users?: readonly TestUser[];
  /** Leave what `start()` sent (logins, presences) to be asserted, instead of dropping it. */
  keepStartupStanzas?: boolean;
}

export interface TestGateway<G extends AnyGateway> {
  gateway: G;
  transport: MemoryTransport;
  /** The gateway's home dir: a temp dir per store, removed when the test file is done. */
  homeDir: string;
}

/**
 * One home dir per store, as an installation keeps its database and home dir together: starting a
 * gateway again on the same store is a restart that finds what the first one left there.
 */
const homeDirs = new WeakMap<Store, string>();
const createdDirs: string[] = [];
afterAll(() => {
  for (const dir of createdDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A new temp dir, removed (with what it holds: key files, databases) when the test file is done. */
export function tempDir(prefix = "gangway-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  createdDirs.push(dir);
  return dir;
}

export function testHomeDir(store: Store): string {
  let dir = homeDirs.get(store);
  if (dir === undefined) {
    dir = tempDir("gangway-test-home-");
    homeDirs.set(store, dir);
  }
  return dir;
}

/** The configuration a test gateway runs with: parsed like the real command line, with the app's OPTIONS. */
export function testGatewayConfig(
  Gateway: { readonly OPTIONS?: AppOptions },
  homeDir: string,
  options: Pick<TestGatewayOptions, "domain" | "args"> = {},
): GatewayConfig {
  const domain = options.domain ?? TEST_DOMAIN;
  return loadGatewayConfig({
    appName: "test",
    argv: ["--jid", domain, "--secret", "s", "--home-dir", homeDir, ...(options.args ?? [])],
    env: {},
    appOptions: Gateway.OPTIONS ?? {},
  });
}

/** What a test gateway is built with: deterministic stanza ids, silent logs, no server to wait for. */
export function testGatewayDependencies(
  Gateway: { readonly OPTIONS?: AppOptions },
  store: Store,
  transport: MemoryTransport,
  options: Pick<TestGatewayOptions, "domain" | "args"> = {},
): GatewayDependencies {
  return {
    config: testGatewayConfig(Gateway, testHomeDir(store), options),
    store,
    transport,
    logger: pino({ level: "silent" }),
    newStanzaId: sequentialIds("gw"),
    // No server, so no XEP-0356 advertisement to wait for.
    privilegeWaitMs: 0,
  };
}

/**
 * Starts `Gateway` on a MemoryTransport over `store`, after registering `users`; resolves once
 * their logins are done, with what the startup sent dropped (unless `keepStartupStanzas`).
 */
export async function startTestGateway<G extends AnyGateway>(
  Gateway: TestGatewayClass<G>,
  store: Store,
  options: TestGatewayOptions = {},
): Promise<TestGateway<G>> {
  for (const user of options.users ?? []) await registerUser(store, user);
  const transport = new MemoryTransport({ domain: options.domain ?? TEST_DOMAIN });
  const gateway = new Gateway(testGatewayDependencies(Gateway, store, transport, options));
  await gateway.start();
  if (!options.keepStartupStanzas) drain(transport);
  return { gateway, transport, homeDir: testHomeDir(store) };
}

/** Registers a user directly in the store (as a finished registration would). */
export function registerUser(store: Store, user: TestUser): Promise<UserRow> {
  return store.users.create({ jid: user.jid, registration: user.registration });
}

/** Drops every stanza sent so far, so the next assertion sees only what follows. */
export function drain(transport: MemoryTransport): Element[] {
  const dropped: Element[] = [];
  while (transport.uncheckedCount > 0) dropped.push(transport.nextSent());
  return dropped;
}

/** The user's client sends a chat message (`from` is a bare JID; it comes from its resource `phone`). */
export async function sendChat(
  transport: MemoryTransport,
  from: string,
  to: string,
  body: string,
  options: { id?: string } = {},
): Promise<void> {
  await transport.inject(
    xml("message", { type: "chat", id: options.id, from: `${from}/phone`, to }, xml("body", {}, body)),
  );
}

/** Says `text` to the gateway's chat bot and returns the bodies of what the gateway answered `from`. */
export async function sayToGateway(
  transport: MemoryTransport,
  from: string,
  text: string,
): Promise<string[]> {
  const domain = transport.domain;
  const before = transport.sent.length;
  await sendChat(transport, from, domain, text);
  return (
    transport.sent
      .slice(before)
      // Answers go to the bare JID; error replies to the full JID the message came from.
      .filter((s) => s.is("message") && s.attrs.from === domain && String(s.attrs.to).split("/")[0] === from)
      .map((s) => s.getChildText("body") ?? `[${s.attrs.type}]`)
  );
}

/**
 * The contact `legacyId` of a logged-in user, to play the legacy side in a test: call its actions
 * (`sendText`, `react`, `online`…) as the app's event handlers would.
 */
export function legacyContact<G extends AnyGateway>(gateway: G, userJid: string, legacyId: string) {
  return gateway.requireSession(userJid).contacts.byLegacyId(legacyId);
}
export { type LoopbackUploadHttp, type StoredUploads, startLoopbackUploadHttp } from "./upload-http.js";
