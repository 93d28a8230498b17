import { loadGatewayConfig } from "@gangway/core";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { MemoryTransport, sequentialIds } from "@gangway/testing";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { DemoGateway } from "./gateway.js";

const GW = "demo.localhost";
const USER = "romeo@localhost";

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  async function start(registration: "single" | "2fa") {
    store = await driver.openStore();
    transport = new MemoryTransport({ domain: GW });
    gateway = new DemoGateway({
      config: loadGatewayConfig({
        appName: "demo",
        argv: ["--jid", GW, "--secret", "s", "--registration", registration],
        env: {},
        appOptions: [{ name: "registration", description: "", choices: ["single", "2fa"] }],
      }),
      store,
      transport,
      logger: pino({ level: "silent" }),
      newStanzaId: sequentialIds("gw"),
    });
    await gateway.start();
  }
  afterEach(async () => {
    await gateway.stop();
  });

  /** Says `text` to the gateway and returns the bodies of its chat answers. */
  async function say(text: string, from = USER): Promise<string[]> {
    const before = transport.sent.length;
    await transport.inject(
      `<message type="chat" from="${from}/phone" to="${GW}"><body>${text}</body></message>`,
    );
    return transport.sent
      .slice(before)
      .filter((s) => s.is("message") && s.attrs.from === GW)
      .map((s) => s.getChildText("body") ?? `[${s.attrs.type}]`);
  }

  it("help lists what a non-user may do; register asks each field and logs in", async () => {
    await start("single");
    expect(await say("help")).toEqual(["Commands:\nregister — register with this gateway\nhelp — this list"]);
    expect(await say("register")).toEqual([
      "Registration to 'Demo (Gangway)'\nAny username works. Any password logs in, except 'wrong'.",
      "Username? (or 'abort')",
    ]);
    expect(await say("romeo")).toEqual(["Password? (or 'abort')"]);
    expect(await say("wrong")).toEqual(["Wrong password. Let's try again.", "Username? (or 'abort')"]);
    await say("romeo");
    expect(await say("S3cr3t-Xy7q")).toEqual([
      "Registration complete.",
      "Welcome to the Gangway demo gateway! Say hi to echo, it repeats everything.",
    ]);
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    expect((await store.users.get(USER))?.registration).toEqual({
      username: "romeo",
      password: "S3cr3t-Xy7q",
    });
    expect(await say("help")).toEqual([
      "Commands:\nunregister — stop using this gateway and delete your data\nhelp — this list",
    ]);
  });

  it("2fa: asks for the code after the password; a wrong code asks again", async () => {
    await start("2fa");
    await say("register");
    await say("romeo");
    expect(await say("pw")).toEqual([
      "Enter your code\nYou should have received a code. Enter it here.",
      "Code? (or 'abort')",
    ]);
    expect(await say("000000")).toEqual(["Wrong code. Let's try again.", "Code? (or 'abort')"]);
    expect(await store.users.get(USER)).toBeUndefined();
    expect(await say("123456")).toEqual([
      "Registration complete.",
      "Welcome to the Gangway demo gateway! Say hi to echo, it repeats everything.",
    ]);
    expect((await store.users.get(USER))?.registration).toEqual({
      username: "romeo",
      password: "pw",
      code: "123456",
    });
  });

  it("2fa over XEP-0077 says where to continue instead", async () => {
    await start("2fa");
    await transport.inject(
      `<iq type="get" id="r1" from="${USER}/phone" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`,
    );
    const query = transport.nextSent().getChild("query", "jabber:iq:register");
    expect(query?.getChildText("instructions")).toMatch(/send "register" to demo\.localhost/);
    expect(query?.getChild("x", "jabber:x:data")).toBeUndefined();
  });

  it("abort cancels without storing anything", async () => {
    await start("single");
    await say("register");
    await say("romeo");
    expect(await say("abort")).toEqual(["Aborted: nothing changed."]);
    expect(await store.users.get(USER)).toBeUndefined();
    expect(await say("nonsense")).toEqual([
      "Unknown command 'nonsense'. Send 'help' for the list of commands.",
    ]);
  });

  it("unregister asks for confirmation, then removes the user", async () => {
    await start("single");
    await say("register");
    await say("romeo");
    await say("pw");
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    expect(await say("unregister")).toEqual(["Are you sure you want to unregister? (yes/no)"]);
    expect(await say("no")).toEqual(["OK, nothing changed."]);
    expect(await store.users.get(USER)).toBeDefined();
    await say("unregister");
    expect(await say("yes")).toEqual(["You are not registered to this gateway anymore."]);
    expect(await store.users.get(USER)).toBeUndefined();
  });

  it("answers a disallowed JID with not-allowed", async () => {
    await start("single");
    expect(await say("register", "mallory@evil.example")).toEqual(["[error]"]);
    const error = transport.sent.at(-1)?.getChild("error");
    expect(error?.getChild("not-allowed", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
    expect(error?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe(
      "Your account is not allowed to use this gateway.",
    );
  });
});
