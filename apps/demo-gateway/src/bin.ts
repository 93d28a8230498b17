#!/usr/bin/env node
import { runGateway } from "@gangway/core";
import { DemoGateway } from "./gateway.js";

await runGateway(DemoGateway, {
  appName: "demo",
  command: "gangway-demo",
  description: "Gangway demo gateway: an in-process demo network with echo, alice and bob",
  appOptions: [
    {
      name: "registration",
      description:
        "registration flow: single (one form), 2fa (then the code 123456) or qr (then a QR code the demo network scans after 2 s)",
      choices: ["single", "2fa", "qr"],
      default: "single",
    },
  ],
});
