import { bench, describe } from "vitest";
import { renderQrPng, renderQrText } from "./qr.js";

/** QR rendering cost per code shown: `pnpm --filter @gangway/registration bench`. */
const SHORT = "gangway-demo:romeo";
// About the size of a WhatsApp-style pairing token (ref, keys, device id, base64).
const PAIRING = `2@${"x".repeat(60)},${"k".repeat(44)},${"i".repeat(44)},${"a".repeat(24)}`;

describe("QR rendering", () => {
  bench("PNG, short text", async () => {
    await renderQrPng(SHORT);
  });
  bench("PNG, pairing-token size (~180 bytes)", async () => {
    await renderQrPng(PAIRING);
  });
  bench("UTF-8 text, pairing-token size", async () => {
    await renderQrText(PAIRING);
  });
});
