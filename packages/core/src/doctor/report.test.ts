import { describe, expect, it } from "vitest";
import type { CheckResult } from "./check-result.js";
import { allGranted } from "./checks.js";
import { renderCheck, renderReport } from "./report.js";

const ok: CheckResult = { name: "XEP-0356 roster privilege", status: "ok", found: "both" };
const missing: CheckResult = {
  name: "XEP-0356 message privilege",
  status: "missing",
  found: "not granted",
  degrades: "the user's own messages show from the contact",
  fix: 'Prosody: message = "outgoing"',
};
const unknown: CheckResult = {
  name: "MAM (XEP-0313) for users",
  status: "unknown",
  found: "no account answered",
  degrades: "clients miss messages",
  fix: 'Prosody: modules_enabled = { "mam" }',
};

describe("doctor report", () => {
  it("renders a granted check as one line with its finding only", () => {
    expect(renderCheck(ok)).toBe("✓ XEP-0356 roster privilege: both");
  });

  it("renders a missing check with what it degrades and the fix, on one line", () => {
    const line = renderCheck(missing);
    expect(line).toBe(
      "✗ XEP-0356 message privilege: not granted — without it, the user's own messages show from the contact. " +
        'Fix: Prosody: message = "outgoing"',
    );
    expect(line).not.toContain("\n");
    expect(
      renderCheck(unknown).startsWith(
        "? MAM (XEP-0313) for users: no account answered — if it is missing, clients miss messages",
      ),
    ).toBe(true);
  });

  it("sums up: missing checks are counted, unknown ones are not failures", () => {
    const report = renderReport("gw.example.org", [ok, missing, unknown]);
    expect(report.split("\n")).toEqual([
      "Gangway doctor for gw.example.org",
      renderCheck(ok),
      renderCheck(missing),
      renderCheck(unknown),
      "1 of 3 checks found something missing.",
    ]);
    expect(allGranted([ok, missing, unknown])).toBe(false);
    expect(allGranted([ok, unknown])).toBe(true);
    expect(renderReport("gw.example.org", [ok, unknown]).split("\n").at(-1)).toBe(
      "Everything the gateway uses is granted (1 check(s) could not tell).",
    );
    expect(renderReport("gw.example.org", [ok]).split("\n").at(-1)).toBe(
      "Everything the gateway uses is granted.",
    );
  });
});
