import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import type { FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { gatewayStoppedText } from "./inbound-journal.js";
import { BaseSession } from "./session.js";
import { startTestGateway } from "./testing/index.js";

/**
 * The inbound journal: a message the gateway read and had not passed on when it crashed is
 * answered with an error at the next start; one it handled leaves nothing behind.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** Bodies that make the hook hang (the network never answers) or fail. */
const hanging: Array<() => void> = [];
const bodies: string[] = [];

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    bodies.push(message.body);
    if (message.body === "hang") await new Promise<void>((resolve) => hanging.push(resolve));
    if (message.body === "fail") throw new Error("network refused");
    return `L-${message.xmppId}`;
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  let store: Store;
  const gateways: TestGateway[] = [];

  async function start(): Promise<{ gateway: TestGateway; transport: MemoryTransport }> {
    const started = await startTestGateway(TestGateway, store, { domain: GW });
    gateways.push(started.gateway);
    return started;
  }
  const message = (body: string, id: string, to = `alice@${GW}`) =>
    `<message type="chat" id="${id}" from="${USER}/pc" to="${to}"><body>${body}</body></message>`;

  beforeEach(async () => {
    bodies.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    for (const release of hanging.splice(0)) release();
    for (const gateway of gateways.splice(0)) await gateway.stop();
  });

  describe("inbound journal", () => {
    it("leaves nothing in the database for messages handled within the flush interval", async () => {
      const { transport } = await start();
      for (let n = 0; n < 20; n++) await transport.inject(message(`hello ${n}`, `m${n}`));
      await store.inboundJournal.flush();
      expect(bodies).toHaveLength(20);
      expect(await store.inboundJournal.list()).toEqual([]);
      expect(store.inboundJournal.stats()).toMatchObject({ written: 0, cancelled: 20 });
    });

    it("answers a message a crashed run had not passed on, from the chat, with its id, without its body", async () => {
      const first = await start();
      void first.transport.inject(message("hang", "lost-1", `bob@${GW}`));
      await expect.poll(() => hanging.length).toBe(1);
      await store.inboundJournal.flush();
      const [record] = await store.inboundJournal.list();
      expect(record).toMatchObject({
        userJid: USER,
        stanzaId: "lost-1",
        fromJid: `${USER}/pc`,
        toJid: `bob@${GW}`,
      });
      expect(JSON.stringify(record)).not.toContain("hang");

      // The first run is gone without a word (SIGKILL); the next one starts on the same database.
      const { transport } = await startTestGateway(TestGateway, store, {
        domain: GW,
        keepStartupStanzas: true,
      });
      const bounce = transport.sent.find((stanza) => stanza.attrs.type === "error" && stanza.is("message"));
      expect(bounce).toBeDefined();
      expect(canonicalXml(bounce!)).toBe(
        canonicalXml(
          `<message from="bob@${GW}" to="${USER}/pc" id="lost-1" type="error"><error type="wait">` +
            `<service-unavailable xmlns="${STANZAS}"/>` +
            `<text xmlns="${STANZAS}" xml:lang="en">${gatewayStoppedText(`bob@${GW}`)}</text></error></message>`,
        ),
      );
      expect(await store.inboundJournal.list()).toEqual([]);
    });

    it("ends the record of a message whose hook failed, once the error reply is out", async () => {
      const { transport } = await start();
      await transport.inject(message("fail", "f1"));
      expect(transport.nextSent().attrs).toMatchObject({ type: "error", id: "f1" });
      await store.inboundJournal.flush();
      expect(await store.inboundJournal.list()).toEqual([]);
    });

    it("does not journal what carries no content (a chat state), nor messages to the gateway itself", async () => {
      const { transport } = await start();
      await transport.inject(
        `<message type="chat" id="s1" from="${USER}/pc" to="alice@${GW}"><composing xmlns="http://jabber.org/protocol/chatstates"/></message>`,
      );
      await transport.inject(message("help", "g1", GW));
      expect(store.inboundJournal.stats()).toMatchObject({ written: 0, cancelled: 0, pending: 0 });
    });
  });
});
