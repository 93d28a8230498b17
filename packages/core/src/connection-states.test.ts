import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { type Element, type FormValues, XmppError } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { HeldMessages, HOLD_FULL_TEXT, HOLD_TIMEOUT_TEXT, Reconnector, reloginText } from "./connection.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { sayToGateway, startTestGateway } from "./testing/index.js";

/**
 * Connection states as a user meets them: messages sent while the gateway logs in are delivered
 * once it has, in order; a login that needs the user says so; a lost connection is retried.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const ADMIN = "admin@localhost";

const delivered: string[] = [];
/** Each login waits for the test to call `finishLogin` (with an error to fail it). */
let finishLogin: (error?: Error) => void = () => {};
let loginsHeld = false;
let reconnects = 0;
let failReconnects = 0;

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override RECONNECT = true;
  override async login() {
    if (!loginsHeld) return "Connected to the test network";
    await new Promise<void>((resolve, reject) => {
      finishLogin = (error) => (error ? reject(error) : resolve());
    });
    return "Connected to the test network";
  }
  override async reconnect() {
    reconnects++;
    if (failReconnects-- > 0) throw new Error("network unreachable");
    return "Connected again";
  }
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    delivered.push(message.body);
    return `L-${message.xmppId}`;
  }
}

class TestGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  readonly Session = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const statusOf = (s: Element) => (s.is("presence") && s.attrs.from === GW ? s.getChildText("status") : null);

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  beforeEach(async () => {
    delivered.length = 0;
    loginsHeld = false;
    reconnects = 0;
    failReconnects = 0;
    store = await driver.openStore();
    ({ gateway, transport } = await startTestGateway(TestGateway, store, {
      domain: GW,
      args: ["--admins", ADMIN],
    }));
  });
  afterEach(async () => {
    vi.useRealTimers();
    await gateway.stop();
  });

  /** A user whose login is under way (held until `finishLogin`). */
  async function loggingIn(): Promise<{ login: Promise<unknown> }> {
    await store.users.create({ jid: USER, registration: {} });
    loginsHeld = true;
    const login = gateway.restartSession(USER);
    await transport.waitForSent((s) => statusOf(s) === "Logging in…");
    // Wrapped: an async function returning the promise itself would wait for it.
    return { login };
  }

  const message = (id: string, body: string) =>
    `<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}"><body>${body}</body></message>`;

  it("holds messages sent during the login and delivers them in order once it is done", async () => {
    const { login } = await loggingIn();
    const sends = ["one", "two", "three"].map((body, i) => transport.inject(message(`m${i}`, body)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(delivered).toEqual([]);
    expect(transport.sent.filter((s) => s.attrs.type === "error")).toEqual([]);
    finishLogin();
    await login;
    await Promise.all(sends);
    await transport.waitForSent(() => delivered.length === 3);
    expect(delivered).toEqual(["one", "two", "three"]);
    expect(transport.sent.filter((s) => s.attrs.type === "error")).toEqual([]);
  });

  it("refuses held messages with what to do when the login needs the user", async () => {
    const { login } = await loggingIn();
    const send = transport.inject(message("m1", "hello"));
    await new Promise((resolve) => setTimeout(resolve, 20));
    finishLogin(new XmppError("not-authorized", "Wrong password"));
    await login;
    await send;
    const error = await transport.waitForSent((s) => s.attrs.type === "error" && s.attrs.id === "m1");
    expect(error.getChild("error")?.getChild("recipient-unavailable")).toBeDefined();
    expect(error.getChild("error")?.getChildText("text")).toBe(reloginText("Wrong password"));
    expect(delivered).toEqual([]);
    expect(gateway.sessionFor(USER)?.connectionState).toBe("bad-credentials");
    expect(transport.sent.some((s) => statusOf(s) === "Could not log in: Wrong password")).toBe(true);
    // And a later message is refused at once, with the same advice.
    await transport.inject(message("m2", "again"));
    const again = await transport.waitForSent((s) => s.attrs.type === "error" && s.attrs.id === "m2");
    expect(again.getChild("error")?.getChildText("text")).toBe(reloginText("Wrong password"));
  });

  it("retries a lost connection with a growing backoff and tells the user", async () => {
    await store.users.create({ jid: USER, registration: {} });
    await gateway.restartSession(USER);
    const session = gateway.sessionFor(USER)!;
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    failReconnects = 1;
    await session.setConnectionState("transient-disconnect", "Lost the connection");
    expect(session.connectionState).toBe("transient-disconnect");
    const lost = transport.sent.map(statusOf).filter(Boolean).at(-1);
    expect(lost).toMatch(/^Lost the connection; reconnecting in [01] s$/);
    // While it is down, a message waits rather than bouncing.
    const send = transport.inject(message("m1", "while down"));
    await vi.advanceTimersByTimeAsync(1000);
    expect(reconnects).toBe(1);
    expect(session.connectionState).toBe("transient-disconnect");
    await vi.advanceTimersByTimeAsync(2000);
    expect(reconnects).toBe(2);
    expect(session.connectionState).toBe("connected");
    vi.useRealTimers();
    await send;
    await transport.waitForSent(() => delivered.length === 1);
    expect(delivered).toEqual(["while down"]);
    expect(transport.sent.map(statusOf).filter(Boolean).at(-1)).toBe("Connected again");
  });

  it("shows each user's connection state to admins", async () => {
    await store.users.create({ jid: USER, registration: {} });
    await gateway.restartSession(USER);
    await gateway.sessionFor(USER)!.setConnectionState("logged-out", "session expired");
    const info = (await sayToGateway(transport, ADMIN, "info")).join("\n");
    expect(info).toContain("Sessions by connection state: logged-out: 1");
    const users = (await sayToGateway(transport, ADMIN, "list-users")).join("\n");
    expect(users).toContain("logged-out");
    // The user was told, once, how to get back in.
    const told = transport.sent.filter(
      (s) => s.is("message") && s.attrs.to === USER && s.getChildText("body")?.includes("'re-login'"),
    );
    expect(told).toHaveLength(1);
  });

  it("lets a user the network logged out mid-session log in again with re-login", async () => {
    await store.users.create({ jid: USER, registration: {} });
    await gateway.restartSession(USER);
    const before = gateway.sessionFor(USER)!;
    // Logged in: the command is not theirs to run.
    expect((await sayToGateway(transport, USER, "re-login")).join("\n")).toContain("already logged in");
    await before.setConnectionState("logged-out", "session expired");
    const answer = (await sayToGateway(transport, USER, "re-login")).join("\n");
    expect(answer).toContain("You are logged in again.");
    const after = gateway.sessionFor(USER)!;
    expect(after).not.toBe(before);
    expect(after.connectionState).toBe("connected");
  });
});

