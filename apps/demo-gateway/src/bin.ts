#!/usr/bin/env node
import { runGateway } from "@gangway/core";
import { DemoGateway } from "./gateway.js";

await runGateway(DemoGateway, {
  appName: "demo",
  description: "Gangway demo gateway: an in-process demo network with echo, alice and bob",
});
