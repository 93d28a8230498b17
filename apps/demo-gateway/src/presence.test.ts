import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const ECHO = `echo@${GW}`;

/** Subscriptions and presences between the user and the puppets, as exact stanzas. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;
  let caps: string;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store));
    caps = (await gateway.sessionFor(USER)!.contacts.byLegacyId("echo")).capabilities!.caps().toString();
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const echoPresence = () =>
    `<presence from="${ECHO}/gangway" to="${USER}"><status>I repeat everything</status>${caps}<x xmlns="vcard-temp:x:update"><photo/></x></presence>`;

  it("accepts a subscription, remembers it, and answers probes with the cached presence", async () => {
    await transport.inject(`<presence type="subscribe" from="${USER}" to="${ECHO}"/>`);
    transport.expectSent(`<presence from="${ECHO}" to="${USER}" type="subscribed"/>`);
    transport.expectSent(echoPresence());
    const user = (await store.users.get(USER))!;
    expect((await store.contacts.get(user.id, "echo"))?.addedToRoster).toBe(true);

    await transport.inject(`<presence type="probe" from="${USER}" to="${ECHO}"/>`);
    transport.expectSent(echoPresence());
    transport.expectNothingSent();
  });

  it("confirms an unsubscribe and forgets that the contact was added", async () => {
    await transport.inject(`<presence type="subscribed" from="${USER}" to="${ECHO}"/>`);
    transport.nextSent();
    await transport.inject(`<presence type="unsubscribe" from="${USER}" to="${ECHO}"/>`);
    transport.expectSent(`<presence from="${ECHO}" to="${USER}" type="unsubscribed"/>`);
    const user = (await store.users.get(USER))!;
    expect((await store.contacts.get(user.id, "echo"))?.addedToRoster).toBe(false);
    transport.expectNothingSent();
  });

  it("shows last-seen times as XEP-0319 idle, and only changes go out", async () => {
    const alice = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
    const seen = new Date("2026-11-30T08:15:00Z");
    await alice.offline("gone fishing", { lastSeen: seen });
    const presence = transport.nextSent();
    expect(canonicalXml(presence)).toBe(
      canonicalXml(`<presence from="alice@${GW}/gangway" to="${USER}" type="unavailable"><status>gone fishing</status>
        <x xmlns="vcard-temp:x:update"><photo>${alice.avatar!.id}</photo></x>
        <idle xmlns="urn:xmpp:idle:1" since="2026-11-30T08:15:00Z"/></presence>`),
    );
    await alice.offline("gone fishing", { lastSeen: new Date(seen) });
    transport.expectNothingSent();
  });

  it("answers a probe for a contact from an unregistered JID with registration-required", async () => {
    await transport.inject(`<presence type="probe" from="eve@localhost" to="${ECHO}"/>`);
    const error = transport.nextSent();
    expect(error.attrs.type).toBe("error");
    expect(
      error.getChild("error")?.getChild("registration-required", "urn:ietf:params:xml:ns:xmpp-stanzas"),
    ).toBeDefined();
  });

  it("fetches the user's vCard photo when its XEP-0153 hash changes, and hands it to the network", async () => {
    const client = gateway.sessionFor(USER)!.client;
    const png = Buffer.from("89504e470d0a1a0a", "hex");
    // Not awaited yet: handling the presence waits for the vCard answer injected below.
    const handled = transport.inject(`<presence from="${USER}/phone" to="${GW}">
      <x xmlns="vcard-temp:x:update"><photo>abc123</photo></x></presence>`);
    const request = await transport.waitForSent(
      (s) => s.is("iq") && s.getChild("vCard", "vcard-temp") !== undefined,
    );
    expect(request.attrs).toMatchObject({ type: "get", to: USER, from: GW });
    await transport.inject(`<iq type="result" id="${request.attrs.id}" from="${USER}" to="${GW}">
      <vCard xmlns="vcard-temp"><PHOTO><TYPE>image/png</TYPE><BINVAL>${png.toString("base64")}</BINVAL></PHOTO></vCard></iq>`);
    await handled;
    expect(client.ownAvatar).toEqual({ type: "image/png", bytes: png.byteLength });
    // The same hash again: nothing fetched. An empty photo: the picture is removed.
    await transport.inject(
      `<presence from="${USER}/pc" to="${GW}"><x xmlns="vcard-temp:x:update"><photo>abc123</photo></x></presence>`,
    );
    expect(transport.sent.filter((s) => s.getChild("vCard", "vcard-temp")).length).toBe(1);
    await transport.inject(
      `<presence from="${USER}/pc" to="${GW}"><x xmlns="vcard-temp:x:update"><photo/></x></presence>`,
    );
    expect(client.ownAvatar).toBeNull();
  });
});
