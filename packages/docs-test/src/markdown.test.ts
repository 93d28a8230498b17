import { describe, expect, it } from "vitest";
import { flagsInTables, markedBlock, shellCommands, substitute } from "./markdown.js";

describe("markedBlock", () => {
  const doc = "intro\n<!-- gangway-docs: a.cfg -->\n```lua\nx = 1\n```\n\n```sh\nls\n```\n";

  it("returns the fenced block after its marker", () => {
    expect(markedBlock(doc, "a.cfg")).toBe("x = 1\n");
  });

  it("refuses a missing or a repeated marker", () => {
    expect(() => markedBlock(doc, "b.cfg")).toThrow('no block marked "b.cfg"');
    expect(() => markedBlock(`${doc}${doc}`, "a.cfg")).toThrow("two blocks");
  });
});

describe("substitute", () => {
  it("replaces every occurrence of each replacement", () => {
    expect(
      substitute("a.org b.a.org 5222", [
        { from: "a.org", to: "lo" },
        { from: /\b5222\b/, to: "1" },
      ]),
    ).toBe("lo b.lo 1");
  });

  it("fails when a replacement matches nothing", () => {
    expect(() => substitute("x", [{ from: "5347", to: "1" }])).toThrow("no longer contains 5347");
  });
});

describe("flagsInTables", () => {
  it("reads the flags of the first column of option tables only", () => {
    const doc = [
      "| option | env |",
      "| --- | --- |",
      "| `--jid` | `GANGWAY_JID` |",
      "| `--port`, `--server` | x |",
      "",
      "| module | what |",
      "| --- | --- |",
      "| `--not-a-flag` | y |",
    ].join("\n");
    expect(flagsInTables(doc, ["option"])).toEqual(["--jid", "--port", "--server"]);
  });
});

describe("shellCommands", () => {
  it("lists the lines of sh blocks without comments", () => {
    const doc = "```sh\n# note\npnpm build   # builds\n\nnode x.js --help\n```\n```lua\nnot = 1\n```\n";
    expect(shellCommands(doc)).toEqual(["pnpm build", "node x.js --help"]);
  });
});
