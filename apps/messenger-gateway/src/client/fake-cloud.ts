import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import {
  type MessengerCredentials,
  MessengerLoginError,
  type MessengerThread,
  type MessengerUser,
} from "./port.js";

/**
 * The `fake` backend's Messenger "cloud": a fixed world (two friends, one group thread) that a
 * newcomer and the tests can use without a Facebook account. Like a real network's servers it
 * outlives the gateway: what each account must remember (passed checkpoints, which of alice.fb's
 * answers goes with which message) is kept in one JSON file of the gateway's home dir, so after a
 * restart alice.fb still mirrors an edit of a message sent before it. Message text is never kept.
 */

/** The state file's name in the gateway's home dir. */
export const FAKE_CLOUD_FILE = "messenger-fake-cloud.json";

/** The code every login checkpoint of the fake cloud accepts. */
export const CHECKPOINT_CODE = "123456";

/** The friend who answers everything. */
export const ALICE = "alice.fb";
export const BOB = "bob.fb";
export const FAMILY = "family";

export const FAKE_FRIENDS: readonly MessengerUser[] = [
  { id: ALICE, name: "Alice Facebook", active: true },
  { id: BOB, name: "Bob Facebook", active: false },
];

export const FAKE_THREADS: readonly MessengerThread[] = [
  { id: ALICE, name: "Alice Facebook", isGroup: false, participantIds: [ALICE] },
  { id: BOB, name: "Bob Facebook", isGroup: false, participantIds: [BOB] },
  { id: FAMILY, name: "Family", isGroup: true, participantIds: [ALICE, BOB] },
];

/**
 * Messages an account remembers (each with alice.fb's answer), the oldest forgotten first: the
 * file is rewritten whole, so it must stay bounded.
 */
export const REMEMBERED_MESSAGES = 1000;

/** The only format this release reads and writes. */
const VERSION = 1;

/** A message the user sent, as the cloud remembers it. */
export interface SentRecord {
  threadId: string;
  /** alice.fb's "seen: X" answer to it. */
  answerId?: string;
}

export interface FakeAccount {
  /** A login checkpoint was passed once: this "device" is trusted from then on. */
  trusted: boolean;
  nextId: number;
  sent: Map<string, SentRecord>;
  /** alice.fb's answer id → the user's message it answers (`sent` read backwards, not stored). */
  answered: Map<string, string>;
}

export class FakeCloudStateError extends Error {
  override readonly name = "FakeCloudStateError";

  constructor(file: string, why: string) {
    super(
      `Messenger fake cloud state ${file}: ${why} (move the file away to start with an empty fake cloud)`,
    );
  }
}

/** Unique per process: the saved `nextId` alone could repeat ids after a kill before a save. */
const RUN = Date.now().toString(36);

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
   * Checks credentials as Facebook would: any email, any password but `wrong`; an email starting
   * with `checkpoint` must pass the checkpoint (code 123456) once, then logs in freely.
   */
  authenticate(credentials: MessengerCredentials): FakeAccount {
    const email = credentials.email.trim().toLowerCase();
    if (!email) throw new MessengerLoginError("bad-credentials", "An email address is required.");
    if (credentials.password === "wrong")
      throw new MessengerLoginError("bad-credentials", "Wrong email or password.");
    let account = this.accounts.get(email);
    const trusted = account?.trusted ?? false;
    if (email.startsWith("checkpoint") && !trusted) {
      if (credentials.checkpointCode === undefined)
        throw new MessengerLoginError("checkpoint-required", "Facebook asks for a login code.");
      if (credentials.checkpointCode.trim() !== CHECKPOINT_CODE)
        throw new MessengerLoginError("wrong-checkpoint-code", "Wrong login code.");
    }
    if (!account) {
      account = { trusted: false, nextId: 1, sent: new Map(), answered: new Map() };
      this.accounts.set(email, account);
    }
    if (email.startsWith("checkpoint") && !account.trusted) {
      account.trusted = true;
      this.changed();
    }
    return account;
  }

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
  private changed(): void {
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

/**
 * A reader sees the old file or the new one, never half of one: a sibling `.tmp` is written, then
 * renamed over it. Owner-only, as the rest of the home dir: it tells who uses the gateway.
 */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600); // `mode` applies only to a new file: a `.tmp` left by a kill keeps its own
  renameSync(tmp, file);
}

function serializeAccounts(accounts: ReadonlyMap<string, FakeAccount>): string {
  // fromEntries, not assignments: an email such as `__proto__` must stay a key.
  const out = Object.fromEntries(
    [...accounts].map(([email, account]) => [
      email,
      { trusted: account.trusted, nextId: account.nextId, sent: Object.fromEntries(account.sent) },
    ]),
  );
  return JSON.stringify({ version: VERSION, accounts: out });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readAccounts(file: string): Map<string, FakeAccount> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return new Map();
    throw new FakeCloudStateError(file, `cannot be read (${code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new FakeCloudStateError(file, `is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(data) || !isRecord(data.accounts))
    throw new FakeCloudStateError(file, "is not a fake cloud state");
  if (data.version !== VERSION)
    throw new FakeCloudStateError(
      file,
      `has format version ${String(data.version)}, this release reads ${VERSION}`,
    );
  const accounts = new Map<string, FakeAccount>();
  for (const [email, raw] of Object.entries(data.accounts)) {
    const account = parseAccount(raw);
    if (!account) throw new FakeCloudStateError(file, `an account is malformed`);
    accounts.set(email, account);
  }
  return accounts;
}

function parseAccount(raw: unknown): FakeAccount | undefined {
  if (!isRecord(raw) || typeof raw.trusted !== "boolean" || !isRecord(raw.sent)) return undefined;
  if (!Number.isSafeInteger(raw.nextId) || (raw.nextId as number) < 1) return undefined;
  const account: FakeAccount = {
    trusted: raw.trusted,
    nextId: raw.nextId as number,
    sent: new Map(),
    answered: new Map(),
  };
  for (const [id, record] of Object.entries(raw.sent)) {
    if (!isRecord(record) || typeof record.threadId !== "string") return undefined;
    if (record.answerId !== undefined && typeof record.answerId !== "string") return undefined;
    const answerId = record.answerId as string | undefined;
    account.sent.set(id, { threadId: record.threadId, ...(answerId !== undefined && { answerId }) });
    if (answerId !== undefined) account.answered.set(answerId, id);
  }
  return account;
}
