import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./markdown.js";
import { Child } from "./processes.js";

/** One JSON log line of a gateway (pino). */
export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** The demo gateway's real executable, as an operator runs it, on a home dir of its own. */
export class GatewayProcess {
  private constructor(
    readonly child: Child,
    readonly homeDir: string,
  ) {}

  static async start(options: { jid: string; secret: string; port: number }): Promise<GatewayProcess> {
    const homeDir = await mkdtemp(join(tmpdir(), "gangway-docs-gateway-"));
    const child = new Child(
      process.execPath,
      [
        join(REPO_ROOT, "apps/demo-gateway/dist/bin.js"),
        "--jid",
        options.jid,
        "--secret",
        options.secret,
        "--server",
        "127.0.0.1",
        "--port",
        String(options.port),
        "--home-dir",
        homeDir,
      ],
      // The operator's environment must not leak GANGWAY_* settings into the test.
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
    );
    return new GatewayProcess(child, homeDir);
  }

  logLines(): LogLine[] {
    return this.child.output
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as LogLine);
  }

  /** Waits for the first log line with this message. */
  async logged(msg: string, timeoutMs = 30_000): Promise<LogLine> {
    await this.child.waitFor(
      `the gateway to log "${msg}"`,
      () => this.logLines().some((l) => l.msg === msg),
      timeoutMs,
    );
    return this.logLines().find((l) => l.msg === msg)!;
  }

  async stop(): Promise<void> {
    await this.child.stop();
    await rm(this.homeDir, { recursive: true, force: true });
  }
}
