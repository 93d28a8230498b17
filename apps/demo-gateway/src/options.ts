import { defineOptions, option, RegistrationType, z } from "@gangway/core";

/** The demo gateway's own options: a flag, a `GANGWAY_*` env var and a config-file key each. */
export const DEMO_OPTIONS = defineOptions({
  registration: option(
    z.enum(["single", "2fa", "qr"]).default("single"),
    "registration flow: single (one form), 2fa (then the code 123456) or qr (then a QR code the demo network scans after 2 s)",
  ),
  "login-delay": option(
    z.coerce.number<string>().min(0).max(60).default(0),
    "seconds the demo network takes to log a user in, as real networks take a while",
  ),
});

/** What `--registration` means: the registration flow the gateway runs. */
export const REGISTRATION_TYPES = {
  single: RegistrationType.SingleStepForm,
  "2fa": RegistrationType.TwoFactorCode,
  qr: RegistrationType.QrCode,
} as const;
