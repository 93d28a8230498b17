import { describe, expect, it } from "vitest";
import { prefixChanges, standingFor } from "./channel-modes.js";

describe("standingFor", () => {
  it("maps the highest prefix mode: op → admin moderator, half-op → member moderator, voice → member", () => {
    expect(standingFor(["o"])).toEqual({ role: "moderator", affiliation: "admin" });
    expect(standingFor(["v", "o"])).toEqual({ role: "moderator", affiliation: "admin" });
    expect(standingFor(["q"])).toEqual({ role: "moderator", affiliation: "owner" });
    expect(standingFor(["h"])).toEqual({ role: "moderator", affiliation: "member" });
    expect(standingFor(["v"])).toEqual({ role: "participant", affiliation: "member" });
    expect(standingFor([])).toEqual({ role: "participant", affiliation: "none" });
  });
});

describe("prefixChanges", () => {
  it("keeps the prefix modes with their nick, leaves bans, keys and flags out", () => {
    expect(
      prefixChanges([
        { mode: "+o", param: "alice" },
        { mode: "-v", param: "bob" },
        { mode: "+b", param: "*!*@spam" },
        { mode: "+m", param: null },
        { mode: "+k", param: "secret" },
      ]),
    ).toEqual([
      { nick: "alice", mode: "o", added: true },
      { nick: "bob", mode: "v", added: false },
    ]);
  });
});
