import { describe, expect, it } from "vitest";
import { NS_DISCO_INFO } from "./disco.js";
import { discoFeaturesIn, discoInfoQuery, probeFeatures } from "./disco-probe.js";
import { xml } from "./element.js";
import { XmppError } from "./errors.js";

const answer = (...features: string[]) =>
  xml(
    "iq",
    { type: "result", from: "example.org" },
    xml(
      "query",
      { xmlns: NS_DISCO_INFO },
      xml("identity", { category: "server", type: "im" }),
      ...features.map((name) => xml("feature", { var: name })),
    ),
  );

describe("disco probe", () => {
  it("builds a disco#info get from the component", () => {
    const iq = discoInfoQuery("example.org", "gw.example.org");
    expect(iq.attrs).toMatchObject({ type: "get", to: "example.org", from: "gw.example.org" });
    expect(iq.getChild("query", NS_DISCO_INFO)).toBeDefined();
  });

  it("reads the features, skipping empty vars", () => {
    const result = answer("urn:xmpp:mam:2", "jabber:iq:roster");
    result.getChild("query")?.append(xml("feature", {}));
    expect(discoFeaturesIn(result)).toEqual(["urn:xmpp:mam:2", "jabber:iq:roster"]);
    expect(discoFeaturesIn(xml("iq", { type: "result" }))).toEqual([]);
  });

  it("resolves undefined when the entity answers with an error", async () => {
    const refused = await probeFeatures(
      () => Promise.reject(new XmppError("service-unavailable")),
      "romeo@example.org",
    );
    expect(refused).toBeUndefined();
    const features = await probeFeatures(async () => answer("urn:xmpp:mam:2"), "example.org");
    expect(features).toEqual(["urn:xmpp:mam:2"]);
  });
});
