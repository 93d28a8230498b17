import { XmppError } from "@gangway/core";
import { describe, expect, it } from "vitest";
import { channelFromLocalpart, channelProblem, channelRulesOf } from "./channel-address.js";

const rules = { host: "irc.example.org" };

describe("channelFromLocalpart", () => {
  it("reads #chan and &chan as channels of the user's server, lower-cased as JIDs are", () => {
    expect(channelFromLocalpart("#Gangway", rules)).toEqual({ channel: "#gangway", legacyId: "#gangway" });
    expect(channelFromLocalpart("&local", rules)).toEqual({ channel: "&local", legacyId: "&local" });
  });

  it("strips %server when it names the registered server, keeping it in the legacy id", () => {
    expect(channelFromLocalpart("#chan%IRC.example.org", rules)).toEqual({
      channel: "#chan",
      legacyId: "#chan%irc.example.org",
    });
    expect(channelFromLocalpart("#chan%127.0.0.1", { host: "127.0.0.1" })?.channel).toBe("#chan");
  });

  it("refuses another server without naming what the user typed", () => {
    const refuse = () => channelFromLocalpart("#chan%irc.other.net", rules);
    expect(refuse).toThrow(XmppError);
    try {
      refuse();
    } catch (error) {
      expect((error as XmppError).condition).toBe("item-not-found");
      expect((error as XmppError).message).not.toContain("other");
    }
  });

  it("keeps a % that is no server as part of the name", () => {
    expect(channelFromLocalpart("#100%fun", rules)?.channel).toBe("#100%fun");
  });

  it("is not a channel when it does not start like one (a nick), with the server's CHANTYPES", () => {
    expect(channelFromLocalpart("bob", rules)).toBeUndefined();
    expect(channelFromLocalpart("&chan", { ...rules, chanTypes: "#" })).toBeUndefined();
  });

  it("refuses names the server would refuse: empty, commas, spaces, control characters, too long", () => {
    for (const bad of ["#", "#a,b", "#a b", "#a\u0007b"]) {
      expect(() => channelFromLocalpart(bad, rules)).toThrow(XmppError);
    }
    expect(() => channelFromLocalpart(`#${"x".repeat(50)}`, rules)).toThrow(/50 characters at most/);
    expect(channelFromLocalpart(`#${"x".repeat(49)}`, rules)?.channel).toHaveLength(50);
  });
});

describe("channelProblem", () => {
  it("says why in words that never repeat the name", () => {
    expect(channelProblem("#ok", rules)).toBeUndefined();
    expect(channelProblem("nope", rules)).toMatch(/starts with one of # &/);
    expect(channelProblem("#a,secret", rules)).not.toContain("secret");
  });
});

describe("channelRulesOf", () => {
  it("takes CHANTYPES (string or list) and CHANNELLEN from ISUPPORT, defaults otherwise", () => {
    const network = (tokens: Record<string, unknown>) => ({ supports: (token: string) => tokens[token] });
    expect(channelRulesOf(network({ CHANTYPES: ["#"], CHANNELLEN: "32" }), "h")).toEqual({
      host: "h",
      chanTypes: "#",
      maxLength: 32,
    });
    expect(channelRulesOf(network({ CHANTYPES: "#&+" }), "h")).toEqual({ host: "h", chanTypes: "#&+" });
    expect(channelRulesOf(undefined, "h")).toEqual({ host: "h" });
  });
});
