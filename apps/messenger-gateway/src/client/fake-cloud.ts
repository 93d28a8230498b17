import { randomBytes } from "node:crypto";
import {
  type FakeAccount,
  KEPT_SESSIONS,
  newAccount,
  readAccounts,
  type SentRecord,
  serializeAccounts,
  writeAtomically,
} from "./fake-state.js";
import { BROWSER_CHECKPOINT_PREFIX, CHECKPOINT_CODE, UPLOADS } from "./fake-world.js";
import { type MessengerCredentials, MessengerLoginError } from "./port.js";

export { type FakeAccount, FakeCloudStateError, type SentRecord } from "./fake-state.js";
export {
  ALICE,
  BOB,
  CHECKPOINT_CODE,
  FAKE_FRIENDS,
  FAKE_THREADS,
  FAMILY,
} from "./fake-world.js";

/**
 * The `fake` backend's Messenger "cloud": a fixed world (two friends, one group thread) that a
 * newcomer and the tests can use without a Facebook account. Like a real network's servers it
 * outlives the gateway: what each account must remember (passed checkpoints, logins and session
 * tokens, which of alice.fb's answers goes with which message, Family as the account changed it)
 * is kept in one JSON file of the gateway's home dir (see fake-state.ts). Message text is never
 * kept; files the user sends are kept in memory only (bounded), as long as the process runs.
 */

/** The state file's name in the gateway's home dir. */
export const FAKE_CLOUD_FILE = "messenger-fake-cloud.json";

/**
 * Messages an account remembers (each with alice.fb's answer), the oldest forgotten first: the
 * file is rewritten whole, so it must stay bounded.
 */
export const REMEMBERED_MESSAGES = 1000;

/** Messenger's limit for one attachment: the fake cloud refuses larger ones as the network does. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;
/** Uploads kept in memory (for alice.fb's echo and downloads), the oldest forgotten first. */
export const KEPT_UPLOADS = 100;

/** Unique per process: the saved `nextId` alone could repeat ids after a kill before a save. */
const RUN = Date.now().toString(36);

/** A client connected to the cloud: what the cloud's test hooks make happen to it. */
export interface FakeLink {
  /** The cloud gave the session new cookies (`token` replaces the old one). */
  sessionRefreshed(token: string): void;
  /** The connection dropped; the client reconnects by itself. */
  connectionDropped(): void;
  /** The network ended the session (every token of the account is void). */
  loggedOut(reason: string): void;
}

/** A logged-in account: its id (what `login` resolves to) and its state. */
export interface FakeLogin {
  userId: string;
  account: FakeAccount;
  token: string;
}

export interface FakeCloudOptions {
  /** Where the accounts live; without it the cloud forgets everything with the process. */
  stateFile?: string;
  /** A failed write (disk full): the next change tries again. */
  onSaveError?: (err: unknown) => void;
  /** How long changes gather before one write. */
  saveDelayMs?: number;
}

export class FakeCloud {
  private readonly accounts: Map<string, FakeAccount>;
  private readonly stateFile: string | undefined;
  private readonly onSaveError: (err: unknown) => void;
  private readonly saveDelayMs: number;
  private readonly links = new Map<string, Set<FakeLink>>();
  private readonly uploads = new Map<string, { bytes: Buffer; mimeType: string }>();
  private uploadCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private closed = false;

  /** Throws a FakeCloudStateError naming the file when it exists but cannot be read back. */
  constructor(options: FakeCloudOptions = {}) {
    this.stateFile = options.stateFile;
    this.accounts = this.stateFile === undefined ? new Map() : readAccounts(this.stateFile);
    this.onSaveError =
      options.onSaveError ?? ((err) => process.emitWarning(`could not save the fake cloud: ${String(err)}`));
    this.saveDelayMs = options.saveDelayMs ?? 50;
  }

