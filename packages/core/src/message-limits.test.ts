import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import type { ChatState, FormValues } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { BaseSession } from "./session.js";
import { startTestGateway } from "./testing/index.js";

/**
 * The bounds on what a user's message may carry (MESSAGE_LIMITS in @gangway/xmpp), through the
 * whole gateway: the refusal is the error reply to the user's message, and no hook is called.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const REACTIONS = "urn:xmpp:reactions:0";

const calls: string[] = [];

/** Records every chat hook it gets. */
class Session extends BaseSession<TestGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    calls.push(`message ${message.body.length > 20 ? `${message.body.length} chars` : message.body}`);
    return `L-${message.xmppId}`;
  }
  override async onCorrect(_chat: LegacyContact, legacyId: string, body: string) {
    calls.push(`correct ${legacyId} ${body}`);
  }
  override async onRetract(_chat: LegacyContact, legacyId: string) {
    calls.push(`retract ${legacyId}`);
  }
  override async onReact(_chat: LegacyContact, legacyId: string, emojis: readonly string[]) {
    calls.push(`react ${legacyId} [${emojis.join(",")}]`);
  }
  override async onDisplayed(_chat: LegacyContact, legacyId: string) {
    calls.push(`displayed ${legacyId}`);
  }
  override async onChatState(_chat: LegacyContact, state: ChatState) {
    calls.push(`state ${state}`);
  }
}

class TestGateway extends BaseGateway<BaseSession<TestGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<TestGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: TestGateway;
  /** The XMPP id of a message from alice the user can react to. */
  let shownId: string;

  beforeEach(async () => {
    calls.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(TestGateway, store, { domain: GW }));
    const contact = await gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
    await contact.sendText("hello", { id: "L1" });
    shownId = String(transport.nextSent().attrs.id);
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const send = (inner: string, id: string) =>
    transport.inject(`<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}">${inner}</message>`);

  /** The exact error reply to message `id`, and nothing else sent. */
  function expectError(id: string, condition: string, text: string) {
    const reply = transport.nextSent();
    expect(reply.attrs).toMatchObject({ type: "error", id, to: `${USER}/pc`, from: `alice@${GW}` });
    expect(canonicalXml(reply.getChild("error")!)).toBe(
      canonicalXml(`<error type="modify"><${condition} xmlns="${STANZAS}"/>
        <text xmlns="${STANZAS}" xml:lang="en">${text}</text></error>`),
    );
    transport.expectNothingSent();
  }

  const reactions = (...emojis: string[]) =>
    `<reactions xmlns="${REACTIONS}" id="${shownId}">${emojis.map((e) => `<reaction>${e}</reaction>`).join("")}</reactions>`;

  const INVALID_REACTION =
    "A reaction must be a single emoji (such as 👍, ❤️ or 🇫🇷), without text, markup, spaces or control characters.";

  describe("refused with the error the XEP prescribes, no hook called", () => {
    it("a body over 64 KiB: policy-violation naming the limit, never quoting the body", async () => {
      await send(`<body>secret ${"x".repeat(64 * 1024)}</body>`, "big");
      const reply = transport.nextSent();
      expect(reply.toString()).not.toContain("secret");
      transport.expectNothingSent();
      expect(canonicalXml(reply.getChild("error")!)).toBe(
        canonicalXml(`<error type="modify"><policy-violation xmlns="${STANZAS}"/>
          <text xmlns="${STANZAS}" xml:lang="en">This message is too long: the gateway accepts at most 65536 bytes of text (UTF-8) per message. Split it into several messages.</text></error>`),
      );
      // Exactly at the limit is fine.
      await send(`<body>${"x".repeat(64 * 1024)}</body>`, "max");
      expect(calls).toEqual(["message 65536 chars"]);
    });

    it("1000 distinct reactions: not-acceptable naming the limit", async () => {
      const many = Array.from({ length: 1000 }, (_, i) => String.fromCodePoint(0x1f300 + i));
      await send(reactions(...many), "r1");
      expectError(
        "r1",
        "not-acceptable",
        "Too many reactions: the gateway accepts at most 20 different reactions per message.",
      );
      expect(calls).toEqual([]);
    });

    it("a 10 KB reaction, or one holding markup or text: not-acceptable, never an empty set", async () => {
      const bad = ["x".repeat(10 * 1024), "<b>x</b>", "&lt;b&gt;x&lt;/b&gt;", "+1", "👍 👎", ""];
      for (const [index, reaction] of bad.entries()) {
        await send(reactions(reaction), `r${index}`);
        expectError(`r${index}`, "not-acceptable", INVALID_REACTION);
      }
      await send(reactions("👍", "<b>x</b>"), "mixed");
      expectError("mixed", "not-acceptable", INVALID_REACTION);
      expect(calls).toEqual([]);
    });

    it("<replace/> without an id: bad-request, not a new message", async () => {
      await send(`<body>first</body>`, "m1");
      await send(`<body>fixed</body><replace xmlns="urn:xmpp:message-correct:0"/>`, "m2");
      expectError(
        "m2",
        "bad-request",
        "A correction (XEP-0308 &lt;replace/&gt;) must name the message it corrects in its id attribute.",
      );
      expect(calls).toEqual(["message first"]);
    });

    it("<retract/> and <reactions/> without an id: bad-request", async () => {
      await send(`<retract xmlns="urn:xmpp:message-retract:1"/>`, "x1");
      expectError(
        "x1",
        "bad-request",
        "A retraction (XEP-0424 &lt;retract/&gt;) must name the message it retracts in its id attribute.",
      );
      await send(`<reactions xmlns="${REACTIONS}"><reaction>👍</reaction></reactions>`, "x2");
      expectError(
        "x2",
        "bad-request",
        "Reactions (XEP-0444 &lt;reactions/&gt;) must name the message they react to in their id attribute.",
      );
      expect(calls).toEqual([]);
    });
  });

  describe("accepted", () => {
    it("flag and ZWJ family emoji (one grapheme each), and an empty set that removes all", async () => {
      await send(reactions("🇫🇷", "👨‍👩‍👧‍👦", "🇫🇷"), "r1");
      await send(`<reactions xmlns="${REACTIONS}" id="${shownId}"/>`, "r2");
      transport.expectNothingSent();
      expect(calls).toEqual(["react L1 [🇫🇷,👨‍👩‍👧‍👦]", "react L1 []"]);
    });

    it("a read marker without an id is ignored (XEP-0333 markers get no error)", async () => {
      await send(`<displayed xmlns="urn:xmpp:chat-markers:0"/>`, "d1");
      transport.expectNothingSent();
      expect(calls).toEqual([]);
    });
  });
});
