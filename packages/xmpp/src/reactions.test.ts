import { describe, expect, it } from "vitest";
import { capsVerificationString } from "./caps.js";
import { reactionRestrictionsForm } from "./reactions.js";

describe("reactionRestrictionsForm", () => {
  it("writes the XEP-0444 allowlist as a result form with its FORM_TYPE", () => {
    expect(reactionRestrictionsForm(["👍", "❤️"]).toString()).toBe(
      '<x xmlns="jabber:x:data" type="result">' +
        '<field var="FORM_TYPE" type="hidden"><value>urn:xmpp:reactions:0:restrictions</value></field>' +
        '<field var="allowlist" type="text-multi"><value>👍</value><value>❤️</value></field></x>',
    );
  });

  it("cleans, deduplicates and drops empty reactions, from any iterable", () => {
    const form = reactionRestrictionsForm(new Set(["+1", "+1\u0000", "", "\u0001", "ok"]));
    const values = form.getChildren("field")[1]!.getChildren("value");
    expect(values.map((value) => value.text())).toEqual(["+1", "ok"]);
  });

  it("is hashed into XEP-0115 capabilities like any other extended form", () => {
    expect(
      capsVerificationString({ identities: [], features: [], forms: [reactionRestrictionsForm(["b", "a"])] }),
    ).toBe("urn:xmpp:reactions:0:restrictions<allowlist<a<b<");
  });

  it("writes an empty allowlist (no reaction allowed) when nothing is left", () => {
    expect(reactionRestrictionsForm([]).getChildren("field")[1]!.getChildren("value")).toEqual([]);
  });
});
