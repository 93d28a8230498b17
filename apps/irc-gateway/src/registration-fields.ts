import { type FormField, type FormValues, XmppError } from "@gangway/core";
import { DEFAULT_TLS_PORT, type IrcServer, isValidHost, parsePort } from "./config.js";
import { nickProblem } from "./nicks.js";

export const PASSWORD_LABEL = "Password (SASL PLAIN, or server password)";

/** The registration form when users pick their IRC server themselves. */
export const IRC_REGISTRATION_FIELDS: readonly FormField[] = [
  { var: "server", type: "text-single", label: "IRC server", required: true },
  { var: "port", type: "text-single", label: "Port", value: String(DEFAULT_TLS_PORT) },
  { var: "tls", type: "boolean", label: "Use TLS", value: true },
  { var: "nickname", type: "text-single", label: "Nickname", required: true },
  // Optional: many servers need no password at all.
  { var: "password", type: "text-private", label: PASSWORD_LABEL },
];

const SERVER_FIELDS: ReadonlySet<string> = new Set(["server", "port", "tls"]);

/**
 * The registration fields: all of them, or without `server`/`port`/`tls` when the operator
 * pinned the server with `--irc-server` (users then only give their nickname and password).
 */
export function registrationFields(pinned?: IrcServer): readonly FormField[] {
  return pinned
    ? IRC_REGISTRATION_FIELDS.filter((field) => !SERVER_FIELDS.has(field.var))
    : IRC_REGISTRATION_FIELDS;
}

/** A registered user's IRC connection settings. */
export interface IrcAccount extends IrcServer {
  nickname: string;
  /** Absent when the user left it empty. */
  password: string | undefined;
}

/**
 * The connection settings from a submitted (already `validateSubmission`-checked) form, the
 * server coming from `pinned` when there is one. Throws `XmppError("not-acceptable")` naming
 * every bad field, so the user sees all problems at once, like the form validation does.
 */
export function ircAccountFromForm(values: FormValues, pinned?: IrcServer): IrcAccount {
  const problems: string[] = [];
  const text = (name: string) => (typeof values[name] === "string" ? (values[name] as string).trim() : "");

  let server: IrcServer | undefined = pinned;
  if (!pinned) {
    // People paste IPv6 addresses with the brackets they are used to in URLs.
    const host = text("server").replace(/^\[(.*)\]$/, "$1");
    const portText = text("port") || String(DEFAULT_TLS_PORT);
    const port = parsePort(portText);
    if (!isValidHost(host))
      problems.push(`IRC server ${JSON.stringify(host)} is not a host name or IP address`);
    if (port === undefined) problems.push(`Port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
    const tls = values.tls === undefined ? true : values.tls === true;
    if (port !== undefined) server = { host, port, tls };
  }

  const nickname = text("nickname");
  const problem = nickProblem(nickname);
  if (problem) problems.push(`Nickname ${JSON.stringify(nickname)} cannot be an IRC nick: ${problem}`);

  if (problems.length > 0 || !server) throw new XmppError("not-acceptable", `${problems.join("; ")}.`);
  // Passwords are taken as typed: spaces can be part of one.
  const password =
    typeof values.password === "string" && values.password !== "" ? values.password : undefined;
  return { ...server, nickname, password };
}
