import { sendChat } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, sayToGateway, startTestGateway } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const WELCOME = "Welcome to the Gangway demo! Say hi to echo, it repeats everything.";
/** What the gateway says besides the dialogue: the welcome, and the invitation to lobby (no privilege here). */
const aside = (body: string) => body === WELCOME || body.startsWith("You are in the group Lobby");
const PREFERENCES = [
  "Preferences\nHow the gateway should behave for you. You can change this later with 'preferences'.",
  "Show my XMPP presence on the legacy network? (yes/no) [yes] (or 'abort')",
];

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  async function start(registration: "single" | "2fa" | "qr", extra: string[] = []) {
    store ??= await driver.openStore();
    ({ gateway, transport } = await startTestGateway(store, ["--registration", registration, ...extra]));
  }
  afterEach(async () => {
    await gateway.stop();
    await store.close();
    store = undefined as unknown as Store;
  });

  /** The bodies of the chat messages the gateway sent USER since `before`, the welcome message left out. */
  function bodiesSince(before: number): string[] {
    return transport.sent
      .slice(before)
      .filter((s) => s.is("message") && s.attrs.from === GW && s.attrs.to === USER)
      .map((s) => s.getChildText("body") ?? "")
      .filter((body) => !aside(body));
  }

  /** Completes the preferences questions that end every registration. */
  async function answerPreferences(): Promise<string[]> {
    expect(await say("no")).toEqual([
      "Use my XMPP avatar on the legacy network? (yes/no) [yes] (or 'abort')",
    ]);
    return say("yes");
  }

  /**
   * Says `text` to the gateway and returns the bodies of its chat answers, without the welcome
   * message: it is sent right after the user is stored, concurrently with the dialogue's next prompt.
   */
  async function say(text: string, from = USER): Promise<string[]> {
    return (await sayToGateway(transport, from, text)).filter((body) => !aside(body));
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
    expect(await say("S3cr3t-Xy7q")).toEqual(PREFERENCES);
    expect(await answerPreferences()).toEqual(["Registration complete."]);
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    const user = await store.users.get(USER);
    expect(user?.registration).toEqual({ username: "romeo", password: "S3cr3t-Xy7q" });
    expect(user?.preferences).toEqual({ sync_presence: false, sync_avatar: true });
    expect(await say("help")).toEqual([
      [
        "Commands:",
        "unregister — stop using this gateway and delete your data",
        "preferences — change how the gateway behaves for you",
        "find — search the legacy network for contacts",
        "leave-lobby — leave the group lobby until your next login",
        "help — this list",
      ].join("\n"),
    ]);
    expect(await say("help unregister")).toEqual([
      "unregister: Unregister from this gateway\nstop using this gateway and delete your data",
    ]);
    expect(await say("register")).toEqual(["You are already registered to this gateway. Unregister first."]);
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
    expect(await say("123456")).toEqual(PREFERENCES);
    expect(await answerPreferences()).toEqual(["Registration complete."]);
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
    expect(await say("nonsense")).toEqual(["Unknown command. Send 'help' for the list of commands."]);
  });

  it("unregister asks for confirmation, then removes the user", async () => {
    await start("single");
    await say("register");
    await say("romeo");
    await say("pw");
    await answerPreferences();
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    const question = [
      "Unregister",
      "Are you sure you want to unregister? Your contacts and settings on this gateway will be deleted. (yes/no) (or 'abort')",
    ];
    expect(await say("unregister")).toEqual(question);
    expect(await say("maybe")).toEqual(["Please answer yes or no (or 'abort')."]);
    expect(await say("no")).toEqual(["OK, nothing changed."]);
    expect(await store.users.get(USER)).toBeDefined();
    await say("unregister");
    expect(await say("yes")).toEqual(["You are not registered to this gateway anymore."]);
    expect(await store.users.get(USER)).toBeUndefined();
  });

  it("2fa: a registration half done survives a gateway restart", async () => {
    await start("2fa");
    await say("register");
    await say("romeo");
    await say("pw");
    await gateway.stop();
    await start("2fa");
    expect(await say("123456")).toEqual([
      "The gateway restarted while you were in 'register'. Let's continue from the last step.",
      "Enter your code\nYou should have received a code. Enter it here.",
      "Code? (or 'abort')",
    ]);
    expect(await say("123456")).toEqual(PREFERENCES);
    expect(await store.users.get(USER)).toBeDefined();
  });

  it("qr: sends the code as text (no upload service), and registers once it is scanned", async () => {
    await start("qr");
    gateway.network.qrScanDelayMs = 100;
    await say("register");
    await say("romeo");
    const shown = await say("pw");
    expect(shown[0]).toBe("Scan this QR code\nScan this QR code with the network's official app.");
    expect(shown[1]).toMatch(/^[▀▄█ ]+\n[\s\S]*\ngangway-demo:romeo$/);
    expect(shown).toHaveLength(2);
    expect(await say("hello?")).toEqual(["Still waiting for the QR code to be scanned (or 'abort')."]);
    await transport.waitForSent((s) => s.getChildText("body") === PREFERENCES[1]);
    expect(await store.users.get(USER)).toBeDefined();
  });

  it("qr: a code nobody scans times out and says so", async () => {
    await start("qr", ["--qr-timeout", "0.2"]);
    gateway.network.qrScanDelayMs = 60_000;
    await say("register");
    await say("romeo");
    await say("pw");
    await transport.waitForSent(
      (s) =>
        s.getChildText("body") ===
        "The QR code was not scanned in time. Start the registration again to get a new code.",
    );
    expect(await store.users.get(USER)).toBeUndefined();
    expect(await say("help")).toEqual(["Commands:\nregister — register with this gateway\nhelp — this list"]);
  });

  it("handles lines sent back to back in order, and never sends the password back", async () => {
    await start("single");
    const password = "S3cr3t-Xy7q";
    const before = transport.sent.length;
    // Not awaited one by one: the three arrive while 'register' is still starting.
    await Promise.all(["register", "chatuser", password].map((text) => sendChat(transport, USER, GW, text)));
    expect(bodiesSince(before)).toEqual([
      "Registration to 'Demo (Gangway)'\nAny username works. Any password logs in, except 'wrong'.",
      "Username? (or 'abort')",
      "Password? (or 'abort')",
      ...PREFERENCES,
    ]);
    expect((await store.users.get(USER))?.registration).toEqual({ username: "chatuser", password });
    await Promise.all(["no", "yes", "bogus hunter2"].map((text) => sendChat(transport, USER, GW, text)));
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as chatuser");
    expect(bodiesSince(before).slice(5)).toEqual([
      "Use my XMPP avatar on the legacy network? (yes/no) [yes] (or 'abort')",
      "Registration complete.",
      "Unknown command. Send 'help' for the list of commands.",
    ]);
    for (const stanza of transport.sent) {
      expect(stanza.toString()).not.toContain(password);
      expect(stanza.toString()).not.toContain("hunter2");
    }
  });

  it("a flood of 1000 lines: no failure, a few replies, nobody registered", async () => {
    // The chat bot's own bound is the subject here, not the per-JID rate limit (rate-limit.test.ts).
    await start("single", ["--rate-limit", "0"]);
    await say("register");
    const before = transport.sent.length;
    const lines = Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? "register" : `line ${i}`));
    await Promise.all(lines.map((text) => sendChat(transport, USER, GW, text)));
    await transport.waitForSent((s) => s.getChildText("body")?.startsWith("Too many messages") === true);
    const replies = transport.sent.slice(before);
    expect(replies.filter((s) => s.attrs.type === "error")).toEqual([]);
    expect(replies.map((s) => s.getChildText("body"))).toEqual([
      "Too many messages at once: 1000 of them were not read (at most 50 can wait). Send them one at a time.\n'register' was aborted: nothing changed.",
    ]);
    expect(await store.users.get(USER)).toBeUndefined();
    expect(await store.pendingRegistrations.get("chat:romeo@localhost")).toBeUndefined();
    // The burst is over: the user is heard again.
    expect(await say("help")).toEqual(["Commands:\nregister — register with this gateway\nhelp — this list"]);
  });

  it("refuses an over-long line without quoting it", async () => {
    await start("single");
    await say("register");
    expect(await say(`${"a".repeat(4096)}b`)).toEqual([
      "That message was not read: messages to the gateway can be at most 4096 characters long.",
    ]);
    expect(await say("romeo")).toEqual(["Password? (or 'abort')"]);
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
