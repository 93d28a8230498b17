import { chmodSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { type FakeGroup, type FakeProfile, INITIAL_PROFILES, initialFamily } from "./fake-world.js";

/**
 * The fake cloud's accounts and their file: what each account must remember across gateway
 * restarts (passed checkpoints, logins and session tokens, which of alice.fb's answers goes with
 * which message, the world as the account changed it). Message text and files are never kept.
 */

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
  /** Logins with credentials (email and password, or a cookie export); resuming a session is none. */
  logins: number;
  /** The session tokens the cloud still takes, oldest first. */
  sessions: string[];
  /** The friends' names and pictures, as this account sees them. */
  profiles: Map<string, FakeProfile>;
  family: FakeGroup;
}

/** Session tokens an account keeps (one per login; the oldest are forgotten). */
export const KEPT_SESSIONS = 10;

export function newAccount(): FakeAccount {
  return {
    trusted: false,
    nextId: 1,
    sent: new Map(),
    answered: new Map(),
    logins: 0,
    sessions: [],
    profiles: new Map(Object.entries(INITIAL_PROFILES).map(([id, p]) => [id, { ...p }])),
    family: initialFamily(),
  };
}

export class FakeCloudStateError extends Error {
  override readonly name = "FakeCloudStateError";

  constructor(file: string, why: string) {
    super(
      `Messenger fake cloud state ${file}: ${why} (move the file away to start with an empty fake cloud)`,
    );
  }
}

/** The format this release writes; it also reads version 1 (before sessions and the changeable world). */
const VERSION = 2;

/**
 * A reader sees the old file or the new one, never half of one: a sibling `.tmp` is written, then
 * renamed over it. Owner-only, as the rest of the home dir: it tells who uses the gateway.
 */
export function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600); // `mode` applies only to a new file: a `.tmp` left by a kill keeps its own
  renameSync(tmp, file);
}

export function serializeAccounts(accounts: ReadonlyMap<string, FakeAccount>): string {
  // fromEntries, not assignments: an email such as `__proto__` must stay a key.
  const out = Object.fromEntries(
    [...accounts].map(([email, account]) => [
      email,
      {
        trusted: account.trusted,
        nextId: account.nextId,
        sent: Object.fromEntries(account.sent),
        logins: account.logins,
        sessions: account.sessions,
        profiles: Object.fromEntries(account.profiles),
        family: account.family,
      },
    ]),
  );
  return JSON.stringify({ version: VERSION, accounts: out });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function readAccounts(file: string): Map<string, FakeAccount> {
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
  if (data.version !== VERSION && data.version !== 1)
    throw new FakeCloudStateError(
      file,
      `has format version ${String(data.version)}, this release reads 1 and ${VERSION}`,
    );
  const accounts = new Map<string, FakeAccount>();
  for (const [email, raw] of Object.entries(data.accounts)) {
    const account = parseAccount(raw);
    if (!account) throw new FakeCloudStateError(file, `an account is malformed`);
    accounts.set(email, account);
  }
  return accounts;
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === "string");

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

function parseAccount(raw: unknown): FakeAccount | undefined {
  if (!isRecord(raw) || typeof raw.trusted !== "boolean" || !isRecord(raw.sent)) return undefined;
  if (!isCount(raw.nextId) || raw.nextId < 1) return undefined;
  const account = newAccount();
  account.trusted = raw.trusted;
  account.nextId = raw.nextId;
  for (const [id, record] of Object.entries(raw.sent)) {
    if (!isRecord(record) || typeof record.threadId !== "string") return undefined;
    if (record.answerId !== undefined && typeof record.answerId !== "string") return undefined;
    const answerId = record.answerId as string | undefined;
    account.sent.set(id, { threadId: record.threadId, ...(answerId !== undefined && { answerId }) });
    if (answerId !== undefined) account.answered.set(answerId, id);
  }
  // Version 1 has none of what follows: an account from it starts with the initial world.
  if (raw.logins !== undefined) {
    if (!isCount(raw.logins) || !isStringArray(raw.sessions) || !isRecord(raw.profiles)) return undefined;
    account.logins = raw.logins;
    account.sessions = raw.sessions.slice(-KEPT_SESSIONS);
    for (const [id, profile] of Object.entries(raw.profiles)) {
      if (!isRecord(profile) || typeof profile.name !== "string" || !isCount(profile.picture))
        return undefined;
      account.profiles.set(id, { name: profile.name, picture: profile.picture });
    }
    const family = raw.family;
    if (
      !isRecord(family) ||
      typeof family.name !== "string" ||
      !isStringArray(family.participantIds) ||
      !isStringArray(family.adminIds) ||
      !isCount(family.picture)
    )
      return undefined;
    account.family = {
      name: family.name,
      participantIds: family.participantIds,
      adminIds: family.adminIds,
      picture: family.picture,
    };
  }
  return account;
}
