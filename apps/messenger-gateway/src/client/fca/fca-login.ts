import { createHash } from "node:crypto";
import { z } from "@gangway/core";
import { MessengerLoginError } from "../port.js";
import type { FcaApi, FcaCookie, FcaLoginFunction, FcaLoginRejection, FcaOptions } from "./fca-types.js";

/**
 * The library's options, every one set explicitly (its defaults differ from its DOCS.md in places)
 * so a library update cannot change the gateway's behaviour silently. This library has no
 * auto-update feature at all (no `child_process`, no `npm i` in its code; legacy-libs §2.4).
 */
export const FCA_OPTIONS: FcaOptions = {
  // Thread changes (name, picture, members, admins), reactions, unsends and read receipts arrive
  // only with this on.
  listenEvents: true,
  // The user's own messages from the official app arrive only with this on: they become carbons.
  selfListen: true,
  // Not read by this version's code (typing always arrives); set for a version that does.
  listenTyping: true,
  // Inverted in this version's code: `listenMqtt.js` reports friends' presence only when this is
  // *false*, although DOCS.md says the opposite. We want presence, so false.
  updatePresence: false,
  // The user marks what they saw from their XMPP client: nothing is acknowledged on their behalf.
  autoMarkDelivery: false,
  autoMarkRead: false,
  // The library re-fetches its sequence id and reconnects after a socket error by itself.
  autoReconnect: true,
  // So that `listenMqtt` reports each (re)connection: it becomes `connection: connected`.
  emitReady: true,
  // The XMPP user is "active" on Messenger while the gateway holds their session, as in a browser.
  online: true,
  // Never approve "review recent login" screens on the user's behalf: they decide in a browser.
  forceLogin: false,
  // The library logs through npmlog to stderr; at "info" and below it logs account ids and
  // response bodies, which do not belong in an operator's log.
  logLevel: "error",
};

/** The longest cookie export accepted: real ones are a few KiB. */
const MAX_APP_STATE_CHARS = 256 * 1024;

// A browser export names the cookie `name` (EditThisCookie and friends) or `key` (the library's
// own getAppState); `expires` is a date string, a number, or absent for a session cookie.
const cookieSchema = z
  .object({
    key: z.string().min(1).optional(),
    name: z.string().min(1).optional(),
    value: z.string(),
    domain: z.string().min(1),
    path: z.string().optional(),
    expires: z.union([z.string(), z.number(), z.null()]).optional(),
    hostOnly: z.boolean().optional(),
    creation: z.string().optional(),
    lastAccessed: z.string().optional(),
  })
  .refine((c) => (c.key ?? c.name) !== undefined);
const appStateSchema = z.union([
  z.array(cookieSchema).min(1),
  // The library's d.ts shape, `{ appState: [...] }`, which some tools write.
  z.object({ appState: z.array(cookieSchema).min(1) }).transform((o) => o.appState),
]);

/**
 * Parses a cookie export into the library's cookie array. Refusals never quote the input: it is
 * the user's session. `reason` is what a bad export means where it came from (a pasted export is
 * `bad-app-state`, a stored session that no longer parses `session-expired`).
 */
export function parseAppState(
  json: string,
  reason: "bad-app-state" | "session-expired" = "bad-app-state",
): FcaCookie[] {
  const refuse = (why: string) => new MessengerLoginError(reason, `The cookie export ${why}.`);
  if (json.length > MAX_APP_STATE_CHARS) throw refuse("is too long to be one");
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw refuse("is not JSON (paste the whole array of cookies)");
  }
  const parsed = appStateSchema.safeParse(raw);
  if (!parsed.success) throw refuse("is not an array of cookies with key (or name), value and domain");
  const cookies = parsed.data.map(
    (c): FcaCookie => ({
      key: (c.key ?? c.name) as string,
      value: c.value,
      domain: c.domain,
      ...(c.path !== undefined && { path: c.path }),
      ...(c.expires !== undefined && c.expires !== null && { expires: String(c.expires) }),
      ...(c.hostOnly !== undefined && { hostOnly: c.hostOnly }),
      ...(c.creation !== undefined && { creation: c.creation }),
      ...(c.lastAccessed !== undefined && { lastAccessed: c.lastAccessed }),
    }),
  );
  // The library takes the account id from `c_user` (or `i_user`); without it the login fails late
  // with a confusing message, so say it now.
  if (!cookies.some((c) => (c.key === "c_user" || c.key === "i_user") && /^\d+$/.test(c.value)))
    throw refuse("has no c_user cookie: export it from a browser logged in to facebook.com");
  return cookies;
}

/** The `error` string of a library rejection (a plain object), or of an Error. */
function errorText(err: unknown): string {
  if (typeof err === "object" && err !== null && "error" in err && typeof err.error === "string")
    return err.error;
  return err instanceof Error ? err.message : "";
}

function isLoginApproval(err: unknown): err is Required<FcaLoginRejection> {
  return errorText(err) === "login-approval" && typeof (err as FcaLoginRejection).continue === "function";
}

/**
 * A library login rejection as the port's MessengerLoginError, when it is one the user can act on;
 * anything else (the network, Facebook's HTML changing) becomes a plain Error that says so.
 * `withCookies` tells a cookie login from a password one: the same "no account id" failure means
 * expired cookies for the first and a browser-only checkpoint for the second.
 */
