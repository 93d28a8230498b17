import { describe, expect, it } from "vitest";
import { unprivilegedCopy } from "./carbon-fallback.js";
import { parseXml } from "./element.js";

describe("unprivilegedCopy", () => {
  const inner = () =>
    parseXml(
      `<message from="romeo@example.org" to="alice@gw.example.org" type="chat" id="u1"><body>from my phone</body><origin-id xmlns="urn:xmpp:sid:0" id="u1"/></message>`,
    );

  it("re-addresses a text from the contact to the user, prefixed, keeping the other children", () => {
    const original = inner();
    const copy = unprivilegedCopy(original, "alice@gw.example.org/gangway", "romeo@example.org", "You: ");
    expect(copy?.toString()).toBe(
      `<message from="alice@gw.example.org/gangway" to="romeo@example.org" type="chat" id="u1"><origin-id xmlns="urn:xmpp:sid:0" id="u1"/><body>You: from my phone</body></message>`,
    );
    expect(original.attrs.from).toBe("romeo@example.org");
    expect(original.getChildText("body")).toBe("from my phone");
  });

  it("gives nothing for a message without a body (a marker would be misattributed)", () => {
    const marker = parseXml(
      `<message from="romeo@example.org" to="alice@gw.example.org"><displayed xmlns="urn:xmpp:chat-markers:0" id="x"/></message>`,
    );
    expect(
      unprivilegedCopy(marker, "alice@gw.example.org/gangway", "romeo@example.org", "You: "),
    ).toBeUndefined();
  });
});
