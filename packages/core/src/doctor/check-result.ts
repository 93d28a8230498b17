/** One line of the doctor's report. */
export type CheckStatus = "ok" | "missing" | "unknown";

export interface CheckResult {
  /** What was checked, e.g. "XEP-0356 roster privilege". */
  name: string;
  /** `unknown`: the server would not say; not counted as missing. */
  status: CheckStatus;
  /** What the doctor found, e.g. "both" or "not granted". */
  found: string;
  /** What the gateway does without it (not for `ok`). */
  degrades?: string;
  /** The configuration that fixes it (not for `ok`). */
  fix?: string;
}
