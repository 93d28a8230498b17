import { join } from "node:path";
import type { Element } from "@gangway/core";
import { sendChat } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { FAKE_CLOUD_FILE, FakeCloud } from "./client/fake-cloud.js";
import type { MessengerGateway } from "./gateway.js";
import { ALICE_JID, GW, ROMEO, startTestGateway, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const EMAIL = "romeo@example.org";

/** The gateway's presence to the user whose status is `status`. */
const gatewayStatus = (transport: MemoryTransport, status: string) =>
  transport.waitForSent(
    (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === status,
  );

/**
 * Sessions: the one a login opened is kept sealed in the user's legacy data and resumed at the
 * next start (no new login, so no new checkpoint); refreshed cookies are saved back; an ended
 * session falls back to the password, or asks a cookie-export user to register again; the
 * connection's ups and downs are the gateway's status.
 */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MessengerGateway;
  let homeDir: string;

  beforeEach(async () => {
    store = await driver.openStore();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  async function restart(expectStatus = `Logged in as ${EMAIL}`): Promise<Element> {
    await gateway.stop();
    ({ gateway, transport, homeDir } = await startTestGateway(store));
    return gatewayStatus(transport, expectStatus);
  }

  /** The fake cloud as the stopped gateway left it in the home dir: for the hooks a test needs between runs. */
  function cloudAtRest(act: (cloud: FakeCloud) => void): void {
    const cloud = new FakeCloud({ stateFile: join(homeDir, FAKE_CLOUD_FILE) });
    act(cloud);
    cloud.close();
  }

  const savedSession = async () => (await store.users.get(ROMEO))!.legacyData?.session;

  it("a restart resumes the saved session: no second login, and alice.fb still answers", async () => {
    ({ gateway, transport, homeDir } = await startWithRomeoLoggedIn(store));
    expect(gateway.cloud.logins(EMAIL)).toBe(1);
    const session = await savedSession();
    expect(session).toEqual(expect.any(String));
    await restart();
    expect(gateway.cloud.logins(EMAIL)).toBe(1);
    expect(await savedSession()).toBe(session);
    await sendChat(transport, ROMEO, ALICE_JID, "still there?");
    await transport.waitForSent((s) => s.getChildText("body") === "seen: still there?");
  });

  it("an expired session falls back to the password, and the new session is saved", async () => {
    ({ gateway, transport, homeDir } = await startWithRomeoLoggedIn(store));
    const first = await savedSession();
    await gateway.stop();
    cloudAtRest((cloud) => cloud.expireSessions(EMAIL));
    ({ gateway, transport, homeDir } = await startTestGateway(store));
    await gatewayStatus(transport, `Logged in as ${EMAIL}`);
    expect(gateway.cloud.logins(EMAIL)).toBe(2);
    expect(await savedSession()).not.toBe(first);
    // The new session is the one resumed next time.
    await restart();
    expect(gateway.cloud.logins(EMAIL)).toBe(2);
  });

  it("a cookie-export user whose session ended is told to register again, without a login", async () => {
    const appState = JSON.stringify([
      { key: "c_user", value: "romeo.fb" },
      { key: "xs", value: "x" },
    ]);
    await store.users.create({
      jid: ROMEO,
      registration: { app_state: appState },
      legacyData: { session: FakeCloud.exportSession({ userId: "romeo.fb", token: "ended" }) },
    });
    ({ gateway, transport, homeDir } = await startTestGateway(store));
    const why =
      "Your Facebook session has ended: register again, with your email and password or a fresh cookie export.";
    const status = await gatewayStatus(transport, `Could not log in: ${why}`);
    expect(status.getChildText("show")).toBe("dnd");
    const told = await transport.waitForSent((s) => s.is("message") && s.attrs.from === GW);
    expect(told.getChildText("body")).toContain(why);
    expect(told.getChildText("body")).not.toContain(appState);
    expect(gateway.cloud.logins("romeo.fb")).toBe(0);
  });

  it("refreshed cookies (sessionChanged) are saved back, and resumed at the next start", async () => {
    ({ gateway, transport, homeDir } = await startWithRomeoLoggedIn(store));
    const first = await savedSession();
    gateway.cloud.refreshSessions(EMAIL);
    await vi.waitFor(async () => expect(await savedSession()).not.toBe(first));
    const refreshed = await savedSession();
    await restart();
    expect(await savedSession()).toBe(refreshed);
    expect(gateway.cloud.logins(EMAIL)).toBe(1);
  });

  it("a dropped connection is the gateway's status until the client is back", async () => {
    ({ gateway, transport, homeDir } = await startWithRomeoLoggedIn(store));
    gateway.cloud.dropConnections(EMAIL);
    const lost = await gatewayStatus(transport, "Lost the connection to Messenger; reconnecting");
    expect(lost.getChildText("show")).toBe("dnd");
    await gatewayStatus(transport, "Connected");
    await sendChat(transport, ROMEO, ALICE_JID, "back?");
    await transport.waitForSent((s) => s.getChildText("body") === "seen: back?");
  });

  it("Facebook ending the session logs the user out; the next login uses the password again", async () => {
    ({ gateway, transport, homeDir } = await startWithRomeoLoggedIn(store));
    gateway.cloud.logOut(EMAIL, "Your password was changed");
    await gatewayStatus(transport, "Logged out: Your password was changed");
    const told = await transport.waitForSent((s) => s.is("message") && s.attrs.from === GW);
    expect(told.getChildText("body")).toContain("Your password was changed");
    // (The core's 're-login' is refused once a session's first login succeeded: a restart it is.)
    await restart();
    expect(gateway.cloud.logins(EMAIL)).toBe(2);
  });
});