  /**
   * Logs in as Facebook would, and opens a session. Email and password: any email, any password
   * but `wrong`; an email starting with `checkpoint` must pass the checkpoint (code 123456) once,
   * then logs in freely; one starting with `browser` gets a checkpoint only a browser can pass.
   * A cookie export: a JSON array of cookies with `c_user` (the account) and `xs` (its session;
   * `expired` is one Facebook no longer takes).
   */
  login(credentials: MessengerCredentials): FakeLogin {
    const userId =
      "appState" in credentials ? checkAppState(credentials.appState) : checkPassword(credentials);
    let account = this.accounts.get(userId);
    if (!("appState" in credentials) && userId.startsWith("checkpoint") && !account?.trusted) {
      if (credentials.checkpointCode === undefined)
        throw new MessengerLoginError("checkpoint-required", "Facebook asks for a login code.");
      if (credentials.checkpointCode.trim() !== CHECKPOINT_CODE)
        throw new MessengerLoginError("wrong-checkpoint-code", "Wrong login code.");
    }
    if (!account) {
      account = newAccount();
      this.accounts.set(userId, account);
    }
    if (userId.startsWith("checkpoint")) account.trusted = true;
    account.logins++;
    return { userId, account, token: this.openSession(account) };
  }

  /** Takes a session `exportSession` gave back; `session-expired` when the cloud no longer has it. */
  resume(session: string): FakeLogin {
    const parsed = parseSession(session);
    const account = parsed && this.accounts.get(parsed.userId);
    if (!parsed || !account?.sessions.includes(parsed.token))
      throw new MessengerLoginError("session-expired", "The saved Facebook session has expired.");
    return { userId: parsed.userId, account, token: parsed.token };
  }

  /** The text `resume` takes back. */
  static exportSession(login: Pick<FakeLogin, "userId" | "token">): string {
    return JSON.stringify({ fake: 1, userId: login.userId, token: login.token });
  }

  private openSession(account: FakeAccount): string {
    const token = randomBytes(12).toString("base64url");
    account.sessions = [...account.sessions, token].slice(-KEPT_SESSIONS);
    this.changed();
    return token;
  }

  // ---- connected clients, and the test hooks that act on them ----

  attach(userId: string, link: FakeLink): void {
    const links = this.links.get(userId) ?? new Set<FakeLink>();
    this.links.set(userId, links);
    links.add(link);
  }

  detach(userId: string, link: FakeLink): void {
    this.links.get(userId)?.delete(link);
  }

  /** How many times `userId` logged in with credentials (resumed sessions are not logins). */
  logins(userId: string): number {
    return this.accounts.get(userId)?.logins ?? 0;
  }

  /** Test hook: every saved session of `userId` expires (the clients connected stay, as on Facebook). */
  expireSessions(userId: string): void {
    const account = this.accounts.get(userId);
    if (!account) return;
    account.sessions = [];
    this.changed();
  }

  /** Test hook: the cloud gives each connected client of `userId` new cookies (a new session token). */
  refreshSessions(userId: string): void {
    const account = this.accounts.get(userId);
    if (!account) return;
    for (const link of this.links.get(userId) ?? []) link.sessionRefreshed(this.openSession(account));
  }

  /** Test hook: the connected clients of `userId` lose their connection (and get it back by themselves). */
  dropConnections(userId: string): void {
    for (const link of this.links.get(userId) ?? []) link.connectionDropped();
  }

  /** Test hook: Facebook ends every session of `userId` (as after a password change). */
  logOut(userId: string, reason = "Facebook ended the session"): void {
    this.expireSessions(userId);
    for (const link of this.links.get(userId) ?? []) link.loggedOut(reason);
  }

  // ---- files ----

  /** Keeps an uploaded file (in memory, the last KEPT_UPLOADS) and returns where it is served. */
  storeUpload(fileName: string, mimeType: string, bytes: Buffer): string {
    const url = `${UPLOADS}${++this.uploadCount}/${encodeURIComponent(fileName)}`;
    this.uploads.set(url, { bytes, mimeType });
    if (this.uploads.size > KEPT_UPLOADS) this.uploads.delete(this.uploads.keys().next().value!);
    return url;
  }

