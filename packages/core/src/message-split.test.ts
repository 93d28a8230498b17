import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { MESSAGE_ENVELOPE_BYTES } from "./split-text.js";
import { startTestGateway } from "./testing/index.js";

/**
 * Legacy → XMPP text longer than one stanza may carry (--max-stanza-bytes): sent as several
 * messages that each fit, all mapped to the one legacy id, and user limits taken from the options.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const STANZA_BYTES = 8 * 1024;
const calls: string[] = [];

class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    calls.push(`message ${message.body.length}`);
    return "L-out";
  }
  override async onReact(_chat: LegacyContact, legacyId: string, emojis: readonly string[]) {
    calls.push(`react ${legacyId} [${emojis.join(",")}]`);
  }
  override async onCorrect(_chat: LegacyContact, legacyId: string, body: string) {
    calls.push(`correct ${legacyId} ${body}`);
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

const bytes = (stanza: Element) => Buffer.byteLength(stanza.toString(), "utf8");

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;

  beforeEach(async () => {
    calls.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(TestGateway, store, {
      domain: GW,
      args: ["--max-stanza-bytes", String(STANZA_BYTES), "--max-body-bytes", "100", "--max-reactions", "2"],
    }));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  /** Every stanza sent and not looked at yet. */
  function unchecked(): Element[] {
    const stanzas: Element[] = [];
    for (;;) {
      try {
        stanzas.push(transport.nextSent());
      } catch {
        return stanzas;
      }
    }
  }
  const contact = () => gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
  const inject = (inner: string, id: string) =>
    transport.inject(`<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}">${inner}</message>`);

  describe("a legacy message longer than a stanza", () => {
    it("goes as several messages, each under the limit, split at line ends, losing nothing", async () => {
      const line = `${"word ".repeat(19)}é😀&<\n`; // 95 + 2 + 4 + 2 + 1 characters, more once escaped
      const body = line.repeat(300);
      await (await contact()).sendText(body, { id: "L1" });
      const sent = unchecked();
      expect(sent.length).toBeGreaterThan(3);
      for (const stanza of sent) {
        expect(bytes(stanza)).toBeLessThanOrEqual(STANZA_BYTES - MESSAGE_ENVELOPE_BYTES + 1024);
        expect(stanza.getChildText("body")?.endsWith("\n")).toBe(true);
      }
      expect(sent.map((stanza) => stanza.getChildText("body")).join("")).toBe(body);
      const ids = sent.map((stanza) => String(stanza.attrs.id));
      expect(new Set(ids).size).toBe(sent.length);
      // Every part leads back to the legacy message; the first is the one legacy actions refer to.
      const chat = await contact();
      for (const id of ids) expect(await chat.legacyIdOf(id)).toBe("L1");
      expect(await chat.xmppId("L1")).toBe(ids[0]);
      // The user reacting to the last part reacts to the legacy message.
      await inject(
        `<reactions xmlns="urn:xmpp:reactions:0" id="${ids.at(-1)}"><reaction>👍</reaction></reactions>`,
        "r1",
      );
      expect(calls).toEqual(["react L1 [👍]"]);
    });

    it("a legacy correction that grew too long: the first part corrects, the rest follow with the same legacy id", async () => {
      await (await contact()).sendText("short", { id: "L2" });
      const original = String(transport.nextSent().attrs.id);
      await (await contact()).correct("L2", "x ".repeat(STANZA_BYTES));
      const [first, ...rest] = unchecked();
      expect(first?.getChild("replace")?.attrs.id).toBe(original);
      expect(rest.length).toBeGreaterThan(0);
      for (const stanza of [first!, ...rest]) expect(bytes(stanza)).toBeLessThanOrEqual(STANZA_BYTES);
      expect([first!, ...rest].map((s) => s.getChildText("body")).join("")).toBe("x ".repeat(STANZA_BYTES));
      expect(await (await contact()).legacyIdOf(String(rest[0]!.attrs.id))).toBe("L2");
    });

    it("the gateway's own long answers (sendChat: command results, notices) are split too, in order", async () => {
      const text = Array.from({ length: 2000 }, (_, n) => `user${n}@example.org`).join("\n");
      await gateway.sendChat(USER, text);
      const sent = unchecked();
      expect(sent.length).toBeGreaterThan(1);
      for (const stanza of sent) {
        expect(stanza.attrs.from).toBe(GW);
        expect(bytes(stanza)).toBeLessThanOrEqual(STANZA_BYTES);
      }
      expect(sent.map((stanza) => stanza.getChildText("body")).join("")).toBe(text);
    });

    it("a text that fits is one message, as before", async () => {
      await (await contact()).sendText("hello", { id: "L3" });
      expect(transport.nextSent().getChildText("body")).toBe("hello");
      transport.expectNothingSent();
    });
  });

  describe("the user's limits come from --max-body-bytes and --max-reactions", () => {
    it("refuses a body over the configured bytes, naming them", async () => {
      await inject(`<body>${"x".repeat(101)}</body>`, "m1");
      const reply = transport.nextSent();
      expect(reply.attrs.type).toBe("error");
      expect(reply.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBe(
        "This message is too long: the gateway accepts at most 100 bytes of text (UTF-8) per message. Split it into several messages.",
      );
      await inject(`<body>${"x".repeat(100)}</body>`, "m2");
      expect(calls).toEqual(["message 100"]);
    });

    it("refuses more distinct reactions than configured", async () => {
      await (await contact()).sendText("hi", { id: "L4" });
      const shown = String(transport.nextSent().attrs.id);
      const react = (...emojis: string[]) =>
        `<reactions xmlns="urn:xmpp:reactions:0" id="${shown}">${emojis.map((e) => `<reaction>${e}</reaction>`).join("")}</reactions>`;
      await inject(react("👍", "👎", "🎉"), "r1");
      expect(
        transport.nextSent().getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas"),
      ).toBe("Too many reactions: the gateway accepts at most 2 different reactions per message.");
      await inject(react("👍", "👎"), "r2");
      expect(calls).toEqual(["react L4 [👍,👎]"]);
    });
  });
});
