import { appendFileSync, readFileSync, unlinkSync } from "node:fs";
import type { DemoAccount, LoggedMessage } from "./network-account.js";

/**
 * The demo network's answer to "sent": a message the user sends is on disk before `sendMessage`
 * returns, as a real network's send resolves once its server has it. Rewriting the whole state
 * file per message costs milliseconds, so each send is appended as one line to `<state>.log`
 * (microseconds); the next full write of the state file (within 100 ms) removes the log. Reading
 * the state applies what the log still holds.
 */

/** One send, with what it changed in its account. */
export interface SendRecord {
  /** The account's username. */
  u: string;
  id: string;
  to: string;
  replyId?: string;
  /** The account's `nextId` after the send: a record whose send the state already has is skipped. */
  nextId: number;
  /** Echo's answer, logged with the message. */
  answer?: LoggedMessage;
}

export const sendLogOf = (stateFile: string) => `${stateFile}.log`;

/** Appends `record`; owner-only, as the state file. */
export function appendSend(stateFile: string, record: SendRecord): void {
  appendFileSync(sendLogOf(stateFile), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** The state file now holds every send: the log goes. */
export function dropSends(stateFile: string): void {
  try {
    unlinkSync(sendLogOf(stateFile));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/**
 * Applies the log's sends the state does not have yet (a kill before the full write). A line cut
 * short by the kill is skipped: its send had not returned.
 */
export function applySends(
  stateFile: string,
  accounts: Map<string, DemoAccount>,
  newAccount: () => DemoAccount,
  bounds: { sent: number; log: number },
): void {
  let text: string;
  try {
    text = readFileSync(sendLogOf(stateFile), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  for (const line of text.split("\n")) {
    const record = parseRecord(line);
    if (!record) continue;
    let account = accounts.get(record.u);
    if (!account) {
      account = newAccount();
      accounts.set(record.u, account);
    }
    if (record.nextId <= account.nextId) continue;
    account.nextId = record.nextId;
    account.sent.set(record.id, {
      to: record.to,
      ...(record.replyId !== undefined && { replyId: record.replyId }),
    });
    if (record.replyId !== undefined) account.echoReplies.set(record.replyId, record.id);
    if (record.answer) {
      account.log.push(record.answer);
      account.nextSeq = Math.max(account.nextSeq, record.answer.seq + 1);
    }
    while (account.sent.size > bounds.sent) {
      const [oldest, sent] = account.sent.entries().next().value!;
      account.sent.delete(oldest);
      if (sent.replyId !== undefined) account.echoReplies.delete(sent.replyId);
    }
    if (account.log.length > bounds.log) account.log.splice(0, account.log.length - bounds.log);
  }
}

function parseRecord(line: string): SendRecord | undefined {
  if (!line) return undefined;
  try {
    const record = JSON.parse(line) as SendRecord;
    const valid =
      typeof record.u === "string" &&
      typeof record.id === "string" &&
      typeof record.to === "string" &&
      Number.isSafeInteger(record.nextId);
    return valid ? record : undefined;
  } catch {
    return undefined;
  }
}