describe("HeldMessages", () => {
  afterEach(() => vi.useRealTimers());

  it("refuses beyond its limit and after its timeout, with texts that say what to do", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const held = new HeldMessages(2, 1000);
    const first = held.wait();
    const second = held.wait();
    await expect(held.wait()).rejects.toThrow(HOLD_FULL_TEXT);
    const outcome = Promise.allSettled([first, second]);
    await vi.advanceTimersByTimeAsync(1000);
    for (const result of await outcome) {
      expect(result.status).toBe("rejected");
      expect((result as PromiseRejectedResult).reason.text).toBe(HOLD_TIMEOUT_TEXT);
    }
    expect(held.size).toBe(0);
  });

  it("releases in arrival order", async () => {
    const held = new HeldMessages();
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => held.wait().then(() => order.push(n)));
    held.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });
});

describe("Reconnector", () => {
  afterEach(() => vi.useRealTimers());

  it("doubles the delay up to a minute, with jitter in the upper half, and starts over after a success", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    let succeed = false;
    // As a session does: a success cancels the retries.
    const reconnector: Reconnector = new Reconnector(
      async () => {
        if (succeed) reconnector.cancel();
      },
      () => 1,
    );
    const delays = [];
    for (let i = 0; i < 8; i++) {
      delays.push(reconnector.schedule());
      await vi.advanceTimersByTimeAsync(delays.at(-1)!);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    succeed = true;
    await vi.advanceTimersByTimeAsync(reconnector.schedule());
    expect(reconnector.schedule()).toBe(1000);
    reconnector.cancel();
    expect(reconnector.scheduled).toBe(false);
    expect(
      new Reconnector(
        async () => {},
        () => 0,
      ).schedule(),
    ).toBe(500);
  });
});