  upload(url: string): { bytes: Buffer; mimeType: string } | undefined {
    return this.uploads.get(url);
  }

  // ---- messages ----

  /** A new message id for `account`. */
  newId(account: FakeAccount): string {
    const id = `mid.${RUN}.${account.nextId++}`;
    this.changed();
    return id;
  }

  /** Remembers a message the user sent (and alice.fb's answer to it), forgetting the oldest past the bound. */
  remember(account: FakeAccount, messageId: string, record: SentRecord): void {
    account.sent.set(messageId, record);
    if (record.answerId !== undefined) account.answered.set(record.answerId, messageId);
    if (account.sent.size > REMEMBERED_MESSAGES) {
      const [oldest, gone] = account.sent.entries().next().value!;
      account.sent.delete(oldest);
      if (gone.answerId !== undefined) account.answered.delete(gone.answerId);
    }
    this.changed();
  }

  forget(account: FakeAccount, messageId: string): void {
    const record = account.sent.get(messageId);
    if (!record) return;
    account.sent.delete(messageId);
    if (record.answerId !== undefined) account.answered.delete(record.answerId);
    this.changed();
  }

  /** Something changed: written within `saveDelayMs` (one write for a burst). */
  changed(): void {
    if (this.stateFile === undefined || this.closed) return;
    this.dirty = true;
    this.timer ??= setTimeout(() => this.flush(), this.saveDelayMs).unref();
  }

  /** Writes pending changes now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty || this.stateFile === undefined) return;
    this.dirty = false;
    try {
      writeAtomically(this.stateFile, serializeAccounts(this.accounts));
    } catch (err) {
      this.dirty = true;
      this.onSaveError(err);
    }
  }

  /** The last write, for the gateway's shutdown; later changes stay in memory. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}

function checkPassword(credentials: { email: string; password: string }): string {
  const email = credentials.email.trim().toLowerCase();
  if (!email) throw new MessengerLoginError("bad-credentials", "An email address is required.");
  if (credentials.password === "wrong")
    throw new MessengerLoginError("bad-credentials", "Wrong email or password.");
  if (email.startsWith(BROWSER_CHECKPOINT_PREFIX))
    throw new MessengerLoginError("checkpoint-browser", "Facebook wants this login confirmed in a browser.");
  return email;
}

const BAD_APP_STATE = "This is not a Facebook cookie export (app state).";

/** The account a cookie export logs in to; never quotes the export in an error. */
function checkAppState(text: string): string {
  let cookies: unknown;
  try {
    cookies = JSON.parse(text);
  } catch {
    throw new MessengerLoginError("bad-app-state", BAD_APP_STATE);
  }
  if (!Array.isArray(cookies)) throw new MessengerLoginError("bad-app-state", BAD_APP_STATE);
  const value = (key: string): string | undefined => {
    const cookie: unknown = cookies.find(
      (c: unknown) => typeof c === "object" && c !== null && (c as { key?: unknown }).key === key,
    );
    const v = (cookie as { value?: unknown } | undefined)?.value;
    return typeof v === "string" ? v : undefined;
  };
  const userId = value("c_user")?.trim().toLowerCase();
  const session = value("xs");
  if (!userId || !/^[\w.@+-]{1,100}$/.test(userId) || !session)
    throw new MessengerLoginError("bad-app-state", BAD_APP_STATE);
  if (session === "expired")
    throw new MessengerLoginError("session-expired", "These cookies are from a session Facebook has ended.");
  return userId;
}

function parseSession(text: string): { userId: string; token: string } | undefined {
  try {
    const data: unknown = JSON.parse(text);
    const { fake, userId, token } = data as Record<string, unknown>;
    if (fake === 1 && typeof userId === "string" && typeof token === "string") return { userId, token };
  } catch {
    // not a session of this cloud
  }
  return undefined;
}
