import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { MemoryTransport } from "@gangway/testing";
import { type Element, type FormValues, parseXml } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { testGatewayDependencies } from "./testing/index.js";

const GW = "net.localhost";

/**
 * Roster sync across restarts: a privileged sync is remembered as a hash, and a login whose
 * friends hash the same sends no roster IQ (the server's CPU at a restart with many users).
 */

const USER = "romeo@localhost";
const ROSTER = "jabber:iq:roster";
/** The legacy network's contact list: legacy id → name. Tests change it between restarts. */
let names: Record<string, string> = {};

class NamedContact extends LegacyContact {
  override async updateInfo() {
    this.name = names[this.legacyId];
  }
}

class Session extends BaseSession<TestGateway, NamedContact> {
  static override Contact = NamedContact;
  override async *listContacts() {
    for (const id of Object.keys(names)) {
      const contact = await this.contacts.byLegacyId(id);
      await contact.online();
      yield contact;
    }
  }
}

class TestGateway extends BaseGateway<Session> {
  static override COMPONENT_TYPE = "test";
  readonly Session = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const isRosterIq = (s: Element) => s.is("iq") && s.getChild("query", ROSTER) !== undefined;

/** Answers the gateway's privileged roster IQs as the user's server would (empty roster). */
class ServerTransport extends MemoryTransport {
  failSets = false;

  override send(stanza: Element): Promise<void> {
    const written = super.send(stanza);
    if (isRosterIq(stanza)) {
      const { id, type } = stanza.attrs;
      const reply =
        type === "set" && this.failSets
          ? `<iq type="error" id="${id}" from="${USER}" to="${GW}"><error type="cancel"><forbidden xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/></error></iq>`
          : type === "get"
            ? `<iq type="result" id="${id}" from="${USER}" to="${GW}"><query xmlns="${ROSTER}"/></iq>`
            : `<iq type="result" id="${id}" from="${USER}" to="${GW}"/>`;
      setImmediate(() => void this.inject(reply));
    }
    return written;
  }
}

const ADVERTISEMENT = `<message from="localhost" to="${GW}"><privilege xmlns="urn:xmpp:privilege:2">
  <perm access="roster" type="both"/><perm access="message" type="outgoing"/></privilege></message>`;

forEachDriver((driver) => {
  let store: Store;
  let transport: ServerTransport;
  let gateway: TestGateway | undefined;

  /** A gateway (re)start on the same store; `privileges: "late"` advertises after the logins. */
  async function start(options: { failSets?: boolean; privileges?: "yes" | "late" } = {}) {
    await gateway?.stop();
    transport = new ServerTransport({ domain: GW });
    transport.failSets = options.failSets ?? false;
    const late = options.privileges === "late";
    gateway = new TestGateway({
      ...testGatewayDependencies(TestGateway, store, transport, { domain: GW }),
      privilegeWaitMs: late ? 0 : 5000,
    });
    const starting = gateway.start();
    if (!late) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await transport.inject(ADVERTISEMENT);
    }
    await starting;
  }

  const rosterIqs = () =>
    transport.sent
      .filter(isRosterIq)
      .map((iq) => `${iq.attrs.type} ${iq.getChild("query")!.getChild("item")?.attrs.jid ?? ""}`.trim());
  const availableFrom = () =>
    transport.sent
      .filter((s) => s.is("presence") && s.attrs.type === undefined && s.attrs.from !== GW)
      .map((s) => s.attrs.from);
  const subscribesFrom = () =>
    transport.sent
      .filter((s) => s.attrs.type === "subscribe" && s.attrs.from !== GW)
      .map((s) => s.attrs.from);
  const storedHash = async () => (await store.users.get(USER))!.rosterHash;

  beforeEach(async () => {
    names = { alice: "Alice", bob: "Bob" };
    gateway = undefined;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    await gateway?.stop();
  });

  describe("roster hash", () => {
    it("syncs in full at the first start, then sends no roster IQ while the contacts stay the same", async () => {
      await start();
      expect(rosterIqs()).toEqual(["get", `set alice@${GW}`, `set bob@${GW}`]);
      const hash = await storedHash();
      expect(hash).toEqual(expect.any(String));

      await start();
      expect(rosterIqs()).toEqual([]);
      expect(subscribesFrom()).toEqual([]);
      // The contacts' presences are still sent, and the user is logged in.
      expect(availableFrom()).toEqual([`alice@${GW}/gangway`, `bob@${GW}/gangway`]);
      expect(gateway!.sessionFor(USER)!.isLoggedIn).toBe(true);
      expect(await storedHash()).toBe(hash);
    });

    it("syncs again when a contact was renamed, added or removed", async () => {
      await start();
      const first = await storedHash();

      names = { alice: "Alice Liddell", bob: "Bob" };
      await start();
      expect(rosterIqs()).toEqual(["get", `set alice@${GW}`, `set bob@${GW}`]);
      const renamed = await storedHash();
      expect(renamed).not.toBe(first);
      const set = transport.sent.filter(isRosterIq)[1]!.getChild("query")!.getChild("item")!;
      expect(set.attrs.name).toBe("Alice Liddell");

      names = { alice: "Alice Liddell" };
      await start();
      // The server's (simulated) roster is empty: only the removal itself is not a set.
      expect(rosterIqs()).toEqual(["get", `set alice@${GW}`]);
      expect(await storedHash()).not.toBe(renamed);
    });

    it("falls back to subscription requests and forgets the hash when the privileged set fails", async () => {
      await start();
      expect(await storedHash()).not.toBeNull();

      names = { alice: "Alice", bob: "Bob", carol: "Carol" };
      await start({ failSets: true });
      expect(rosterIqs()).toEqual(["get", `set alice@${GW}`]);
      expect(subscribesFrom()).toEqual([`alice@${GW}`, `bob@${GW}`, `carol@${GW}`]);
      await vi.waitFor(async () => expect(await storedHash()).toBeNull());

      // Without a hash the next start syncs in full, even with the same contacts.
      await start();
      expect(rosterIqs()).toEqual(["get", `set alice@${GW}`, `set bob@${GW}`, `set carol@${GW}`]);
      expect(await storedHash()).not.toBeNull();
    });

    it("syncs in full when the privileges arrive after the logins, whatever hash was stored", async () => {
      await start();
      const hash = await storedHash();

      await start({ privileges: "late" });
      // Logged in without knowing the privileges: subscription requests, so the hash is forgotten.
      expect(rosterIqs()).toEqual([]);
      expect(subscribesFrom()).toEqual([`alice@${GW}`, `bob@${GW}`]);
      await vi.waitFor(async () => expect(await storedHash()).toBeNull());

      await transport.inject(parseXml(ADVERTISEMENT));
      await vi.waitFor(() => expect(rosterIqs()).toEqual(["get", `set alice@${GW}`, `set bob@${GW}`]));
      await vi.waitFor(async () => expect(await storedHash()).toBe(hash));
    });
  });
});
