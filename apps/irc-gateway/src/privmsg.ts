import type { Client } from "irc-framework";
import { xmppToIrc } from "./formatting.js";
import { batchWrites } from "./irc-connection.js";
import { ircPayloadBudget, splitForIrc } from "./split.js";

/** A worst-case host part of our own prefix before the server told us ours (RFC 1123). */
const UNKNOWN_HOST = "x".repeat(63);

/**
 * Sends an XMPP body to `target` (a nick or a channel) as PRIVMSGs: IRC formatting from
 * XEP-0393, `/me` as a CTCP ACTION, lines split to what the server relays with our prefix in
 * front (split.ts). The lines already fit, so they go out raw, skipping irc-framework's own
 * splitting, and what this turn of the event loop writes leaves in one socket write.
 */
export function sendPrivmsgs(client: Client, target: string, body: string): void {
  const action = body.startsWith("/me ");
  const text = xmppToIrc(action ? body.slice(4) : body);
  const maxBytes = ircPayloadBudget({
    nick: client.user.nick,
    user: client.user.username,
    host: client.user.host || UNKNOWN_HOST,
    target,
    command: "PRIVMSG",
    action,
  });
  batchWrites(client);
  for (const line of splitForIrc(text, { maxBytes })) {
    client.raw("PRIVMSG", target, action ? `\x01ACTION ${line}\x01` : line);
  }
}
