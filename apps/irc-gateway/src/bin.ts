#!/usr/bin/env node
import { runGateway } from "@gangway/core";
import { IrcGateway, VERSION } from "./gateway.js";

await runGateway(IrcGateway, {
  appName: "irc",
  command: "gangway-irc",
  version: VERSION,
  description: "Gangway IRC gateway: IRC users as XMPP contacts, private messages both ways",
});
