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
      description: "registration flow: single (one form) or 2fa (then the code 123456); qr comes later",
      choices: ["single", "2fa"],
      default: "single",
    },
  ],
});
