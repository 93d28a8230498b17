import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, sayToGateway, startTestGateway } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const ADMIN = "admin@localhost";
const CMD = "http://jabber.org/protocol/commands";

/** The built-in user and admin commands, through chat and ad-hoc, on the demo gateway. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  async function start() {
    ({ gateway, transport } = await startTestGateway(store, ["--admins", ADMIN]));
  }
  beforeEach(async () => {
    store = await driver.openStore();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const say = (text: string, from = USER) => sayToGateway(transport, from, text);

  it("a failed login at startup says why and how to retry; re-login retries", async () => {
    await store.users.create({ jid: USER, registration: { username: "romeo", password: "wrong" } });
    await start();
    await transport.waitForSent((s) => s.getChildText("status") === "Could not log in: Wrong password");
    const explained = await transport.waitForSent((s) => s.is("message"));
    expect(explained.getChildText("body")).toBe(
      "You are not logged in to the legacy network: Wrong password\nFix the cause, then send 're-login' (or run the \"Re-login\" command) to try again.",
    );
    expect(await say("help")).toEqual([
      [
        "Commands:",
        "unregister — stop using this gateway and delete your data",
        "re-login — log in to the legacy network again, after a failed login",
        "preferences — change how the gateway behaves for you",
        "help — this list",
      ].join("\n"),
    ]);
    expect((await say("re-login")).at(-1)).toBe("Could not log in: Wrong password");

    await store.users.update(USER, { registration: { username: "romeo", password: "fixed" } });
    expect((await say("re-login")).at(-1)).toBe("You are logged in again.");
    expect(gateway.sessionFor(USER)?.isLoggedIn).toBe(true);
    expect(await say("re-login")).toEqual(["You are already logged in to the legacy network."]);
  });

  it("preferences shows the current values and stores the answers", async () => {
    await store.users.create({
      jid: USER,
      registration: { username: "romeo", password: "pw" },
      preferences: { sync_presence: false },
    });
    await start();
    expect(await say("preferences")).toEqual([
      "Preferences\nHow the gateway should behave for you. You can change this later with 'preferences'.",
      "Show my XMPP presence on the legacy network? (yes/no) [yes] (or 'abort')",
    ]);
    await say("yes");
    expect(await say("no")).toEqual(["Preferences saved."]);
    expect((await store.users.get(USER))?.preferences).toEqual({ sync_presence: true, sync_avatar: false });
    expect(gateway.preferencesOf((await store.users.get(USER))!)).toEqual({
      sync_presence: true,
      sync_avatar: false,
    });
  });

  it("admins list users (a result table), read the gateway's info and delete a user", async () => {
    await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
    await start();
    await transport.inject(
      `<iq type="set" id="l1" from="${ADMIN}/pc" to="${GW}"><command xmlns="${CMD}" node="gangway:list-users" action="execute"/></iq>`,
    );
    const reply = transport.sent.find((s) => s.attrs.id === "l1")!;
    const table = reply.getChild("command", CMD)!.getChild("x", "jabber:x:data")!;
    const created = (await store.users.get(USER))!.createdAt.toISOString();
    expect(canonicalXml(table)).toBe(
      canonicalXml(`<x xmlns="jabber:x:data" type="result">
        <reported><field var="jid" label="JID"/><field var="registered" label="Registered"/><field var="state" label="Session"/></reported>
        <item><field var="jid"><value>${USER}</value></field><field var="registered"><value>${created}</value></field>
          <field var="state"><value>connected</value></field></item>
      </x>`),
    );

    const info = (await say("info", ADMIN))[0]!;
    expect(info).toMatch(
      /^Demo \(Gangway\)\nUp since \d{4}-.*\n1 registered user\(s\), 1 logged in\nSessions by connection state: connected: 1\nDatabase: (sqlite|postgres)$/,
    );

    expect(await say("info")).toEqual(["Only the gateway's administrators can run this command."]);
    expect(await say("delete-user", ADMIN)).toEqual(["Delete a user", "JID of the user? (or 'abort')"]);
    expect(await say("nobody@localhost", ADMIN)).toEqual([
      "nobody@localhost is not registered to this gateway. Let's try again.",
      "JID of the user? (or 'abort')",
    ]);
    expect(await say(`${USER}/phone`, ADMIN)).toEqual([
      "Delete a user",
      `Delete ${USER} and all their data? (yes/no) (or 'abort')`,
    ]);
    expect(await say("yes", ADMIN)).toEqual([`${USER} was deleted.`]);
    expect(await store.users.get(USER)).toBeUndefined();
    expect(gateway.sessionFor(USER)).toBeUndefined();
  });

  it("input() asks by chat and resolves with the next message; it times out otherwise", async () => {
    await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
    await start();
    const answer = gateway.input(USER, "What is your PIN?");
    await transport.waitForSent((s) => s.getChildText("body") === "What is your PIN?");
    // The answer is not taken as a command.
    expect(await say("help")).toEqual([]);
    await expect(answer).resolves.toBe("help");
    await expect(gateway.input(USER, "Still there?", { timeoutMs: 50 })).rejects.toMatchObject({
      condition: "remote-server-timeout",
      text: "You took too much time to reply.",
    });
  });
});
