import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import type { ProsodyServer } from "@gangway/testing";
import { runJsonScript } from "./python-script.js";

/** What files.test.ts and files.bench.ts share: the slixmpp file client, test files, RSS samples. */

const SCRIPT = fileURLToPath(new URL("../scripts/file_client.py", import.meta.url));

/** One step of scripts/file_client.py (see its docstring). */
export type FileStep = {
  to: string;
  expect: "file" | "error" | "text";
  caption?: boolean;
  /** With expect "file": this many file messages (an album), each downloaded. */
  files?: number;
  declare_type?: string;
} & ({ upload: string; type: string } | { url: string } | { say: string });

export interface FileStepResult {
  sent_url: string | null;
  seconds: number;
  upload_seconds?: number;
  download_seconds?: number;
  seconds_to_message?: number;
  body?: string;
  oob?: string;
  sfs?: {
    name: string | null;
    media_type: string | null;
    size: string | null;
    width: string | null;
    hash: string | null;
    source: string | null;
  } | null;
  sha256?: string;
  size?: number;
  /** The download's response headers, lower-case names. */
  headers?: Record<string, string>;
  album?: Array<{
    body: string;
    sfs: FileStepResult["sfs"];
    sha256: string;
    size: number;
    headers: Record<string, string>;
  }>;
  caption?: string;
  error?: { condition: string | null; text: string | null };
}

export interface FileRun {
  ok: boolean;
  error?: string;
  steps: FileStepResult[];
  stderr: string;
}

export function runFileClient(
  server: ProsodyServer,
  jid: string,
  password: string,
  steps: FileStep[],
  timeoutS = 120,
): Promise<FileRun> {
  const argv = ["--host", "127.0.0.1", "--port", String(server.c2sPort), "--jid", `${jid}/files`];
  argv.push("--password", password, "--steps", JSON.stringify(steps), "--timeout", String(timeoutS));
  argv.push("--upload-service", server.uploadDomain ?? "");
  return runJsonScript<Omit<FileRun, "stderr">>(SCRIPT, argv, {
    timeoutMs: (timeoutS + 30) * 1000,
    what: "file client",
  });
}

/** Writes `size` pseudo-random bytes to `path` a MiB at a time; resolves with their SHA-256 (base64). */
export async function madeUpFile(path: string, size: number): Promise<string> {
  const file = await open(path, "w");
  const hash = createHash("sha256");
  try {
    let seed = 0x9e3779b9;
    for (let written = 0; written < size; ) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, size - written));
      for (let i = 0; i < chunk.length; i += 4) {
        seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
        chunk.writeUInt32LE(seed, i);
      }
      hash.update(chunk);
      await file.write(chunk);
      written += chunk.length;
    }
  } finally {
    await file.close();
  }
  return hash.digest("base64");
}

/** A port that was free a moment ago (nothing listens on it afterwards). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RssSampler {
  stop(): { beforeMiB: number; peakMiB: number; addedMiB: number; samples: number };
}

/** The resident set of process `pid` (Linux /proc), in KiB. */
function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
}

/** Samples `pid`'s RSS every `everyMs` from now until `stop()`. */
export function sampleRss(pid: number, everyMs = 50): RssSampler {
  const before = rssKiB(pid);
  let peak = before;
  let samples = 1;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssKiB(pid));
      samples++;
    } catch {
      // The process exited: the test reports that itself.
    }
  }, everyMs);
  const mib = (kib: number) => Math.round((kib / 1024) * 10) / 10;
  return {
    stop() {
      clearInterval(timer);
      return { beforeMiB: mib(before), peakMiB: mib(peak), addedMiB: mib(peak - before), samples };
    },
  };
}
