import { defineOptions, option, z } from "@gangway/core";

/** The demo gateway's own options: `--registration`, `GANGWAY_REGISTRATION`, config-file key `registration`. */
export const DEMO_OPTIONS = defineOptions({
  registration: option(
    z.enum(["single", "2fa", "qr"]).default("single"),
    "registration flow: single (one form), 2fa (then the code 123456) or qr (then a QR code the demo network scans after 2 s)",
  ),
});
