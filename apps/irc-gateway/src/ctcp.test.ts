import { describe, expect, it } from "vitest";
import {
  ANSWERED_CTCP,
  answerCtcp,
  ctcpVersionText,
  formatAction,
  formatCtcp,
  parseAction,
  parseCtcp,
} from "./ctcp.js";

describe("parseCtcp", () => {
  it.each([
    ["\x01ACTION waves\x01", { command: "ACTION", params: "waves" }],
    ["\x01VERSION\x01", { command: "VERSION", params: "" }],
    ["\x01PING 1234567890\x01", { command: "PING", params: "1234567890" }],
    ["\x01ping 42\x01", { command: "PING", params: "42" }],
    ["\x01ACTION  two  spaces \x01", { command: "ACTION", params: " two  spaces " }],
    ["\x01ACTION \x01", { command: "ACTION", params: "" }],
  ])("%j", (text, parsed) => {
    expect(parseCtcp(text)).toEqual(parsed);
  });

  it("tolerates a missing closing delimiter", () => {
    expect(parseCtcp("\x01ACTION waves")).toEqual({ command: "ACTION", params: "waves" });
    expect(parseCtcp("\x01VERSION")).toEqual({ command: "VERSION", params: "" });
  });

  it("ignores what follows the closing delimiter", () => {
    expect(parseCtcp("\x01PING 1\x01 trailing")).toEqual({ command: "PING", params: "1" });
  });

  it.each(["hello", "", " \x01ACTION x\x01", "\x01", "\x01\x01", "\x01 VERSION\x01"])(
    "%j is not CTCP",
    (text) => {
      expect(parseCtcp(text)).toBeUndefined();
    },
  );
});

describe("formatCtcp", () => {
  it("frames the command and its params", () => {
    expect(formatCtcp("PING", "123")).toBe("\x01PING 123\x01");
    expect(formatCtcp("version")).toBe("\x01VERSION\x01");
    expect(formatCtcp("ACTION", "")).toBe("\x01ACTION\x01");
  });

  it("removes characters that would end the message or the line", () => {
    expect(formatCtcp("ACTION", "a\x01b\rc\nd\x00e")).toBe("\x01ACTION abcde\x01");
  });

  it.each(["", "TWO WORDS", "A\x01", "NEW\nLINE"])("refuses %j as a command", (command) => {
    expect(() => formatCtcp(command)).toThrow(TypeError);
  });

  it("round-trips through parseCtcp", () => {
    expect(parseCtcp(formatCtcp("PING", "a b c"))).toEqual({ command: "PING", params: "a b c" });
  });
});

describe("actions", () => {
  it("formats and parses /me", () => {
    expect(formatAction("waves")).toBe("\x01ACTION waves\x01");
    expect(parseAction("\x01ACTION waves\x01")).toBe("waves");
    expect(parseAction("\x01action waves")).toBe("waves");
  });

  it("is undefined for anything else", () => {
    expect(parseAction("waves")).toBeUndefined();
    expect(parseAction("\x01VERSION\x01")).toBeUndefined();
  });
});

describe("answerCtcp", () => {
  const options = { version: "1.2.3" };

  it("answers VERSION with the gateway's version", () => {
    expect(answerCtcp({ command: "VERSION", params: "" }, options)).toBe(
      "\x01VERSION Gangway IRC gateway 1.2.3\x01",
    );
    expect(ctcpVersionText("0.0.0")).toBe("Gangway IRC gateway 0.0.0");
  });

  it("echoes PING's argument", () => {
    expect(answerCtcp({ command: "PING", params: "1700000000 123" }, options)).toBe(
      "\x01PING 1700000000 123\x01",
    );
    expect(answerCtcp({ command: "PING", params: "" }, options)).toBe("\x01PING\x01");
  });

  it("lists what it understands for CLIENTINFO", () => {
    expect(answerCtcp({ command: "CLIENTINFO", params: "" }, options)).toBe(
      `\x01CLIENTINFO ${ANSWERED_CTCP.join(" ")}\x01`,
    );
  });

  it.each(["TIME", "USERINFO", "FINGER", "SOURCE", "ACTION", "DCC"])("does not answer %s", (command) => {
    expect(answerCtcp({ command, params: "" }, options)).toBeUndefined();
  });

  it("answers what parseCtcp read", () => {
    const request = parseCtcp("\x01PING 99");
    expect(request && answerCtcp(request, options)).toBe("\x01PING 99\x01");
  });
});
