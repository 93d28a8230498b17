import type { CheckResult, CheckStatus } from "./check-result.js";

const MARKS: Record<CheckStatus, string> = { ok: "✓", missing: "✗", unknown: "?" };

/** One check as one line: mark, name, what was found, and when not ok what it costs and the fix. */
export function renderCheck(result: CheckResult): string {
  const line = `${MARKS[result.status]} ${result.name}: ${result.found}`;
  if (result.status === "ok") return line;
  const lead = result.status === "missing" ? "without it" : "if it is missing";
  const degrades = result.degrades ? ` — ${lead}, ${result.degrades}` : "";
  const fix = result.fix ? `. Fix: ${result.fix}` : "";
  return `${line}${degrades}${fix}`;
}

/** The doctor's plain-text report: a heading, a line per check, and a count of what is missing. */
export function renderReport(gateway: string, results: readonly CheckResult[]): string {
  const missing = results.filter((r) => r.status === "missing").length;
  const unknown = results.filter((r) => r.status === "unknown").length;
  const summary =
    missing === 0
      ? `Everything the gateway uses is granted${unknown > 0 ? ` (${unknown} check(s) could not tell)` : ""}.`
      : `${missing} of ${results.length} checks found something missing.`;
  return [`Gangway doctor for ${gateway}`, ...results.map(renderCheck), summary].join("\n");
}
