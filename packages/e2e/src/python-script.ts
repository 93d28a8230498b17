import { spawn } from "node:child_process";

/**
 * Runs one of the test clients in ../scripts (Debian's /usr/bin/python3 with slixmpp) and
 * resolves with the JSON object it prints as its last stdout line, plus its stderr for failure
 * messages. Killed after `timeoutMs`; a run that printed no JSON rejects, saying whose it was.
 */
export function runJsonScript<R extends object>(
  script: string,
  argv: readonly string[],
  options: { timeoutMs: number; what: string },
): Promise<R & { stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/python3", [script, ...argv], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.on("error", reject);
    child.on("close", () => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolve({ ...(JSON.parse(line) as R), stderr });
      } catch {
        reject(new Error(`no result from the ${options.what}: ${stdout}\n${stderr}`));
      }
    });
  });
}
