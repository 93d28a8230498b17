import { once } from "node:events";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MessengerLoginError } from "../port.js";
import { FcaMessengerClient } from "./fca-client.js";
import { FCA_OPTIONS, FcaCheckpoints, parseAppState } from "./fca-login.js";
import type { FcaApi, FcaCookie, FcaCredentials, FcaLoginFunction, FcaOptions } from "./fca-types.js";
import { fakeApi, fixture, SELF } from "./fixtures/fake-api.js";

const APP_STATE = fixture<FcaCookie[]>("app-state.json");
const PASSWORD = { email: "Me@Example.org", password: "hunter2-secret" };

/** A fake library `login` that answers from a script, one entry per call, and records its calls. */
function scriptedLogin(...answers: ((credentials: FcaCredentials) => Promise<FcaApi>)[]) {
  const calls: { credentials: FcaCredentials; options: Partial<FcaOptions> }[] = [];
  const login: FcaLoginFunction = async (credentials, options) => {
    calls.push({ credentials, options });
    const answer = answers.shift();
    if (!answer) throw new Error("unexpected login");
    return answer(credentials);
  };
  return { login, calls };
}

/** A library "login-approval" rejection whose `continue` answers from its own script. */
function approval(...onCode: ((code: string) => Promise<FcaApi>)[]) {
  const codes: string[] = [];
  return {
    codes,
    rejection: {
      error: "login-approval",
      continue: async (code: string): Promise<FcaApi> => {
        codes.push(code);
        const next = onCode.shift();
        if (!next) throw new Error("unexpected code");
        return next(code);
      },
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<MessengerLoginError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MessengerLoginError);
  return err as MessengerLoginError;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("cookie exports", () => {
  it("parses the library's own app state, a browser export (name instead of key) and the d.ts's wrapper", () => {
    expect(parseAppState(JSON.stringify(APP_STATE))).toEqual(APP_STATE);
    const browser = APP_STATE.map(({ key, ...rest }) => ({ name: key, ...rest, expires: 1796292000 }));
    expect(parseAppState(JSON.stringify(browser))[0]).toMatchObject({ key: "c_user", expires: "1796292000" });
    expect(parseAppState(JSON.stringify({ appState: APP_STATE }))).toEqual(APP_STATE);
  });

  it.each([
    ["not JSON", '[{"key":"c_user","value":"SECRET-1"'],
    ["not cookies", JSON.stringify({ c_user: "SECRET-1" })],
    ["cookies without an account", JSON.stringify(APP_STATE.filter((c) => c.key !== "c_user"))],
    ["an empty array", "[]"],
    [
      "far too long",
      JSON.stringify([{ key: "x", value: "SECRET-1".repeat(40_000), domain: "facebook.com" }]),
    ],
  ])("refuses %s as bad-app-state, without quoting it", (_what, input) => {
    let err: unknown;
    try {
      parseAppState(input);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MessengerLoginError);
    expect((err as MessengerLoginError).reason).toBe("bad-app-state");
    expect((err as Error).message).not.toContain("SECRET");
  });
});

describe("login", () => {
  it("a cookie export logs in with the cookie array and the explicit options; the session is the library's app state", async () => {
    const fake = fakeApi();
    const { login, calls } = scriptedLogin(async () => fake.api);
    const client = new FcaMessengerClient({ login, checkpoints: new FcaCheckpoints() });
    const changed = once(client, "sessionChanged");
    expect(await client.login({ appState: JSON.stringify(APP_STATE) })).toBe(SELF);
    expect(calls).toEqual([{ credentials: { appState: APP_STATE }, options: FCA_OPTIONS }]);
    await changed; // a new session: the gateway saves it
    expect(JSON.parse(await client.exportSession())).toEqual(APP_STATE);
    expect(fake.argsOf("listenMqtt")).toHaveLength(1);
  });

  it("sets every option explicitly, with self-listening and events on and nothing marked on the user's behalf", () => {
    expect(FCA_OPTIONS).toEqual({
      listenEvents: true,
      selfListen: true,
      listenTyping: true,
      updatePresence: false,
      autoMarkDelivery: false,
      autoMarkRead: false,
      autoReconnect: true,
      emitReady: true,
      online: true,
      forceLogin: false,
      logLevel: "error",
    });
  });

  it("resume logs in with the saved cookies; cookies Facebook no longer takes, or a session that does not parse, are session-expired", async () => {
    const fake = fakeApi();
    const { login, calls } = scriptedLogin(
      async () => fake.api,
      async () =>
        Promise.reject({ error: "Error retrieving userID. This can be caused by a lot of things…" }),
    );
    const client = new FcaMessengerClient({ login, checkpoints: new FcaCheckpoints() });
    expect(await client.resume(JSON.stringify(APP_STATE))).toBe(SELF);
    expect(calls[0]?.credentials).toEqual({ appState: APP_STATE });
    expect((await rejection(client.resume(JSON.stringify(APP_STATE)))).reason).toBe("session-expired");
    expect((await rejection(client.resume("{broken"))).reason).toBe("session-expired");
    expect(calls).toHaveLength(2);
  });

  it("a wrong password is bad-credentials, and the error never quotes it", async () => {
    const { login, calls } = scriptedLogin(async () => Promise.reject({ error: "Wrong username/password." }));
    const client = new FcaMessengerClient({ login, checkpoints: new FcaCheckpoints() });
    const err = await rejection(client.login(PASSWORD));
    expect(err.reason).toBe("bad-credentials");
    expect(err.message).not.toContain(PASSWORD.password);
    expect(calls).toEqual([
      { credentials: { email: PASSWORD.email, password: PASSWORD.password }, options: FCA_OPTIONS },
    ]);
  });

  it("a checkpoint: checkpoint-required, then the code goes to the same login's continue (from another client)", async () => {
    const fake = fakeApi();
    const step = approval(async () => fake.api);
    const checkpoints = new FcaCheckpoints();
    const { login, calls } = scriptedLogin(async () => Promise.reject(step.rejection));
    const first = new FcaMessengerClient({ login, checkpoints });
    expect((await rejection(first.login(PASSWORD))).reason).toBe("checkpoint-required");
    expect(checkpoints.size).toBe(1);

    const second = new FcaMessengerClient({ login, checkpoints });
    expect(
      await second.login({
        email: " me@example.org",
        password: PASSWORD.password,
        checkpointCode: "123 456",
      }),
    ).toBe(SELF);
    expect(step.codes).toEqual(["123456"]);
    expect(calls).toHaveLength(1); // no second password login
    expect(checkpoints.size).toBe(0);
  });

  it("a wrong code is wrong-checkpoint-code, and the next code goes to the library's next continue", async () => {
    const fake = fakeApi();
    const retry = approval(async () => fake.api);
    const step = approval(async () =>
      Promise.reject({ ...retry.rejection, errordesc: "Invalid 2FA code.", lerror: "wrong" }),
    );
    const checkpoints = new FcaCheckpoints();
    const { login } = scriptedLogin(async () => Promise.reject(step.rejection));
    const client = new FcaMessengerClient({ login, checkpoints });
    expect((await rejection(client.login(PASSWORD))).reason).toBe("checkpoint-required");
    expect((await rejection(client.login({ ...PASSWORD, checkpointCode: "000000" }))).reason).toBe(
      "wrong-checkpoint-code",
    );
    expect(await client.login({ ...PASSWORD, checkpointCode: "123456" })).toBe(SELF);
    expect([step.codes, retry.codes]).toEqual([["000000"], ["123456"]]);
  });

  it("a code with no pending login (the gateway restarted) goes to a fresh login's checkpoint", async () => {
    const fake = fakeApi();
    const step = approval(async () => fake.api);
    const { login, calls } = scriptedLogin(async () => Promise.reject(step.rejection));
    const client = new FcaMessengerClient({ login, checkpoints: new FcaCheckpoints() });
    expect(await client.login({ ...PASSWORD, checkpointCode: "123456" })).toBe(SELF);
    expect(calls).toHaveLength(1);
    expect(step.codes).toEqual(["123456"]);
  });

  it("a pending login is found only with the same password", async () => {
    const checkpoints = new FcaCheckpoints();
    checkpoints.put("a@example.org", "right", async () => fakeApi().api);
    expect(checkpoints.take("A@example.org ", "wrong")).toBeUndefined();
    expect(checkpoints.take("A@example.org ", "right")).toBeDefined();
  });

  it("a pending checkpoint expires after ten minutes", async () => {
    let now = 1_000_000;
    const checkpoints = new FcaCheckpoints(() => now);
    checkpoints.put("a@example.org", "pw", async () => fakeApi().api);
    now += 10 * 60_000 - 1;
    checkpoints.put("b@example.org", "pw", async () => fakeApi().api);
    now += 1;
    expect(checkpoints.take("a@example.org", "pw")).toBeUndefined();
    expect(checkpoints.take("b@example.org", "pw")).toBeDefined();
  });

  it.each([
    [
      "Couldn't login. Facebook might have blocked this account. Please login with a browser or enable the option 'forceLogin' and try again.",
    ],
    [
      "Error retrieving userID. This can be caused by a lot of things, including getting blocked by Facebook for logging in from an unknown location. Try logging in with a browser to verify.",
    ],
    ["Something went wrong with review recent login."],
  ])("a checkpoint only a browser can pass is checkpoint-browser: %s", async (error) => {
    const { login } = scriptedLogin(async () => Promise.reject({ error }));
    const client = new FcaMessengerClient({ login, checkpoints: new FcaCheckpoints() });
    const err = await rejection(client.login(PASSWORD));
    expect(err.reason).toBe("checkpoint-browser");
    expect(err.message).toMatch(/browser/);
  });

  it("anything else (the network) is a plain error that says so, not a refusal of the user's login", async () => {
    const { login } = scriptedLogin(async () =>
      Promise.reject(new Error(`ECONNRESET while posting ${PASSWORD.password}`)),
    );
    const client = new FcaMessengerClient({ login, checkpoints: new FcaCheckpoints() });
    const err = (await client.login(PASSWORD).catch((e: unknown) => e)) as Error;
    expect(err).not.toBeInstanceOf(MessengerLoginError);
    expect(err.message).toMatch(/network/);
    expect(err.message).not.toContain(PASSWORD.password);
  });
});

describe("session refresh", () => {
  it("emits sessionChanged when the library's cookies change, not when only their access times do", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const fake = fakeApi();
    const client = new FcaMessengerClient({
      login: async () => fake.api,
      checkpoints: new FcaCheckpoints(),
      sessionCheckIntervalMs: 60_000,
    });
    const first = once(client, "sessionChanged");
    await client.login({ appState: JSON.stringify(APP_STATE) });
    await first;
    let changes = 0;
    client.on("sessionChanged", () => changes++);

    fake.appState = fake.appState.map((c) => ({ ...c, lastAccessed: "2026-12-03T11:00:00.000Z" }));
    vi.advanceTimersByTime(60_000);
    expect(changes).toBe(0);

    fake.appState = fake.appState.map((c) => (c.key === "xs" ? { ...c, value: "13%3Arefreshed" } : c));
    vi.advanceTimersByTime(60_000);
    expect(changes).toBe(1);
    expect(JSON.parse(await client.exportSession())).toContainEqual(
      expect.objectContaining({ key: "xs", value: "13%3Arefreshed" }),
    );
    vi.advanceTimersByTime(60_000);
    expect(changes).toBe(1);
    await client.logout();
  });
});
