import type { Element } from "@gangway/core";
import { testGatewayDependencies } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import { DemoGateway } from "./gateway.js";
import { GW } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const ROSTER = "jabber:iq:roster";

/**
 * The server's XEP-0356 advertisement trails the handshake. Stored users must not be logged in
 * (and their rosters synced by subscription requests) before the gateway knows what it may do.
 */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
    transport = new MemoryTransport({ domain: GW });
    gateway = new DemoGateway({
      ...testGatewayDependencies(DemoGateway, store, transport, { domain: GW }),
      privilegeWaitMs: 5000,
    });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const advertise = () =>
    transport.inject(`<message from="localhost" to="${GW}"><privilege xmlns="urn:xmpp:privilege:2">
      <perm access="roster" type="both"/><perm access="message" type="outgoing"/></privilege></message>`);

  /** Answers the gateway's privileged roster requests as the user's server would. */
  async function answerRoster(count: number): Promise<Element[]> {
    const requests: Element[] = [];
    for (let i = 0; i < count; i++) {
      const iq = await transport.waitForSent(
        (s) => s.is("iq") && !requests.includes(s) && s.getChild("query", ROSTER) !== undefined,
      );
      requests.push(iq);
      await transport.inject(`<iq type="result" id="${iq.attrs.id}" from="${USER}" to="${GW}"/>`);
    }
    return requests;
  }

  it("waits for the advertisement, then syncs the roster with the privilege", async () => {
    const starting = gateway.start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Nothing logged in yet: no "Logging in…" before the server said what it grants.
    expect(transport.sent.filter((s) => s.is("presence"))).toEqual([]);
    await advertise();
    const requests = await answerRoster(4);
    await starting;
    expect(requests.map((iq) => iq.attrs.type)).toEqual(["get", "set", "set", "set"]);
    expect(requests.slice(1).map((iq) => iq.getChild("query")!.getChild("item")!.attrs.jid)).toEqual([
      `echo@${GW}`,
      `alice@${GW}`,
      `bob@${GW}`,
    ]);
    expect(transport.sent.some((s) => s.attrs.type === "subscribe" && s.attrs.from !== GW)).toBe(false);
  });

  it("an advertisement after the wait re-syncs the rosters of the sessions already logged in", async () => {
    // A gateway that did not wait (or a server that advertised late).
    await gateway.stop();
    transport = new MemoryTransport({ domain: GW });
    gateway = new DemoGateway(testGatewayDependencies(DemoGateway, store, transport, { domain: GW }));
    await gateway.start();
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    expect(transport.sent.filter((s) => s.attrs.type === "subscribe").length).toBe(3);
    await advertise();
    const requests = await answerRoster(4);
    expect(requests.map((iq) => iq.attrs.type)).toEqual(["get", "set", "set", "set"]);
  });
});
