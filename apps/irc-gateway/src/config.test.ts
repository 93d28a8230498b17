import { ConfigError, loadGatewayConfig } from "@gangway/core";
import { describe, expect, it } from "vitest";
import { DEFAULT_TLS_PORT, isValidHost, parseIrcServer, parsePort } from "./config.js";
import { IRC_OPTIONS } from "./options.js";

describe("parseIrcServer", () => {
  it.each([
    ["irc.libera.chat", { host: "irc.libera.chat", port: 6697, tls: true }],
    ["irc.libera.chat:7000", { host: "irc.libera.chat", port: 7000, tls: true }],
    ["localhost:6667:plain", { host: "localhost", port: 6667, tls: false }],
    ["localhost:6667:PLAIN", { host: "localhost", port: 6667, tls: false }],
    ["  127.0.0.1:6667:plain ", { host: "127.0.0.1", port: 6667, tls: false }],
    ["[::1]", { host: "::1", port: 6697, tls: true }],
    ["[2001:db8::1]:6667:plain", { host: "2001:db8::1", port: 6667, tls: false }],
    ["irc.example.org.", { host: "irc.example.org.", port: 6697, tls: true }],
    ["my_irc-host", { host: "my_irc-host", port: 6697, tls: true }],
  ])("%j → %j", (value, server) => {
    expect(parseIrcServer(value)).toEqual(server);
  });

  it("defaults to TLS on 6697", () => {
    expect(DEFAULT_TLS_PORT).toBe(6697);
  });

  it.each([
    ["", "it is empty"],
    ["   ", "it is empty"],
    ["ircs://irc.libera.chat:6697", "not a URL"],
    ["irc.libera.chat:plain", "give the port before :plain"],
    ["irc.libera.chat:", 'the port "" is not a number'],
    ["irc.libera.chat:0", 'the port "0" is not a number from 1 to 65535'],
    ["irc.libera.chat:65536", 'the port "65536"'],
    ["irc.libera.chat:66a", 'the port "66a"'],
    ["irc.libera.chat:-1", 'the port "-1"'],
    ["irc.libera.chat:6697:tls", 'unknown ":tls": only :plain'],
    ["2001:db8::1", "put an IPv6 address in brackets"],
    ["[2001:db8::1", "no closing bracket"],
    ["[not-ipv6]:6697", '"not-ipv6" is not an IPv6 address'],
    ["[::1]6697", 'unexpected "6697" after the address'],
    ["bad host:6697", '"bad host" is not a host name'],
    [":6697", '"" is not a host name'],
    ["-leading.example", '"-leading.example" is not a host name'],
    ["a..b", '"a..b" is not a host name'],
  ])("refuses %j (%s)", (value, problem) => {
    expect(() => parseIrcServer(value)).toThrow(ConfigError);
    expect(() => parseIrcServer(value)).toThrow(problem);
  });

  it("names the option, the value and the expected format", () => {
    expect(() => parseIrcServer("x:y")).toThrow(
      '--irc-server "x:y": the port "y" is not a number from 1 to 65535; expected host[:port][:plain]',
    );
  });
});

describe("isValidHost", () => {
  it.each(["a", "irc.libera.chat", "10.0.0.1", "::1", "fe80::1", "xn--caf-dma.example"])(
    "accepts %j",
    (host) => {
      expect(isValidHost(host)).toBe(true);
    },
  );

  it.each(["", "a b", "a/b", "a:b", "[::1]", `${"a".repeat(254)}`, "-a", "a-"])("refuses %j", (host) => {
    expect(isValidHost(host)).toBe(false);
  });
});

describe("parsePort", () => {
  it.each([
    ["1", 1],
    ["6697", 6697],
    ["65535", 65535],
    ["0", undefined],
    ["65536", undefined],
    ["", undefined],
    [" 6697", undefined],
    ["6697.0", undefined],
    ["0x1a", undefined],
    ["123456", undefined],
  ])("%j → %j", (text, port) => {
    expect(parsePort(text)).toBe(port);
  });
});

describe("IRC_OPTIONS", () => {
  const load = (argv: readonly string[], env: NodeJS.ProcessEnv = {}) =>
    loadGatewayConfig({
      appName: "irc",
      argv: ["--jid", "irc.example.org", "--secret", "s", ...argv],
      env,
      appOptions: IRC_OPTIONS,
    });

  it("parses --irc-server or GANGWAY_IRC_SERVER into a server, and leaves it unset otherwise", () => {
    expect(load(["--irc-server", "localhost:6667:plain"]).app["irc-server"]).toEqual({
      host: "localhost",
      port: 6667,
      tls: false,
    });
    expect(load([], { GANGWAY_IRC_SERVER: "irc.libera.chat" }).app["irc-server"]).toEqual({
      host: "irc.libera.chat",
      port: DEFAULT_TLS_PORT,
      tls: true,
    });
    expect(load([]).app["irc-server"]).toBeUndefined();
  });

  it("refuses a bad server with parseIrcServer's explanation and the env var", () => {
    expect(() => load([], { GANGWAY_IRC_SERVER: "x:y" })).toThrow(
      '--irc-server (or GANGWAY_IRC_SERVER) "x:y": the port "y" is not a number from 1 to 65535; expected host[:port][:plain]',
    );
  });
});
