import type { Element } from "@gangway/core";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { DEMO_CONTACTS } from "./network.js";
import { GW, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const ALICE = `alice@${GW}`;
const ALICE_PNG = DEMO_CONTACTS.find((c) => c.id === "alice")!.avatar!;
// sha1sum of the PNG, computed outside Node: the id must be the hash of exactly these bytes.
const ALICE_HASH = "1c938a2c65100a8f3800751fdc2d479fcbbb2476";

/** Names, vCards and pictures of the demo contacts, as a user's client asks for them. */
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

  async function ask(to: string, payload: string, from = USER): Promise<Element> {
    await transport.inject(`<iq type="get" id="q1" from="${from}/phone" to="${to}">${payload}</iq>`);
    return transport.nextSent();
  }

  it("serves vcard-temp with the full name, details and photo", async () => {
    const reply = await ask(ALICE, `<vCard xmlns="vcard-temp"/>`);
    expect(canonicalXml(reply)).toBe(
      canonicalXml(`<iq type="result" id="q1" from="${ALICE}" to="${USER}/phone"><vCard xmlns="vcard-temp">
        <FN>Alice Demo</FN><NICKNAME>alice</NICKNAME>
        <PHOTO><TYPE>image/png</TYPE><BINVAL>${Buffer.from(ALICE_PNG).toString("base64")}</BINVAL></PHOTO>
        <EMAIL><USERID>alice@demo.invalid</USERID></EMAIL><DESC>Never answers, but has a nice picture.</DESC>
      </vCard></iq>`),
    );
  });

  it("serves vCard4 by IQ and as the urn:xmpp:vcard4 PEP node; echo has just its name", async () => {
    const byIq = await ask(`echo@${GW}`, `<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/>`);
    expect(canonicalXml(byIq.getChild("vcard")!)).toBe(
      canonicalXml(`<vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"><fn><text>Echo Bot</text></fn></vcard>`),
    );
    const byPep = await ask(
      ALICE,
      `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:vcard4"/></pubsub>`,
    );
    const item = byPep.getChild("pubsub")!.getChild("items")!.getChild("item")!;
    expect(item.attrs.id).toBe("current");
    expect(item.getChild("vcard")!.getChild("fn")!.getChildText("text")).toBe("Alice Demo");
  });

  it("serves the avatar's XEP-0084 metadata and data nodes", async () => {
    const alice = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
    expect(alice.avatar?.id).toBe(ALICE_HASH);
    const metadata = await ask(
      ALICE,
      `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:metadata"/></pubsub>`,
    );
    expect(canonicalXml(metadata.getChild("pubsub")!)).toBe(
      canonicalXml(`<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:metadata">
        <item id="${ALICE_HASH}"><metadata xmlns="urn:xmpp:avatar:metadata">
          <info bytes="${ALICE_PNG.byteLength}" height="32" id="${ALICE_HASH}" type="image/png" width="32"/>
        </metadata></item></items></pubsub>`),
    );
    const data = await ask(
      ALICE,
      `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"><item id="${ALICE_HASH}"/></items></pubsub>`,
    );
    const base64 = data.getChild("pubsub")!.getChild("items")!.getChild("item")!.getChildText("data");
    expect(Buffer.from(base64!, "base64").equals(Buffer.from(ALICE_PNG))).toBe(true);

    // Echo has no picture: an empty metadata item, and no data.
    const none = await ask(
      `echo@${GW}`,
      `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:metadata"/></pubsub>`,
    );
    expect(none.getChild("pubsub")!.toString()).toBe(
      `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:metadata"><item id="current"><metadata xmlns="urn:xmpp:avatar:metadata"/></item></items></pubsub>`,
    );
    const noData = await ask(
      `echo@${GW}`,
      `<pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"/></pubsub>`,
    );
    expect(
      noData.getChild("error")?.getChild("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas"),
    ).toBeDefined();
  });

  it("announces a changed picture with an event and a presence carrying the new hash", async () => {
    const alice = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
    const bobPng = DEMO_CONTACTS.find((c) => c.id === "bob")!.avatar!;
    await alice.setAvatar(bobPng);
    const event = transport.nextSent();
    expect(event.attrs.type).toBe("headline");
    expect(event.getChild("event")!.getChild("items")!.getChild("item")!.attrs.id).toBe(alice.avatar!.id);
    const presence = transport.nextSent();
    expect(presence.getChild("x", "vcard-temp:x:update")!.getChildText("photo")).toBe(alice.avatar!.id);
    // Setting the same picture again announces nothing.
    await alice.setAvatar(bobPng);
    transport.expectNothingSent();
  });

  it("answers a stranger's profile request with registration-required", async () => {
    const reply = await ask(ALICE, `<vCard xmlns="vcard-temp"/>`, "eve@localhost");
    expect(
      reply.getChild("error")?.getChild("registration-required", "urn:ietf:params:xml:ns:xmpp-stanzas"),
    ).toBeDefined();
  });
});
