import { XmppError } from "@gangway/core";
import { Client, type ClientOptions, type IrcErrorEvent, type SaslFailedEvent } from "irc-framework";
import { alternativeNicks } from "./nicks.js";
import type { IrcAccount } from "./registration-fields.js";

/** How long a connection may take to be registered on the IRC server before we give up. */
const REGISTRATION_TIMEOUT_MS = 20_000;

export interface IrcConnectOptions {
  account: IrcAccount;
  /** CTCP VERSION answer. */
  version: string;
  /** IRCv3 capabilities to ask for on top of the library's own (message-tags, server-time…). */
  capabilities?: readonly string[];
  timeoutMs?: number;
}

function describeSocketError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * Connects an irc-framework client and resolves once the server registered it (RPL_WELCOME), or
 * rejects with the XmppError a user understands: a refused password is `not-authorized`, an
 * unreachable server `remote-server-not-found`, silence `remote-server-timeout`. A nick already
 * in use is replaced by the next alternative (romeo → romeo_ → …) until one is free.
 */
export function connectIrc(options: IrcConnectOptions): Promise<Client> {
  const { account } = options;
  const client = new Client();
  const clientOptions: ClientOptions = {
    host: account.host,
    port: account.port,
    tls: account.tls,
    nick: account.nickname,
    username: account.nickname.replace(/[^A-Za-z0-9_-]/g, "").slice(0, 10) || "gangway",
    gecos: account.nickname,
    version: options.version,
    // Reconnections are ours (IrcSession): the library only retries connections that lived 5 s.
    auto_reconnect: false,
    // Our own splitting (split.ts) already keeps each line within what the server relays.
    message_max_length: 510,
    ...(account.password ? { password: account.password } : {}),
  };
  if (options.capabilities?.length) client.requestCap([...options.capabilities]);
  const spare = alternativeNicks(account.nickname, { maxLength: 30 });
  const where = `${account.host}:${account.port}`;

  return new Promise((resolve, reject) => {
    let lastError: string | undefined;
    let settled = false;
    const finish = (error?: XmppError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.off("registered", onRegistered);
      client.off("close", onClose);
      client.off("socket close", onSocketClose);
      client.off("irc error", onIrcError);
      client.off("nick in use", onNickInUse);
      client.off("sasl failed", onSaslFailed);
      if (error) {
        client.quit();
        client.removeAllListeners();
        reject(error);
      } else {
        resolve(client);
      }
    };
    const refused = (text: string) => new XmppError("not-authorized", text);
    const onRegistered = () => finish();
    const onIrcError = (event: IrcErrorEvent) => {
      if (event.error === "password_mismatch") finish(refused("The IRC server refused the password."));
      else if (event.error === "banned_from_network")
        finish(refused(`The IRC server refused the connection: ${event.reason ?? "banned"}.`));
      // ngIRCd refuses a wrong server password with an ERROR line ("Bad password?") and no numeric.
      else lastError = event.reason ?? event.error;
    };
    // A server without SASL (ngIRCd) makes the library report `capability_missing`: the
    // password then still goes out as the server password, so only real refusals count.
    const onSaslFailed = (event: SaslFailedEvent) => {
      if (event.reason !== "capability_missing" && event.reason !== "unsupported_mechanism") {
        finish(refused(`SASL authentication failed${event.message ? `: ${event.message}` : ""}.`));
      }
    };
    const onNickInUse = () => {
      const next = spare.shift();
      if (next) client.changeNick(next);
      else finish(new XmppError("conflict", `Every nickname we tried is in use on ${where}.`));
    };
    const onSocketClose = (error: Error | false) => {
      if (error) lastError = describeSocketError(error);
    };
    const onClose = () => {
      const reason = lastError ?? "the connection closed";
      if (/password/i.test(reason)) finish(refused(`The IRC server refused the password (${reason}).`));
      else if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|EAI_AGAIN/.test(reason)) {
        finish(new XmppError("remote-server-not-found", `Could not connect to ${where}: ${reason}`));
      } else finish(new XmppError("service-unavailable", `The IRC server closed the connection: ${reason}`));
    };
    const timer = setTimeout(
      () => finish(new XmppError("remote-server-timeout", `No answer from ${where} in time.`)),
      options.timeoutMs ?? REGISTRATION_TIMEOUT_MS,
    );
    client.on("registered", onRegistered);
    client.on("irc error", onIrcError);
    client.on("sasl failed", onSaslFailed);
    client.on("nick in use", onNickInUse);
    client.on("socket close", onSocketClose);
    client.on("close", onClose);
    client.connect(clientOptions);
  });
}

/** What irc-framework keeps of its socket (connection.js, transports/net.js): not in its API. */
interface ClientInternals {
  connection?: { transport?: { socket?: import("node:net").Socket | null } };
}

const corked = new WeakSet<object>();

/**
 * Holds the client's socket writes until this turn of the event loop has handled its I/O
 * (setImmediate: the check phase right after it), so the lines written meanwhile — a long
 * message's several PRIVMSGs, a burst of the user's messages read in one go — leave in one write
 * instead of one system call each. A no-op when the socket is not reachable.
 */
export function batchWrites(client: Client): void {
  const socket = (client as unknown as ClientInternals).connection?.transport?.socket;
  if (!socket || corked.has(socket)) return;
  corked.add(socket);
  socket.cork();
  setImmediate(() => {
    corked.delete(socket);
    socket.uncork();
  });
}
