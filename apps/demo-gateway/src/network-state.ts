import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { type DemoAccount, type LoggedMessage, newAccount } from "./network-account.js";
import { appendSend, applySends, dropSends, type SendRecord } from "./network-journal.js";

export type { DemoAccount, LoggedMessage, OwnAvatar, OwnPresence, SentMessage } from "./network-account.js";
export { newAccount } from "./network-account.js";

/**
 * The demo "cloud" on disk: what each account's network side remembers, in one small JSON file
 * of the gateway's home dir, so that a restarted gateway finds the network as a real one would
 * (echo still follows a correction of a message sent before the restart).
 */

/** The state file's name in the gateway's home dir. */
export const DEMO_STATE_FILE = "demo-network.json";

/**
 * Messages an account remembers (each with echo's answer), the oldest forgotten first. The state
 * file is rewritten whole, so it must stay bounded; a real network too lets one edit or react to
 * recent messages only.
 */
export const REMEMBERED_MESSAGES = 1000;

/**
 * Messages toward the user a replay can deliver again, per account, until the gateway confirms them
 * (see DemoClient.acknowledge): a bound for a gateway that never does.
 */
export const REPLAYABLE_MESSAGES = 500;

/** The only format this release reads and writes; a new one gets a new number. */
const VERSION = 1;

/** The file is unreadable or not a state this release wrote; the message names the file. */
export class DemoStateError extends Error {
  override readonly name = "DemoStateError";

  constructor(file: string, why: string) {
    super(`demo network state ${file}: ${why} (move the file away to start with an empty demo network)`);
  }
}

/** The accounts in `file` (plus the sends its log holds); none when it does not exist yet. */
export function readState(file: string): Map<string, DemoAccount> {
  const accounts = readStateFile(file);
  try {
    applySends(file, accounts, newAccount, { sent: REMEMBERED_MESSAGES, log: REPLAYABLE_MESSAGES });
  } catch (err) {
    throw new DemoStateError(file, `its log cannot be read (${String(err)})`);
  }
  return accounts;
}

