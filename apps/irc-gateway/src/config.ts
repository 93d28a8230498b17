import { isIPv6 } from "node:net";
import { ConfigError } from "@gangway/core";

/** Where to connect: what `--irc-server` and the registration form both end up as. */
export interface IrcServer {
  host: string;
  port: number;
  tls: boolean;
}

/** The IANA port for IRC over TLS (RFC 7194), the default since TLS is the default. */
export const DEFAULT_TLS_PORT = 6697;

const HOST_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?";
const HOST_NAME = new RegExp(`^(?=.{1,253}$)${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);

/** A DNS name, an IPv4 address or an IPv6 address (without brackets). */
export function isValidHost(host: string): boolean {
  return HOST_NAME.test(host) || isIPv6(host);
}

/** A port number from text: digits only, 1–65535; `undefined` otherwise. */
export function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

const FORMAT = "expected host[:port][:plain], e.g. irc.libera.chat or localhost:6667:plain";

/**
 * Parses the app option `--irc-server host[:port][:plain]`: TLS on port 6697 unless told
 * otherwise; `:plain` (after the port) connects without TLS. IPv6 addresses go in brackets
 * (`[2001:db8::1]:6697`). Throws `ConfigError` saying what is wrong and what is expected.
 */
export function parseIrcServer(value: string): IrcServer {
  const fail = (problem: string): never => {
    throw new ConfigError(`--irc-server ${JSON.stringify(value)}: ${problem}; ${FORMAT}`);
  };
  const text = value.trim();
  if (text === "") fail("it is empty");
  if (text.includes("://")) fail("give a host and port, not a URL");

  let host: string;
  let rest: string[];
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close === -1) fail("the IPv6 address has no closing bracket");
    host = text.slice(1, close);
    if (!isIPv6(host)) fail(`${JSON.stringify(host)} is not an IPv6 address`);
    const after = text.slice(close + 1);
    if (after !== "" && !after.startsWith(":")) fail(`unexpected ${JSON.stringify(after)} after the address`);
    rest = after === "" ? [] : after.slice(1).split(":");
  } else {
    [host = "", ...rest] = text.split(":");
    if (rest.length > 2) fail("put an IPv6 address in brackets");
    if (!isValidHost(host)) fail(`${JSON.stringify(host)} is not a host name or IP address`);
  }

  const [portText, mode] = rest;
  if (portText !== undefined && portText.toLowerCase() === "plain") {
    fail("give the port before :plain (IRC without TLS is usually on 6667)");
  }
  const port = portText === undefined ? DEFAULT_TLS_PORT : parsePort(portText);
  if (port === undefined) fail(`the port ${JSON.stringify(portText)} is not a number from 1 to 65535`);
  if (mode !== undefined && mode.toLowerCase() !== "plain") {
    fail(`unknown ${JSON.stringify(`:${mode}`)}: only :plain (no TLS) is understood`);
  }
  return { host, port: port as number, tls: mode === undefined };
}
