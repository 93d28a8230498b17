import { StoreUnavailableError } from "@gangway/store";
import { XmppError } from "@gangway/xmpp";

/** The error reply to a user's message the gateway could not pass on because its database is down. */
export const MESSAGE_NOT_SENT_TEXT =
  "The gateway's database is unavailable right now; your message was not sent. Try again in a minute.";

/**
 * What the sender of a message is told when handling it failed before it reached the legacy
 * network: if the database was unreachable (past the store's retries), that the message was not
 * sent and to try again (`service-unavailable`, type wait); anything else is returned as it is.
 */
export function messageNotSent(error: unknown): unknown {
  if (!(error instanceof StoreUnavailableError)) return error;
  return new XmppError("service-unavailable", MESSAGE_NOT_SENT_TEXT, { type: "wait", cause: error });
}