function readStateFile(file: string): Map<string, DemoAccount> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return new Map();
    throw new DemoStateError(file, `cannot be read (${code ?? String(err)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    // The parser's message says where; its stack says nothing an operator can use.
    throw new DemoStateError(file, `is not valid JSON (${(err as Error).message})`);
  }
  if (!isRecord(data) || !isRecord(data.accounts))
    throw new DemoStateError(file, "is not a demo network state");
  if (data.version !== VERSION) {
    throw new DemoStateError(
      file,
      `has format version ${String(data.version)}, this release reads ${VERSION}`,
    );
  }
  const accounts = new Map<string, DemoAccount>();
  for (const [username, raw] of Object.entries(data.accounts)) {
    const account = parseAccount(raw);
    if (!account) throw new DemoStateError(file, `account ${JSON.stringify(username)} is malformed`);
    accounts.set(username, account);
  }
  return accounts;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isOptionalString = (value: unknown) => value === undefined || typeof value === "string";

function parseAccount(raw: unknown): DemoAccount | undefined {
  if (!isRecord(raw) || !Number.isSafeInteger(raw.nextId) || (raw.nextId as number) < 1) return undefined;
  if (!isRecord(raw.sent) || !isRecord(raw.presence) || typeof raw.presence.show !== "string")
    return undefined;
  if (!isOptionalString(raw.presence.status)) return undefined;
  const avatar = raw.avatar;
  if (
    avatar !== null &&
    !(isRecord(avatar) && typeof avatar.type === "string" && typeof avatar.bytes === "number")
  )
    return undefined;
  const account = newAccount();
  account.nextId = raw.nextId as number;
  account.presence = {
    show: raw.presence.show,
    ...(raw.presence.status !== undefined && { status: raw.presence.status as string }),
  };
  account.avatar = avatar === null ? null : { type: avatar.type as string, bytes: avatar.bytes as number };
  // Optional: files written before the log existed have none (and replay nothing).
  if (raw.nextSeq !== undefined) {
    if (!Number.isSafeInteger(raw.nextSeq) || (raw.nextSeq as number) < 1) return undefined;
    account.nextSeq = raw.nextSeq as number;
  }
  if (raw.log !== undefined) {
    if (!Array.isArray(raw.log)) return undefined;
    for (const entry of raw.log) {
      const logged = parseLogged(entry);
      if (!logged) return undefined;
      account.log.push(logged);
    }
  }
  for (const [id, message] of Object.entries(raw.sent)) {
    if (!isRecord(message) || typeof message.to !== "string" || !isOptionalString(message.replyId))
      return undefined;
    const replyId = message.replyId as string | undefined;
    account.sent.set(id, { to: message.to, ...(replyId !== undefined && { replyId }) });
    // Not stored: it is `sent` read backwards.
    if (replyId !== undefined) account.echoReplies.set(replyId, id);
  }
  return account;
}

function parseLogged(raw: unknown): LoggedMessage | undefined {
  if (!isRecord(raw) || !Number.isSafeInteger(raw.seq) || !Number.isFinite(raw.at)) return undefined;
  const { from, id, text, replyTo } = raw;
  if (typeof from !== "string" || typeof id !== "string" || typeof text !== "string") return undefined;
  if (!isOptionalString(replyTo)) return undefined;
  return {
    seq: raw.seq as number,
    from,
    id,
    text,
    ...(replyTo !== undefined && { replyTo: replyTo as string }),
    at: raw.at as number,
  };
}

/** The file's text for `accounts`: `{ version: 1, accounts: { <username>: {…} } }`. */
export function serializeState(accounts: ReadonlyMap<string, DemoAccount>): string {
  // fromEntries, not assignments: a user named `__proto__` must stay a key.
  const out = Object.fromEntries(
    [...accounts].map(([username, account]) => [
      username,
      {
        nextId: account.nextId,
        sent: Object.fromEntries(account.sent),
        presence: account.presence,
        avatar: account.avatar,
        nextSeq: account.nextSeq,
        log: account.log,
      },
    ]),
  );
  return JSON.stringify({ version: VERSION, accounts: out });
}

/**
 * Writes `text` to `file` so that a reader (or a restart after a kill) sees the old file or the
 * new one, never half of one: a sibling `.tmp` is written, then renamed over it. No fsync: a
 * killed process leaves its writes to the kernel, and only a power loss could cost the last
 * change of a demo. Owner-only, as the rest of the home dir: it tells who uses the gateway.
 */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  // A missing directory is an error, not created here: the CLI makes the home dir, and a temp
  // dir a test removed must stay removed.
  writeFileSync(tmp, text, { mode: 0o600 });
  // `mode` applies only to a new file: a `.tmp` left by a kill mid-write keeps its own.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export interface StateFileOptions {
  /** How the text reaches the file; tests count the calls. Default {@link writeAtomically}. */
  write?: (file: string, text: string) => void;
  /** A write that failed (disk full, permissions): the next change tries again. Default: thrown away after a warning. */
  onSaveError?: (err: unknown) => void;
  /** How long changes gather before one write. */
  delayMs?: number;
}

/**
 * Saves the accounts some time after they change: a burst of messages is one write, not one
 * per message; on the message path a send is only appended to a small log (see `sent`). What changed less than `delayMs`
 * before a SIGKILL is lost; `flush()`/`close()` write at once for a clean shutdown.
 */
export class StateFile {
  private dirty = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly write: (file: string, text: string) => void;
  private readonly onSaveError: (err: unknown) => void;
  private readonly delayMs: number;

  constructor(
    readonly file: string,
    private readonly accounts: ReadonlyMap<string, DemoAccount>,
    options: StateFileOptions = {},
  ) {
    this.write = options.write ?? writeAtomically;
    this.onSaveError =
      options.onSaveError ?? ((err) => process.emitWarning(`could not save ${file}: ${String(err)}`));
    this.delayMs = options.delayMs ?? 100;
  }

  /** Something in `accounts` changed: it is written within `delayMs`. */
  changed(): void {
    // After close() the file is final: a write now could recreate a home dir already removed.
    if (this.closed) return;
    this.dirty = true;
    // unref: a pending save keeps no process alive; whoever stops one cleanly calls close().
    this.timer ??= setTimeout(() => this.flush(), this.delayMs).unref();
  }

  /**
   * A send, on disk before this returns (appended to the log, see network-journal.ts); the state
   * file follows within `delayMs`.
   */
  sent(record: SendRecord): void {
    if (this.closed) return;
    try {
      appendSend(this.file, record);
    } catch (err) {
      this.onSaveError(err);
    }
    this.changed();
  }

  /** Writes now (synchronously) if anything changed since the last write. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.dirty) return;
    this.dirty = false;
    try {
      this.write(this.file, serializeState(this.accounts));
      dropSends(this.file);
    } catch (err) {
      this.dirty = true;
      this.onSaveError(err);
    }
  }

  /** The last write; later changes stay in memory. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
  }
}
