import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { XmppServerAddress } from "@gangway/testing";

/**
 * slixmpp's MUC plugin driven from a test (scripts/irc_muc_client.py): commands go in as JSON
 * lines, every room event comes back as one; `waitFor` finds an event among those not consumed.
 */

const SCRIPT = fileURLToPath(new URL("../scripts/irc_muc_client.py", import.meta.url));

export interface MucOccupant {
  nick: string;
  role: string | null;
  affiliation: string | null;
}

export type MucEvent =
  | { event: "ready" | "closed" }
  | {
      event: "joined";
      room: string;
      self_nick: string;
      self_codes: number[];
      subject: string | null;
      occupants: MucOccupant[];
    }
  | { event: "join-error"; room: string; error: string }
  | { event: "message"; from: string; id: string; body: string }
  | { event: "subject"; from: string; subject: string }
  | {
      event: "presence";
      from: string;
      type: string;
      codes: number[];
      role: string | null;
      affiliation: string | null;
      new_nick: string | null;
      reason: string | null;
    };

export class InteractiveMucClient {
  private readonly unconsumed: MucEvent[] = [];
  private readonly waiters = new Set<() => boolean>();
  private stderr = "";
  private readonly exited: Promise<void>;

  private constructor(private readonly child: ChildProcess) {
    let buffered = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline = buffered.indexOf("\n");
      while (newline >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) this.unconsumed.push(JSON.parse(line) as MucEvent);
        newline = buffered.indexOf("\n");
      }
      for (const waiter of [...this.waiters]) waiter();
    });
    child.stderr!.on("data", (chunk: Buffer) => {
      this.stderr += chunk.toString("utf8");
    });
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  /** Logs in as `jid` (an existing account) and resolves once it is online. */
  static async start(
    server: XmppServerAddress,
    jid: string,
    password: string,
  ): Promise<InteractiveMucClient> {
    const argv = [SCRIPT, "--jid", jid, "--password", password, "--host", server.host ?? "127.0.0.1"];
    argv.push("--port", String(server.c2sPort));
    const child = spawn("/usr/bin/python3", argv, { stdio: ["pipe", "pipe", "pipe"] });
    const client = new InteractiveMucClient(child);
    await client.waitFor((e) => e.event === "ready", 20_000);
    return client;
  }

  send(command: Record<string, string>): void {
    this.child.stdin!.write(`${JSON.stringify(command)}\n`);
  }

  /** The oldest event not consumed yet that matches, waiting up to `timeoutMs` for it. */
  waitFor<E extends MucEvent>(predicate: (event: MucEvent) => event is E, timeoutMs?: number): Promise<E>;
  waitFor(predicate: (event: MucEvent) => boolean, timeoutMs?: number): Promise<MucEvent>;
  waitFor(predicate: (event: MucEvent) => boolean, timeoutMs = 10_000): Promise<MucEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.unconsumed.findIndex(predicate);
        if (index < 0) return false;
        const [found] = this.unconsumed.splice(index, 1);
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found!);
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `no matching MUC event within ${timeoutMs} ms: ${predicate.toString()}\n` +
              `unconsumed: ${JSON.stringify(this.unconsumed)}\nstderr: ${this.stderr}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.waiters.add(check);
    });
  }

  /** Disconnects; SIGKILLs its own process after 5 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.write(`${JSON.stringify({ cmd: "quit" })}\n`);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
