import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, sayToGateway, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const USER = "romeo@localhost";

/** The demo's contact search: a case-insensitive fragment of a name, through XEP-0055 and chat. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  it("finds contacts by a fragment of their name over XEP-0055", async () => {
    await transport.inject(`<iq type="set" id="s1" from="${USER}/phone" to="${GW}">
      <query xmlns="jabber:iq:search"><x xmlns="jabber:x:data" type="submit">
        <field var="FORM_TYPE" type="hidden"><value>jabber:iq:search</value></field>
        <field var="query"><value>DEMO</value></field></x></query></iq>`);
    const result = transport
      .nextSent()
      .getChild("query", "jabber:iq:search")!
      .getChild("x", "jabber:x:data")!;
    const rows = result
      .getChildren("item")
      .map((item) => item.getChildren("field").map((f) => f.getChildText("value")));
    expect(rows).toEqual([
      [`alice@${GW}`, "Alice Demo"],
      [`bob@${GW}`, "Bob Demo"],
    ]);
    expect(canonicalXml(result.getChild("reported")!)).toBe(
      canonicalXml(
        `<reported><field var="jid" label="JID" type="jid-single"/><field var="name" label="Name" type="text-single"/></reported>`,
      ),
    );
  });

  it("finds them by chat with `find <fragment>`", async () => {
    expect(await sayToGateway(transport, USER, "find echo")).toEqual([
      `1 contact found.\nJID: echo@${GW}, Name: Echo Bot`,
    ]);
  });

  it("passes the user's presence to the network, unless they turned sync_presence off", async () => {
    const client = gateway.sessionFor(USER)!.client;
    await transport.inject(
      `<presence from="${USER}/phone" to="${GW}"><show>away</show><status>lunch</status></presence>`,
    );
    expect(client.ownPresence).toEqual({ show: "away", status: "lunch" });
    await store.users.update(USER, { preferences: { sync_presence: false } });
    gateway.sessionFor(USER)!.user = (await store.users.get(USER))!;
    await transport.inject(`<presence from="${USER}/phone" to="${GW}" type="unavailable"/>`);
    expect(client.ownPresence).toEqual({ show: "away", status: "lunch" });
  });
});
