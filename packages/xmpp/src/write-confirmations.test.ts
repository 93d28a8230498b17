import { describe, expect, it } from "vitest";
import { xml } from "./element.js";
import { WriteConfirmations } from "./write-confirmations.js";

const stanza = (n: number) => xml("message", { id: String(n) });
const ids = (stanzas: readonly { attrs: { id?: string } }[]) => stanzas.map((s) => s.attrs.id);

function setUp() {
  let next = 0;
  return new WriteConfirmations(() => `cp${++next}`);
}

describe("WriteConfirmations", () => {
  it("asks for one checkpoint at a time; its answer confirms what was written before it", () => {
    const confirmations = setUp();
    expect(confirmations.wrote([stanza(1), stanza(2)])).toBe("cp1");
    expect(confirmations.wrote([stanza(3)])).toBeUndefined();
    expect(confirmations.answered("other")).toEqual({ matched: false });
    expect(confirmations.answered("cp1")).toEqual({ matched: true, next: "cp2" });
    expect(confirmations.size).toBe(1);
    expect(confirmations.answered("cp2")).toEqual({ matched: true, next: undefined });
    expect(confirmations.size).toBe(0);
    expect(confirmations.wrote([stanza(4)])).toBe("cp3");
  });

  it("gives back what no checkpoint confirmed, oldest first, when the connection is lost", () => {
    const confirmations = setUp();
    confirmations.wrote([stanza(1), stanza(2)]);
    confirmations.wrote([stanza(3)]);
    confirmations.answered("cp1");
    confirmations.wrote([stanza(4)]);
    const { stanzas, letGo } = confirmations.takeUnconfirmed();
    expect(ids(stanzas)).toEqual(["3", "4"]);
    expect(letGo).toBe(0);
    expect(confirmations.size).toBe(0);
    // A checkpoint of the lost connection answered late confirms nothing of the next one.
    expect(confirmations.answered("cp2")).toEqual({ matched: false });
  });

  it("keeps at most 10,000 unconfirmed and counts those let go", () => {
    const confirmations = setUp();
    const many = Array.from({ length: 10_005 }, (_, i) => stanza(i));
    confirmations.wrote(many);
    const { stanzas, letGo } = confirmations.takeUnconfirmed();
    expect(stanzas.length).toBe(10_000);
    expect(stanzas[0]?.attrs.id).toBe("5");
    expect(letGo).toBe(5);
  });
});
