import { XmppError } from "@gangway/xmpp";
import { describe, expect, it } from "vitest";
import { QR_TIMEOUT_TEXT, QrConfirmations } from "./qr-confirmations.js";

describe("QrConfirmations", () => {
  it("keeps a scan confirmed before anyone waits, and hands over the app's legacy data", async () => {
    const qr = new QrConfirmations(1000);
    qr.expect("a@x.org");
    expect(qr.confirm("a@x.org", undefined, { device: "d1" })).toBe(true);
    await expect(qr.wait("a@x.org")).resolves.toEqual({ device: "d1" });
    expect(qr.isWaiting("a@x.org")).toBe(false);
    expect(qr.confirm("a@x.org")).toBe(false);
    await expect(qr.wait("a@x.org")).rejects.toMatchObject({ condition: "bad-request" });
  });

  it("times out with remote-server-timeout, counted from when the code was shown", async () => {
    const qr = new QrConfirmations(30);
    qr.expect("a@x.org");
    await new Promise((resolve) => setTimeout(resolve, 60));
    // Timed out before the user clicked "next": they still learn why.
    expect(qr.isWaiting("a@x.org")).toBe(false);
    expect(qr.confirm("a@x.org")).toBe(false);
    await expect(qr.wait("a@x.org")).rejects.toMatchObject({ condition: "remote-server-timeout" });
    qr.expect("b@x.org");
    const waiting = qr.wait("b@x.org");
    await expect(waiting).rejects.toMatchObject({
      condition: "remote-server-timeout",
      text: QR_TIMEOUT_TEXT,
    });
  });

  it("turns the app's error into what the user sees, and a new code replaces the old wait", async () => {
    const qr = new QrConfirmations(1000);
    qr.expect("a@x.org");
    const first = qr.wait("a@x.org");
    qr.expect("a@x.org");
    await expect(first).rejects.toMatchObject({ condition: "conflict" });
    const second = qr.wait("a@x.org");
    qr.confirm("a@x.org", new Error("This phone is linked to another account"));
    await expect(second).rejects.toMatchObject({
      condition: "not-authorized",
      text: "This phone is linked to another account",
    });
    qr.expect("a@x.org");
    const third = qr.wait("a@x.org");
    qr.confirm("a@x.org", new XmppError("not-allowed", "Banned"));
    await expect(third).rejects.toMatchObject({ condition: "not-allowed", text: "Banned" });
    qr.expect("a@x.org");
    const fourth = qr.wait("a@x.org");
    qr.cancel("a@x.org");
    await expect(fourth).rejects.toMatchObject({ condition: "bad-request" });
  });
});
