import { describe, expect, it } from "vitest";
import { JID } from "./jid.js";

describe("JID", () => {
  it("parses full, bare and domain JIDs", () => {
    const full = JID.parse("Alice@Example.ORG/Phone/1");
    expect([full.local, full.domain, full.resource]).toEqual(["alice", "example.org", "Phone/1"]);
    expect(full.toString()).toBe("alice@example.org/Phone/1");
    expect(full.bare().toString()).toBe("alice@example.org");
    expect(full.isBare).toBe(false);
    expect(JID.parse("gw.example.org").toString()).toBe("gw.example.org");
    expect(JID.parse("gw.example.org.").domain).toBe("gw.example.org");
  });

  it("takes the localpart up to the first @ before the resource", () => {
    const jid = JID.parse("a@b/c@d");
    expect([jid.local, jid.domain, jid.resource]).toEqual(["a", "b", "c@d"]);
  });

  it("keeps escaped localparts as they are", () => {
    expect(JID.parse(String.raw`d\27artagnan@gw.h`).local).toBe(String.raw`d\27artagnan`);
  });

  it("compares by value", () => {
    expect(JID.parse("A@b/R").equals(JID.parse("a@B/R"))).toBe(true);
    expect(JID.parse("a@b/R").equals(JID.parse("a@b/r"))).toBe(false);
    const bare = JID.parse("a@b");
    expect(bare.bare()).toBe(bare);
  });

  it.each(["", "@b", "a@", "a@b/", "a b@c", "a@b c", "a:b@c"])("rejects %j", (text) => {
    expect(() => JID.parse(text)).toThrow(expect.objectContaining({ condition: "jid-malformed" }));
    expect(JID.tryParse(text)).toBeUndefined();
  });

  it("tryParse accepts undefined", () => {
    expect(JID.tryParse(undefined)).toBeUndefined();
    expect(JID.tryParse("a@b")?.toString()).toBe("a@b");
  });
});