export function loginFailure(err: unknown, withCookies: boolean): Error {
  const text = errorText(err);
  if (text === "Wrong username/password.")
    return new MessengerLoginError("bad-credentials", "Facebook refused the email or password.");
  if (text === "login-approval")
    return new MessengerLoginError("checkpoint-required", "Facebook asks for the login code it sent.");
  if (text.startsWith("Error retrieving userID"))
    return withCookies
      ? new MessengerLoginError("session-expired", "Facebook no longer accepts this session's cookies.")
      : browserCheckpoint();
  if (/blocked|review recent login|login approvals|checkpoint/i.test(text)) return browserCheckpoint();
  return new Error("Logging in to Messenger failed (network error or unexpected answer from Facebook)", {
    cause: err,
  });
}

function browserCheckpoint(): MessengerLoginError {
  return new MessengerLoginError(
    "checkpoint-browser",
    "Facebook wants this login confirmed in a browser: log in at facebook.com, confirm it, then try again.",
  );
}

/** How long a login waits for its checkpoint's code. */
const CHECKPOINT_TTL_MS = 10 * 60_000;

/**
 * Logins waiting for their checkpoint's code, by email and password (a digest: the same email
 * with another password must not pick up someone's pending login). The gateway asks for the code with a new
 * client (and may drop the first one), so the library's `continue(code)` must outlive the client:
 * one FcaCheckpoints per process is shared by all clients (`sharedFcaCheckpoints`). After a
 * restart the pending login is gone; the code is then submitted to a fresh login's checkpoint.
 */
export class FcaCheckpoints {
  private readonly pending = new Map<
    string,
    { submit: (code: string) => Promise<FcaApi>; expiresAt: number }
  >();

  constructor(private readonly now: () => number = Date.now) {}

  put(email: string, password: string, submit: (code: string) => Promise<FcaApi>): void {
    for (const [key, entry] of this.pending) if (entry.expiresAt <= this.now()) this.pending.delete(key);
    this.pending.set(keyOf(email, password), { submit, expiresAt: this.now() + CHECKPOINT_TTL_MS });
  }

  /** The pending login's `continue`, once: a wrong code puts the next one back. */
  take(email: string, password: string): ((code: string) => Promise<FcaApi>) | undefined {
    const key = keyOf(email, password);
    const entry = this.pending.get(key);
    this.pending.delete(key);
    return entry && entry.expiresAt > this.now() ? entry.submit : undefined;
  }

  get size(): number {
    return this.pending.size;
  }
}

export const sharedFcaCheckpoints = new FcaCheckpoints();

function keyOf(email: string, password: string): string {
  return `${email.trim().toLowerCase()}\u0000${createHash("sha256").update(password).digest("hex")}`;
}

/**
 * Email and password through the library's login, with its checkpoint ("login-approval") as the
 * port's two steps: without a code the pending `continue` is kept and `checkpoint-required`
 * thrown; with one it goes to the pending `continue`, or to a fresh login's checkpoint.
 */
export async function passwordLogin(
  login: FcaLoginFunction,
  checkpoints: FcaCheckpoints,
  credentials: { email: string; password: string; checkpointCode?: string },
): Promise<FcaApi> {
  const { email, password, checkpointCode } = credentials;
  const code = checkpointCode?.replace(/\s+/g, "");
  const pending = code !== undefined ? checkpoints.take(email, password) : undefined;
  if (pending && code !== undefined) return submitCode(checkpoints, credentials, pending, code);
  try {
    return await login({ email, password }, FCA_OPTIONS);
  } catch (err) {
    if (isLoginApproval(err)) {
      if (code !== undefined) return submitCode(checkpoints, credentials, err.continue, code);
      checkpoints.put(email, password, err.continue);
    }
    throw loginFailure(err, false);
  }
}

async function submitCode(
  checkpoints: FcaCheckpoints,
  { email, password }: { email: string; password: string },
  submit: (code: string) => Promise<FcaApi>,
  code: string,
): Promise<FcaApi> {
  try {
    return await submit(code);
  } catch (err) {
    if (isLoginApproval(err)) {
      checkpoints.put(email, password, err.continue);
      throw new MessengerLoginError("wrong-checkpoint-code", "Facebook refused the login code.");
    }
    throw loginFailure(err, false);
  }
}

/** A cookie login: a pasted export (`bad-app-state` when it is not one) or a saved session. */
export async function cookieLogin(login: FcaLoginFunction, cookies: FcaCookie[]): Promise<FcaApi> {
  try {
    return await login({ appState: cookies }, FCA_OPTIONS);
  } catch (err) {
    throw loginFailure(err, true);
  }
}

/**
 * What identifies a session in the library's cookies: names, values, domains and expiry. Their
 * access times change with every request and must not count as a new session.
 */
export function sessionFingerprint(appState: unknown): string {
  const cookies: unknown = JSON.parse(JSON.stringify(appState ?? []));
  if (!Array.isArray(cookies)) return "";
  return cookies
    .map((c: { key?: unknown; value?: unknown; domain?: unknown; expires?: unknown }) =>
      [c.key, c.value, c.domain, c.expires].map(String).join("\u0000"),
    )
    .sort()
    .join("\u0001");
}
