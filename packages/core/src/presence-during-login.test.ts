import { forEachDriver } from "@gangway/store/testing";
import { MemoryTransport } from "@gangway/testing";
import type { FormValues } from "@gangway/xmpp";
import { expect, it, vi } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { testGatewayDependencies } from "./testing/index.js";

/**
 * The roster sync asks the user for subscriptions before the rooms are listed, so a client's
 * answer can arrive while the login is still finishing: it is handled once the login is done,
 * not dropped (it was, and the contact's "subscribed" never came).
 */

const GW = "net.localhost";
const USER = "romeo@localhost";

let releaseRooms: (() => void) | undefined;

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = LegacyRoom;
  override async *listContacts() {
    yield this.contacts.byLegacyId("alice");
  }
  override async *listRooms() {
    // A network that takes its time listing groups.
    await new Promise<void>((resolve) => {
      releaseRooms = resolve;
    });
    yield this.rooms.byLegacyId("lobby");
  }
}

class TestGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  static override GROUPS = true;
  readonly Session = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  it("answers a subscribe sent while the login lists the rooms, once the login is done", async () => {
    const store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    const transport = new MemoryTransport({ domain: GW });
    const gateway = new TestGateway(testGatewayDependencies(TestGateway, store, transport, { domain: GW }));
    releaseRooms = undefined;
    const starting = gateway.start();
    // The roster is synced; the login now waits for the network's groups.
    await vi.waitFor(() => expect(releaseRooms).toBeDefined());
    expect(gateway.sessionFor(USER)!.isLoggedIn).toBe(false);

    // Handled in the background: the router waits for the login to finish.
    const handled = transport.inject(`<presence type="subscribe" from="${USER}" to="alice@${GW}"/>`);
    const subscribed = () =>
      transport.sent.some(
        (s) => s.is("presence") && s.attrs.type === "subscribed" && s.attrs.from === `alice@${GW}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(subscribed()).toBe(false);
    releaseRooms!();
    await starting;
    await handled;
    expect(subscribed()).toBe(true);
    await gateway.stop();
  });
});
