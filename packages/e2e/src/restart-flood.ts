import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ProsodyServer } from "@gangway/testing";

/**
 * Drives scripts/restart_flood.py: a slixmpp client writing to one contact at a steady rate,
 * reconnecting by itself whenever the server drops it, that knows from XEP-0198 acks which of its
 * messages reached the server. `classify()` turns its records into what server-restart.test.ts
 * counts.
 */

const SCRIPT = fileURLToPath(new URL("../scripts/restart_flood.py", import.meta.url));
/** Debian's python3 sees python3-slixmpp; a pyenv one earlier on PATH would not (as in @gangway/testing). */
const PYTHON = process.env.GANGWAY_SLIXMPP_PYTHON ?? "/usr/bin/python3";

export interface FloodError {
  condition: string | null;
  type: string | null;
  text: string | null;
  from: string;
}

/** One tick of the sender: a message `flood <n>` with id `f-<n>`, or a tick skipped while offline. */
export interface FloodRecord {
  n: number;
  id: string;
  /** When it was sent (or skipped), ms since the script started. */
  ms: number;
  /** The client session it was written on; null: the client had no session, nothing was sent. */
  session: number | null;
  /** The server acknowledged it (XEP-0198): it reached the server. */
  acked: boolean;
  /** How many `echo: flood <n>` came back. */
  echoes: number;
  echo_ms: number | null;
  /** Error replies carrying its id. */
  errors: FloodError[];
  /** A XEP-0184 receipt for it came back. */
  receipt: boolean;
}

export interface FloodResult {
  records: FloodRecord[];
  sessions: Array<{ session: number; start_ms: number; end_ms: number | null }>;
  /** Messages that matched no record, as XML (at most 50). */
  other: string[];
}

export interface FloodOptions {
  server: ProsodyServer;
  /** A full JID: the resource stays the same across reconnects. */
  jid: string;
  password: string;
  to: string;
  /** Messages per second. */
  rate: number;
  /** Seconds to wait after `stop()` for the answers still owed. */
  tailSeconds: number;
}

export class FloodClient {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #events: Array<{ event: string; ms: number; [key: string]: unknown }> = [];
  readonly #listeners = new Set<() => void>();
  readonly #closed: Promise<number | null>;
  #stdout = "";
  #stderr = "";

  constructor(options: FloodOptions) {
    const args = [
      SCRIPT,
      ...["--jid", options.jid, "--password", options.password],
      ...["--host", options.server.host, "--port", String(options.server.c2sPort)],
      ...["--to", options.to, "--rate", String(options.rate), "--tail", String(options.tailSeconds)],
    ];
    this.#child = spawn(PYTHON, args, { stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stdout += chunk;
      const lines = this.#stdout.split("\n");
      this.#stdout = lines.pop() ?? "";
      for (const line of lines) if (line.startsWith("{")) this.#events.push(JSON.parse(line));
      for (const listener of this.#listeners) listener();
    });
    this.#child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      this.#stderr += chunk;
    });
    this.#closed = new Promise((resolve) => this.#child.once("close", (code) => resolve(code)));
    void this.#closed.then(() => {
      for (const listener of this.#listeners) listener();
    });
  }

  get events(): ReadonlyArray<{ event: string; ms: number; [key: string]: unknown }> {
    return this.#events;
  }

  /** Resolves with the first event named `name` (one from before the call counts). */
  waitFor(name: string, timeoutMs: number): Promise<{ event: string; ms: number; [key: string]: unknown }> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = this.#events.find((event) => event.event === name);
        if (found) {
          done();
          resolve(found);
        } else if (this.#child.exitCode !== null) {
          done();
          reject(new Error(`the flood client exited before "${name}":\n${this.#stderr}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no "${name}" from the flood client in ${timeoutMs} ms:\n${this.#stderr}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.#listeners.delete(check);
      };
      this.#listeners.add(check);
      check();
    });
  }

  /** Stops the sending; resolves with the result once the owed answers came (or the tail ran out). */
  async stop(timeoutMs: number): Promise<FloodResult> {
    this.#child.stdin.end("stop\n");
    const result = await this.waitFor("result", timeoutMs);
    return result as unknown as FloodResult;
  }

  /** Ends the script (by its PID) if it still runs. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill("SIGKILL");
    await this.#closed;
  }
}

/** What became of each message, from the gateway's point of view. */
export interface FloodCounts {
  /** Ticks of the sender. */
  ticks: number;
  /** Ticks that fell while the client had no session: never sent. */
  notSent: number;
  /** Written to a client stream. */
  sent: number;
  /** Acknowledged by the server (XEP-0198). */
  acked: number;
  /** Answered by echo (at least once). */
  echoed: number;
  /** Echoed more than once. */
  duplicated: number;
  /** Answered with an error (and no echo), by condition. */
  bounced: Record<string, number>;
  /** Written to a stream that died before the server's ack, and never answered: lost on the client's side. */
  unackedUnanswered: number;
  /** Acknowledged by the server, yet neither echoed nor answered with an error: lost in silence. */
  silent: FloodRecord[];
  /** Messages answered with an error that has no text (an echoed one included). */
  bouncedWithoutText: FloodRecord[];
  /** With a receipt. */
  receipts: number;
}

/** What became of each message the script recorded. */
export function classify(records: readonly FloodRecord[]): FloodCounts {
  const counts: FloodCounts = {
    ticks: records.length,
    notSent: 0,
    sent: 0,
    acked: 0,
    echoed: 0,
    duplicated: 0,
    bounced: {},
    unackedUnanswered: 0,
    silent: [],
    bouncedWithoutText: [],
    receipts: 0,
  };
  for (const record of records) {
    if (record.session === null) {
      counts.notSent++;
      continue;
    }
    counts.sent++;
    if (record.acked) counts.acked++;
    if (record.receipt) counts.receipts++;
    if (!record.errors.every((error) => error.text?.trim())) counts.bouncedWithoutText.push(record);
    if (record.echoes > 0) {
      counts.echoed++;
      if (record.echoes > 1) counts.duplicated++;
    } else if (record.errors.length > 0) {
      const condition = record.errors[0]!.condition ?? "(none)";
      counts.bounced[condition] = (counts.bounced[condition] ?? 0) + 1;
    } else if (record.acked) {
      counts.silent.push(record);
    } else {
      counts.unackedUnanswered++;
    }
  }
  return counts;
}
