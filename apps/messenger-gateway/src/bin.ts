#!/usr/bin/env node
import { runGateway } from "@gangway/core";
import { MessengerGateway } from "./gateway.js";

await runGateway(MessengerGateway, {
  appName: "messenger",
  description: "Gangway Messenger gateway: Facebook Messenger friends and chats in XMPP",
});
