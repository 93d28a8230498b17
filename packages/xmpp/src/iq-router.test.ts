import { describe, expect, it } from "vitest";
import { parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { IqRouter } from "./iq-router.js";
import { captureLogger } from "./test-support/capture-logger.js";

const DOMAIN = "gw.example.org";

function setUp() {
  const { logger, lines } = captureLogger();
  return { router: new IqRouter({ domain: DOMAIN, logger }), lines };
}

function request(type: string, to: string, payload: string, id = "q1"): ReturnType<typeof parseXml> {
  return parseXml(`<iq type='${type}' id='${id}' from='user@example.org/phone' to='${to}'>${payload}</iq>`);
}

const CONDITION = (reply: ReturnType<typeof parseXml> | undefined) =>
  reply?.getChild("error")?.getChildElements()[0]?.name;

describe("IqRouter", () => {
  it("routes by namespace and type, and wraps the returned payload in a result", async () => {
    const { router } = setUp();
    router.handle({ namespace: "urn:a", type: "get" }, ({ child, from, to, type, id }) =>
      xml("a", { xmlns: "urn:a", seen: `${child.name}|${from}|${to}|${type}|${id}` }),
    );
    const reply = await router.route(request("get", DOMAIN, "<a xmlns='urn:a'/>"));
    expect(reply?.toString()).toBe(
      `<iq from="${DOMAIN}" to="user@example.org/phone" id="q1" type="result">` +
        `<a xmlns="urn:a" seen="a|user@example.org/phone|${DOMAIN}|get|q1"/></iq>`,
    );
  });

  it("answers an empty result when the handler returns nothing", async () => {
    const { router } = setUp();
    router.handle({ namespace: "urn:a", type: "set" }, async () => undefined);
    const reply = await router.route(request("set", DOMAIN, "<a xmlns='urn:a'/>"));
    expect(reply?.toString()).toBe(
      `<iq from="${DOMAIN}" to="user@example.org/phone" id="q1" type="result"/>`,
    );
  });

  it("dispatches on the addressee: domain, localpart or predicate", async () => {
    const { router } = setUp();
    router.handle({ namespace: "urn:d", type: "get", to: "domain" }, () =>
      xml("d", { xmlns: "urn:d", by: "domain" }),
    );
    router.handle({ namespace: "urn:d", type: "get", to: "localpart" }, () =>
      xml("d", { xmlns: "urn:d", by: "localpart" }),
    );
    router.handle({ namespace: "urn:p", type: "get", to: (to) => to.startsWith("room") }, () => undefined);
    const by = async (to: string, ns = "urn:d") =>
      (await router.route(request("get", to, `<d xmlns='${ns}'/>`)))?.getChild("d")?.attrs.by;
    expect(await by(DOMAIN)).toBe("domain");
    expect(await by(`${DOMAIN}/res`)).toBe("domain");
    expect(await by(`alice@${DOMAIN}`)).toBe("localpart");
    expect(await by(`Alice@GW.example.org/x`)).toBe("localpart");
    expect(CONDITION(await router.route(request("get", "alice@elsewhere.org", "<d xmlns='urn:d'/>")))).toBe(
      "feature-not-implemented",
    );
    expect((await router.route(request("get", `room@${DOMAIN}`, "<d xmlns='urn:p'/>")))?.attrs.type).toBe(
      "result",
    );
    expect(CONDITION(await router.route(request("get", `bob@${DOMAIN}`, "<d xmlns='urn:p'/>")))).toBe(
      "feature-not-implemented",
    );
  });

  it("answers service-unavailable for a namespace nobody handles, feature-not-implemented for a wrong type", async () => {
    const { router } = setUp();
    router.handle({ namespace: "urn:a", type: "get" }, () => undefined);
    const unknown = await router.route(request("get", DOMAIN, "<b xmlns='urn:b'/>"));
    expect(unknown?.attrs).toMatchObject({
      type: "error",
      id: "q1",
      to: "user@example.org/phone",
      from: DOMAIN,
    });
    expect(CONDITION(unknown)).toBe("service-unavailable");
    expect(CONDITION(await router.route(request("set", DOMAIN, "<a xmlns='urn:a'/>")))).toBe(
      "feature-not-implemented",
    );
  });

  it("turns a thrown XmppError into that error reply", async () => {
    const { router, lines } = setUp();
    router.handle({ namespace: "urn:a", type: "set" }, () => {
      throw new XmppError("not-acceptable", "Wrong code");
    });
    const reply = await router.route(request("set", DOMAIN, "<a xmlns='urn:a'/>"));
    expect(CONDITION(reply)).toBe("not-acceptable");
    expect(reply?.getChild("error")?.getChildText("text")).toBe("Wrong code");
    expect(lines.filter((line) => line.level >= 50)).toEqual([]);
  });

  it("answers internal-server-error for other exceptions and logs them with their stack", async () => {
    const { router, lines } = setUp();
    router.handle({ namespace: "urn:a", type: "get" }, async () => {
      throw new TypeError("token=secret123 exploded");
    });
    const reply = await router.route(request("get", DOMAIN, "<a xmlns='urn:a'/>"));
    expect(CONDITION(reply)).toBe("internal-server-error");
    expect(reply?.toString()).not.toContain("secret123");
    const logged = lines.find((line) => line.msg === "IQ handler failed");
    expect((logged?.err as { stack?: string } | undefined)?.stack).toContain(
      "TypeError: token=secret123 exploded",
    );
  });

  it.each([
    ["no id", "<iq type='get' from='u@h' to='gw.example.org'><a xmlns='urn:a'/></iq>"],
    ["no child", "<iq type='get' id='1' from='u@h' to='gw.example.org'/>"],
    [
      "two children",
      "<iq type='get' id='1' from='u@h' to='gw.example.org'><a xmlns='urn:a'/><a xmlns='urn:a'/></iq>",
    ],
    ["bad type", "<iq type='fetch' id='1' from='u@h' to='gw.example.org'><a xmlns='urn:a'/></iq>"],
  ])("answers bad-request to a malformed request (%s)", async (_, text) => {
    const { router } = setUp();
    router.handle({ namespace: "urn:a", type: "get" }, () => undefined);
    expect(CONDITION(await router.route(parseXml(text)))).toBe("bad-request");
  });

  it("never answers results or errors", async () => {
    const { router } = setUp();
    router.handle({ namespace: "urn:a", type: "get" }, () => undefined);
    expect(await router.route(request("result", DOMAIN, ""))).toBeUndefined();
    expect(await router.route(request("error", DOMAIN, "<a xmlns='urn:a'/>"))).toBeUndefined();
  });

  it("lets the first matching route win, and removes routes", async () => {
    const { router } = setUp();
    const removeFirst = router.handle({ namespace: "urn:a", type: "get" }, () =>
      xml("a", { xmlns: "urn:a", n: 1 }),
    );
    router.handle({ namespace: "urn:a", type: "get" }, () => xml("a", { xmlns: "urn:a", n: 2 }));
    const n = async () =>
      (await router.route(request("get", DOMAIN, "<a xmlns='urn:a'/>")))?.getChild("a")?.attrs.n;
    expect(await n()).toBe("1");
    removeFirst();
    expect(await n()).toBe("2");
  });
});
