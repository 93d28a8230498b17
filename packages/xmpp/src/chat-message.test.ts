import { describe, expect, it } from "vitest";
import {
  buildChatMessage,
  buildPresence,
  type ChatMessage,
  MAX_REACTION_CODE_POINTS,
  parseChatMessage,
  RETRACTION_FALLBACK_TEXT,
  wrapPrivilegedMessage,
} from "./chat-message.js";
import { parseXml, xml } from "./element.js";
import { XmppError } from "./errors.js";

const FROM = "juliet@example.org/balcony";
const TO = "romeo@gw.example.org";

/** Parses `<message>` with the given children, as it arrives on a component stream. */
function inbound(children: string, attrs = `type='chat' id='m1'`): ChatMessage {
  return parseChatMessage(
    parseXml(
      `<message xmlns='jabber:component:accept' from='${FROM}' to='${TO}' ${attrs}>${children}</message>`,
    ),
  );
}

/** What a message with nothing in it parses to; each test spells out only what differs. */
const EMPTY: ChatMessage = {
  type: "chat",
  from: FROM,
  to: TO,
  id: "m1",
  originId: undefined,
  stanzaIds: [],
  body: undefined,
  rawBody: undefined,
  replyTo: undefined,
  correction: undefined,
  retraction: undefined,
  reactions: undefined,
  chatState: undefined,
  markable: false,
  received: undefined,
  displayed: undefined,
  acknowledged: undefined,
  requestsReceipt: false,
  deliveryReceipt: undefined,
  oobUrls: [],
  hasContent: false,
};

const base = { from: "alice@gw.example.org/legacy", to: "user@example.org", id: "out1" } as const;
const HEAD = '<message from="alice@gw.example.org/legacy" to="user@example.org" type="chat" id="out1">';

describe("parseChatMessage", () => {
  it("reads a plain message and keeps its addressing", () => {
    expect(inbound("<body>hi</body>")).toEqual({ ...EMPTY, body: "hi", rawBody: "hi", hasContent: true });
  });

  it("reads ids: stanza id, origin-id and every stanza-id with its issuer", () => {
    const parsed = inbound(
      "<body>x</body><origin-id xmlns='urn:xmpp:sid:0' id='o1'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='example.org' id='s1'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='muc.example.org' id='s2'/>",
    );
    expect(parsed.originId).toBe("o1");
    expect(parsed.stanzaIds).toEqual([
      { id: "s1", by: "example.org" },
      { id: "s2", by: "muc.example.org" },
    ]);
  });

  it("skips stanza-ids without an issuer or id, and empty ids everywhere", () => {
    const parsed = inbound(
      "<origin-id xmlns='urn:xmpp:sid:0' id=''/><stanza-id xmlns='urn:xmpp:sid:0' id='s1'/>" +
        "<stanza-id xmlns='urn:xmpp:sid:0' by='example.org'/>",
      "type='chat' id=''",
    );
    expect(parsed).toEqual({ ...EMPTY, id: undefined });
  });

  it("defaults the type to normal, also for unknown types", () => {
    expect(inbound("<body>x</body>", "id='m1'").type).toBe("normal");
    expect(inbound("<body>x</body>", "type='bogus' id='m1'").type).toBe("normal");
    expect(inbound("<body>x</body>", "type='groupchat' id='m1'").type).toBe("groupchat");
  });

  it("ignores elements of the right name in the wrong namespace", () => {
    expect(
      inbound(
        "<replace xmlns='urn:other' id='a'/><composing xmlns='urn:other'/>" +
          "<reactions xmlns='urn:other' id='a'><reaction>👍</reaction></reactions>" +
          "<received xmlns='urn:other' id='a'/><origin-id xmlns='urn:other' id='o'/>",
      ),
    ).toEqual(EMPTY);
  });

  describe("replies (XEP-0461) and their fallback (XEP-0428)", () => {
    it("strips the quoted range from the body and keeps the raw body", () => {
      const raw = "> Anna wrote:\n> Hi, how are you?\nGreat";
      const parsed = inbound(
        `<body>${raw}</body><reply xmlns='urn:xmpp:reply:0' to='anna@example.org/x' id='orig'/>` +
          "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='33'/></fallback>",
      );
      expect(parsed.body).toBe("Great");
      expect(parsed.rawBody).toBe(raw);
      expect(parsed.replyTo).toEqual({ id: "orig", to: "anna@example.org/x" });
      expect(parsed.hasContent).toBe(true);
    });

    it("counts offsets in code points, not UTF-16 units, with emoji before and inside the range", () => {
      // "👍 " is 2 code points but 3 UTF-16 units; "> 🎉\n" is 4 code points, 5 units.
      const parsed = inbound(
        "<body>👍 &gt; 🎉\nok 😀</body><reply xmlns='urn:xmpp:reply:0' id='orig'/>" +
          "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='2' end='6'/></fallback>",
      );
      expect(parsed.body).toBe("👍 ok 😀");
      expect(parsed.replyTo).toEqual({ id: "orig" });
    });

    it("removes several ranges, overlapping ones included", () => {
      const parsed = inbound(
        "<body>aXXbYYc</body><reply xmlns='urn:xmpp:reply:0' id='r'/>" +
          "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'>" +
          "<body start='1' end='3'/><body start='2' end='3'/><body start='4' end='6'/></fallback>",
      );
      expect(parsed.body).toBe("abc");
    });

    it("treats a fallback without body ranges as covering the whole body", () => {
      const reply = "<body>&gt; all quote</body><reply xmlns='urn:xmpp:reply:0' id='r'/>";
      expect(inbound(`${reply}<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'/>`).body).toBe("");
      expect(
        inbound(`${reply}<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body/></fallback>`)
          .body,
      ).toBe("");
      // A fallback that names only the subject leaves the body alone.
      expect(
        inbound(`${reply}<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><subject/></fallback>`)
          .body,
      ).toBe("> all quote");
    });

    it("keeps the body intact for fallbacks of other specs and ranges that do not fit", () => {
      const withFallback = (fallback: string) =>
        inbound(`<body>&gt; q\nhello</body><reply xmlns='urn:xmpp:reply:0' id='r'/>${fallback}`).body;
      expect(withFallback("<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:other'/>")).toBe("> q\nhello");
      expect(withFallback("<fallback xmlns='urn:xmpp:fallback:0'/>")).toBe("> q\nhello");
      for (const range of [
        "start='0' end='99'",
        "start='3' end='1'",
        "start='-1' end='2'",
        "start='0'",
        "start='a' end='4'",
      ]) {
        expect(
          withFallback(
            `<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body ${range}/></fallback>`,
          ),
        ).toBe("> q\nhello");
      }
    });

    it("keeps the quote when the reply element is unusable, and ignores a reply without id", () => {
      const parsed = inbound(
        "<body>&gt; q\nhello</body><reply xmlns='urn:xmpp:reply:0' to='a@b'/>" +
          "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='4'/></fallback>",
      );
      expect(parsed.replyTo).toBeUndefined();
      expect(parsed.body).toBe("> q\nhello");
    });
  });

  it("reads a correction, and a correction that is also a reply", () => {
    expect(inbound("<body>fixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m0'/>")).toEqual({
      ...EMPTY,
      body: "fixed",
      rawBody: "fixed",
      correction: "m0",
      hasContent: true,
    });
    const both = inbound(
      "<body>&gt; q\nfixed</body><replace xmlns='urn:xmpp:message-correct:0' id='m0'/>" +
        "<reply xmlns='urn:xmpp:reply:0' id='q1'/>" +
        "<fallback xmlns='urn:xmpp:fallback:0' for='urn:xmpp:reply:0'><body start='0' end='4'/></fallback>",
    );
    expect([both.correction, both.replyTo, both.body]).toEqual(["m0", { id: "q1" }, "fixed"]);
  });

  it("ignores a correction without id", () => {
    expect(inbound("<replace xmlns='urn:xmpp:message-correct:0'/>")).toEqual(EMPTY);
  });

  describe("retractions (XEP-0424)", () => {
    it("reads the current form", () => {
      const parsed = inbound(
        `<retract xmlns='urn:xmpp:message-retract:1' id='m0'/><body>${RETRACTION_FALLBACK_TEXT}</body>`,
      );
      expect(parsed.retraction).toBe("m0");
      expect(parsed.hasContent).toBe(true);
    });

    it("reads the older fastening form", () => {
      const parsed = inbound(
        "<apply-to xmlns='urn:xmpp:fasten:0' id='m0'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to>",
      );
      expect(parsed.retraction).toBe("m0");
      expect(parsed.hasContent).toBe(true);
    });

    it("prefers the current form when both name different messages", () => {
      expect(
        inbound(
          "<apply-to xmlns='urn:xmpp:fasten:0' id='old'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to>" +
            "<retract xmlns='urn:xmpp:message-retract:1' id='new'/>",
        ).retraction,
      ).toBe("new");
    });

    it("ignores retractions without id and fastenings that are not retractions", () => {
      expect(
        inbound(
          "<retract xmlns='urn:xmpp:message-retract:1'/>" +
            "<apply-to xmlns='urn:xmpp:fasten:0'><retract xmlns='urn:xmpp:message-retract:0'/></apply-to>" +
            "<apply-to xmlns='urn:xmpp:fasten:0' id='m0'><other xmlns='urn:x'/></apply-to>" +
            "<apply-to xmlns='urn:xmpp:fasten:0' id='m0'><retract xmlns='urn:xmpp:message-retract:1'/></apply-to>",
        ),
      ).toEqual(EMPTY);
    });
  });

  describe("reactions (XEP-0444)", () => {
    it("reads trimmed, deduplicated reactions in order, astral and ZWJ sequences included, text refused", () => {
      const family = "👨‍👩‍👧‍👦";
      const parsed = inbound(
        "<reactions xmlns='urn:xmpp:reactions:0' id='m0'>" +
          `<reaction> 👍 </reaction><reaction>${family}</reaction><reaction>👍</reaction><reaction>+1</reaction>` +
          "</reactions><store xmlns='urn:xmpp:hints'/>",
      );
      expect(parsed.reactions).toEqual({ id: "m0", emojis: ["👍", family], invalid: 1 });
      expect(parsed.hasContent).toBe(true);
    });

    it("reads an empty set as 'remove all my reactions'", () => {
      const parsed = inbound("<reactions xmlns='urn:xmpp:reactions:0' id='m0'/>");
      expect(parsed.reactions).toEqual({ id: "m0", emojis: [], invalid: 0 });
      expect(parsed.hasContent).toBe(true);
    });

    it("counts empty, overlong and multi-emoji reactions as invalid; ignores reactions without a target id", () => {
      const long = "a".repeat(MAX_REACTION_CODE_POINTS + 1);
      const many = "😀".repeat(2);
      expect(
        inbound(
          `<reactions xmlns='urn:xmpp:reactions:0' id='m0'><reaction>  </reaction><reaction/><reaction>${long}</reaction>` +
            `<reaction>${many}</reaction><reaction>😀</reaction></reactions>`,
        ).reactions,
      ).toEqual({ id: "m0", emojis: ["😀"], invalid: 4 });
      expect(inbound("<reactions xmlns='urn:xmpp:reactions:0'><reaction>👍</reaction></reactions>")).toEqual(
        EMPTY,
      );
    });

    it("uses only the first reactions element", () => {
      expect(
        inbound(
          "<reactions xmlns='urn:xmpp:reactions:0' id='a'><reaction>👍</reaction></reactions>" +
            "<reactions xmlns='urn:xmpp:reactions:0' id='b'><reaction>👎</reaction></reactions>",
        ).reactions,
      ).toEqual({ id: "a", emojis: ["👍"], invalid: 0 });
    });
  });

  it.each(["active", "composing", "paused", "inactive", "gone"] as const)(
    "reads chat state %s alone as no content",
    (state) => {
      expect(inbound(`<${state} xmlns='http://jabber.org/protocol/chatstates'/>`)).toEqual({
        ...EMPTY,
        chatState: state,
      });
    },
  );

  it("ignores unknown chat states and reads a chat state next to a body", () => {
    expect(inbound("<typing xmlns='http://jabber.org/protocol/chatstates'/>")).toEqual(EMPTY);
    const parsed = inbound("<body>hi</body><active xmlns='http://jabber.org/protocol/chatstates'/>");
    expect([parsed.chatState, parsed.hasContent]).toEqual(["active", true]);
  });

  it("reads chat markers and the markable flag", () => {
    expect(inbound("<displayed xmlns='urn:xmpp:chat-markers:0' id='m0'/>")).toEqual({
      ...EMPTY,
      displayed: "m0",
      hasContent: true,
    });
    expect(inbound("<received xmlns='urn:xmpp:chat-markers:0' id='m0'/>")).toEqual({
      ...EMPTY,
      received: "m0",
      hasContent: true,
    });
    expect(inbound("<acknowledged xmlns='urn:xmpp:chat-markers:0' id='m0'/>")).toEqual({
      ...EMPTY,
      acknowledged: "m0",
      hasContent: true,
    });
    const markable = inbound("<body>hi</body><markable xmlns='urn:xmpp:chat-markers:0'/>");
    expect(markable.markable).toBe(true);
    // Flags qualify content; alone they ask for nothing.
    expect(
      inbound("<markable xmlns='urn:xmpp:chat-markers:0'/><request xmlns='urn:xmpp:receipts'/>").hasContent,
    ).toBe(false);
  });

  it("ignores markers without id", () => {
    expect(
      inbound(
        "<displayed xmlns='urn:xmpp:chat-markers:0'/><received xmlns='urn:xmpp:chat-markers:0'/>" +
          "<acknowledged xmlns='urn:xmpp:chat-markers:0' id=''/><received xmlns='urn:xmpp:receipts'/>",
      ),
    ).toEqual(EMPTY);
  });

  it("reads XEP-0184 receipt requests and receipts apart from XEP-0333 markers", () => {
    const request = inbound("<body>hi</body><request xmlns='urn:xmpp:receipts'/>");
    expect(request.requestsReceipt).toBe(true);
    expect(inbound("<received xmlns='urn:xmpp:receipts' id='m0'/>")).toEqual({
      ...EMPTY,
      deliveryReceipt: "m0",
      hasContent: true,
    });
  });

  it("reads out-of-band URLs, trimmed, skipping empty ones", () => {
    const parsed = inbound(
      "<body>https://a.example/1.png</body><x xmlns='jabber:x:oob'><url> https://a.example/1.png </url><desc>d</desc></x>" +
        "<x xmlns='jabber:x:oob'><url/></x><x xmlns='jabber:x:oob'/><x xmlns='jabber:x:oob'><url>https://b.example/2</url></x>",
    );
    expect(parsed.oobUrls).toEqual(["https://a.example/1.png", "https://b.example/2"]);
    expect(inbound("<x xmlns='jabber:x:oob'><url>https://b.example/2</url></x>").hasContent).toBe(true);
  });

  it("does not count a blank body as content", () => {
    expect(inbound("<body>  </body>").hasContent).toBe(false);
    expect(inbound("<body/>").hasContent).toBe(false);
  });

  it("returns a frozen description", () => {
    const parsed = inbound(
      "<body>x</body><stanza-id xmlns='urn:xmpp:sid:0' by='a' id='b'/><reactions xmlns='urn:xmpp:reactions:0' id='m0'/>",
    );
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(Object.isFrozen(parsed.stanzaIds)).toBe(true);
    expect(Object.isFrozen(parsed.stanzaIds[0])).toBe(true);
    expect(Object.isFrozen(parsed.reactions?.emojis)).toBe(true);
    expect(Object.isFrozen(parsed.oobUrls)).toBe(true);
  });

  it("reads what buildChatMessage writes", () => {
    const built = buildChatMessage({
      ...base,
      body: "🎉 yes",
      originId: true,
      replyTo: { id: "q1", to: "user@example.org/phone", fallbackText: "😀 question?" },
      correctionOf: "c1",
      markable: true,
      requestReceipt: true,
      chatState: "active",
    });
    expect(parseChatMessage(built)).toMatchObject({
      id: "out1",
      originId: "out1",
      body: "🎉 yes",
      rawBody: "> 😀 question?\n🎉 yes",
      replyTo: { id: "q1", to: "user@example.org/phone" },
      correction: "c1",
      markable: true,
      requestsReceipt: true,
      chatState: "active",
      hasContent: true,
    });
    const retraction = parseChatMessage(buildChatMessage({ ...base, retractionOf: "m0" }));
    expect([retraction.retraction, retraction.body]).toEqual(["m0", RETRACTION_FALLBACK_TEXT]);
    const reactions = parseChatMessage(
      buildChatMessage({ ...base, reactions: { id: "m0", emojis: ["👍"] } }),
    );
    expect(reactions.reactions).toEqual({ id: "m0", emojis: ["👍"], invalid: 0 });
  });
});

describe("buildChatMessage", () => {
  it("builds a plain chat message", () => {
    expect(buildChatMessage({ ...base, body: "hi" }).toString()).toBe(`${HEAD}<body>hi</body></message>`);
    expect(buildChatMessage({ ...base, type: "normal", body: "hi" }).toString()).toBe(
      '<message from="alice@gw.example.org/legacy" to="user@example.org" type="normal" id="out1"><body>hi</body></message>',
    );
  });

  it("drops XML-invalid characters from bodies, quotes and reactions", () => {
    expect(buildChatMessage({ ...base, body: "a\u0000b\u001bc\ufffe<&>" }).toString()).toBe(
      `${HEAD}<body>abc&lt;&amp;&gt;</body></message>`,
    );
    expect(buildChatMessage({ ...base, body: "\u0007" }).toString()).toBe(
      '<message from="alice@gw.example.org/legacy" to="user@example.org" type="chat" id="out1"/>',
    );
    expect(
      buildChatMessage({ ...base, reactions: { id: "m0", emojis: ["\u0001", "👍\u0002", "👍"] } }).toString(),
    ).toBe(
      `${HEAD}<reactions xmlns="urn:xmpp:reactions:0" id="m0"><reaction>👍</reaction></reactions>` +
        '<store xmlns="urn:xmpp:hints"/></message>',
    );
  });

  it("adds an origin-id equal to the stanza id", () => {
    expect(buildChatMessage({ ...base, body: "hi", originId: true }).toString()).toBe(
      `${HEAD}<body>hi</body><origin-id xmlns="urn:xmpp:sid:0" id="out1"/></message>`,
    );
  });

  it("builds a reply without fallback", () => {
    expect(buildChatMessage({ ...base, body: "yes", replyTo: { id: "q1" } }).toString()).toBe(
      `${HEAD}<body>yes</body><reply xmlns="urn:xmpp:reply:0" id="q1"/></message>`,
    );
  });

  it("builds a reply with a quoted fallback whose end counts code points", () => {
    // "> 😀 a\n> b\n" is 10 code points but 11 UTF-16 units.
    expect(
      buildChatMessage({
        ...base,
        body: "ok",
        replyTo: { id: "q1", to: "user@example.org/phone", fallbackText: "😀 a\nb\n" },
      }).toString(),
    ).toBe(
      `${HEAD}<body>&gt; 😀 a\n&gt; b\nok</body>` +
        '<reply xmlns="urn:xmpp:reply:0" to="user@example.org/phone" id="q1"/>' +
        '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="10"/></fallback></message>',
    );
  });

  it("sanitizes the quote before counting, so offsets match what is sent", () => {
    const built = buildChatMessage({
      ...base,
      body: "ok\u0000",
      replyTo: { id: "q1", fallbackText: "\u0001🎉\u0002" },
    });
    expect(built.toString()).toBe(
      `${HEAD}<body>&gt; 🎉\nok</body><reply xmlns="urn:xmpp:reply:0" id="q1"/>` +
        '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="4"/></fallback></message>',
    );
    expect(parseChatMessage(built).body).toBe("ok");
  });

  it("leaves out the fallback when the quoted text is empty", () => {
    expect(
      buildChatMessage({ ...base, body: "ok", replyTo: { id: "q1", fallbackText: "\n" } }).toString(),
    ).toBe(`${HEAD}<body>ok</body><reply xmlns="urn:xmpp:reply:0" id="q1"/></message>`);
  });

  it("builds a correction, and a corrected reply", () => {
    expect(buildChatMessage({ ...base, body: "fixed", correctionOf: "m0" }).toString()).toBe(
      `${HEAD}<body>fixed</body><replace xmlns="urn:xmpp:message-correct:0" id="m0"/></message>`,
    );
    expect(
      buildChatMessage({
        ...base,
        body: "fixed",
        correctionOf: "m0",
        replyTo: { id: "q1", fallbackText: "q" },
      }).toString(),
    ).toBe(
      `${HEAD}<body>&gt; q\nfixed</body><reply xmlns="urn:xmpp:reply:0" id="q1"/>` +
        '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:reply:0"><body start="0" end="4"/></fallback>' +
        '<replace xmlns="urn:xmpp:message-correct:0" id="m0"/></message>',
    );
  });

  it("builds a retraction in both forms with its fallback body and a store hint", () => {
    expect(buildChatMessage({ ...base, retractionOf: "m0" }).toString()).toBe(
      `${HEAD}<body>This person attempted to retract a previous message, but it's unsupported by your client.</body>` +
        '<retract xmlns="urn:xmpp:message-retract:1" id="m0"/>' +
        '<apply-to xmlns="urn:xmpp:fasten:0" id="m0"><retract xmlns="urn:xmpp:message-retract:0"/></apply-to>' +
        '<fallback xmlns="urn:xmpp:fallback:0" for="urn:xmpp:message-retract:1"/>' +
        '<store xmlns="urn:xmpp:hints"/></message>',
    );
  });

  it("builds reactions, deduplicated, and the empty set, with a store hint", () => {
    expect(buildChatMessage({ ...base, reactions: { id: "m0", emojis: ["👍", "❤️", "👍"] } }).toString()).toBe(
      `${HEAD}<reactions xmlns="urn:xmpp:reactions:0" id="m0"><reaction>👍</reaction><reaction>❤️</reaction></reactions>` +
        '<store xmlns="urn:xmpp:hints"/></message>',
    );
    expect(buildChatMessage({ ...base, reactions: { id: "m0", emojis: [] } }).toString()).toBe(
      `${HEAD}<reactions xmlns="urn:xmpp:reactions:0" id="m0"/><store xmlns="urn:xmpp:hints"/></message>`,
    );
  });

  it("marks a bare chat state no-store, but not a chat state next to a body", () => {
    expect(buildChatMessage({ ...base, chatState: "composing" }).toString()).toBe(
      `${HEAD}<composing xmlns="http://jabber.org/protocol/chatstates"/><no-store xmlns="urn:xmpp:hints"/></message>`,
    );
    expect(
      buildChatMessage({
        ...base,
        body: "hi",
        chatState: "active",
        markable: true,
        requestReceipt: true,
      }).toString(),
    ).toBe(
      `${HEAD}<body>hi</body><active xmlns="http://jabber.org/protocol/chatstates"/>` +
        '<markable xmlns="urn:xmpp:chat-markers:0"/><request xmlns="urn:xmpp:receipts"/></message>',
    );
  });

  it("confirms delivery with both XEP-0184 and XEP-0333, and marks displayed, with a store hint", () => {
    expect(buildChatMessage({ ...base, received: "m0" }).toString()).toBe(
      `${HEAD}<received xmlns="urn:xmpp:receipts" id="m0"/><received xmlns="urn:xmpp:chat-markers:0" id="m0"/>` +
        '<store xmlns="urn:xmpp:hints"/></message>',
    );
    expect(buildChatMessage({ ...base, displayed: "m0" }).toString()).toBe(
      `${HEAD}<displayed xmlns="urn:xmpp:chat-markers:0" id="m0"/><store xmlns="urn:xmpp:hints"/></message>`,
    );
  });

  it("lets the caller override or drop the hint", () => {
    expect(buildChatMessage({ ...base, chatState: "paused", storeHint: "none" }).toString()).toBe(
      `${HEAD}<paused xmlns="http://jabber.org/protocol/chatstates"/></message>`,
    );
    expect(buildChatMessage({ ...base, body: "secret", storeHint: "no-store" }).toString()).toBe(
      `${HEAD}<body>secret</body><no-store xmlns="urn:xmpp:hints"/></message>`,
    );
  });

  it("adds a delay with whole seconds, or milliseconds when there are some", () => {
    expect(
      buildChatMessage({
        ...base,
        body: "old",
        delay: { stamp: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)) },
      }).toString(),
    ).toBe(`${HEAD}<body>old</body><delay xmlns="urn:xmpp:delay" stamp="2024-01-02T03:04:05Z"/></message>`);
    expect(
      buildChatMessage({
        ...base,
        body: "old",
        delay: { stamp: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 67)), from: "gw.example.org" },
      }).toString(),
    ).toBe(
      `${HEAD}<body>old</body><delay xmlns="urn:xmpp:delay" from="gw.example.org" stamp="2024-01-02T03:04:05.067Z"/></message>`,
    );
  });

  it("refuses combinations that cannot be expressed", () => {
    expect(() => buildChatMessage({ ...base, body: "x", retractionOf: "m0" })).toThrow(RangeError);
    expect(() => buildChatMessage({ ...base, replyTo: { id: "q" } })).toThrow(/needs a non-empty body/);
    expect(() => buildChatMessage({ ...base, body: "\u0000", replyTo: { id: "q" } })).toThrow(RangeError);
    expect(() => buildChatMessage({ ...base, body: "x", delay: { stamp: new Date(Number.NaN) } })).toThrow(
      /Invalid date/,
    );
  });
});

describe("buildPresence", () => {
  const who = { from: "alice@gw.example.org/legacy", to: "user@example.org" } as const;

  it("builds plain availability and unavailability", () => {
    expect(buildPresence(who).toString()).toBe(
      '<presence from="alice@gw.example.org/legacy" to="user@example.org"/>',
    );
    expect(buildPresence({ ...who, type: "unavailable", status: "bye" }).toString()).toBe(
      '<presence from="alice@gw.example.org/legacy" to="user@example.org" type="unavailable"><status>bye</status></presence>',
    );
  });

  it("builds every extension", () => {
    expect(
      buildPresence({
        ...who,
        show: "away",
        status: "Out\u0000 🏖",
        priority: -5,
        idleSince: new Date(Date.UTC(2024, 5, 1, 12, 0, 0)),
        nick: "Alice\u0008 ✨",
        caps: { node: "https://gangway.example/caps", ver: "abc=", hash: "sha-1" },
        avatarHash: "0123456789abcdef0123456789abcdef01234567",
      }).toString(),
    ).toBe(
      '<presence from="alice@gw.example.org/legacy" to="user@example.org"><show>away</show><status>Out 🏖</status>' +
        "<priority>-5</priority>" +
        '<c xmlns="http://jabber.org/protocol/caps" hash="sha-1" node="https://gangway.example/caps" ver="abc="/>' +
        '<x xmlns="vcard-temp:x:update"><photo>0123456789abcdef0123456789abcdef01234567</photo></x>' +
        '<nick xmlns="http://jabber.org/protocol/nick">Alice ✨</nick>' +
        '<idle xmlns="urn:xmpp:idle:1" since="2024-06-01T12:00:00Z"/></presence>',
    );
  });

  it("says 'no avatar' with an empty photo, and nothing about avatars when not told", () => {
    expect(buildPresence({ ...who, avatarHash: null }).toString()).toBe(
      '<presence from="alice@gw.example.org/legacy" to="user@example.org"><x xmlns="vcard-temp:x:update"><photo/></x></presence>',
    );
  });

  it("leaves out a status or nick that sanitizing empties", () => {
    expect(buildPresence({ ...who, status: "\u0000", nick: "\u0001" }).toString()).toBe(
      '<presence from="alice@gw.example.org/legacy" to="user@example.org"/>',
    );
  });

  it("refuses priorities outside -128..127", () => {
    for (const priority of [128, -129, 1.5, Number.NaN]) {
      expect(() => buildPresence({ ...who, priority })).toThrow(RangeError);
    }
    expect(buildPresence({ ...who, priority: 127 }).toString()).toContain("<priority>127</priority>");
  });
});

describe("wrapPrivilegedMessage", () => {
  const inner = () =>
    xml(
      "message",
      { from: "someone-else@example.org/res", to: "alice@gw.example.org", type: "chat", id: "u1" },
      xml("body", {}, "sent from the legacy app"),
    );
  const expected = (namespace: string) =>
    `<message from="gw.example.org" to="example.org"><privilege xmlns="${namespace}">` +
    '<forwarded xmlns="urn:xmpp:forward:0">' +
    '<message xmlns="jabber:client" from="user@example.org" to="alice@gw.example.org" type="chat" id="u1">' +
    "<body>sent from the legacy app</body></message></forwarded></privilege></message>";

  it.each(["urn:xmpp:privilege:1", "urn:xmpp:privilege:2"] as const)("wraps for %s", (namespace) => {
    expect(wrapPrivilegedMessage(namespace, "gw.example.org", "user@example.org", inner()).toString()).toBe(
      expected(namespace),
    );
  });

  it("does not modify the inner message, and rewrites a component-stream namespace", () => {
    const original = parseXml(
      "<message xmlns='jabber:component:accept' to='alice@gw.example.org' type='chat' id='u1'><body>hi</body></message>",
    );
    const before = original.toString();
    const wrapped = wrapPrivilegedMessage(
      "urn:xmpp:privilege:2",
      "gw.example.org",
      "user@example.org",
      original,
    );
    expect(original.toString()).toBe(before);
    const forwarded = wrapped
      .getChild("privilege", "urn:xmpp:privilege:2")
      ?.getChild("forwarded", "urn:xmpp:forward:0");
    const copy = forwarded?.getChild("message", "jabber:client");
    expect(copy?.toString()).toBe(
      '<message xmlns="jabber:client" from="user@example.org" to="alice@gw.example.org" type="chat" id="u1"><body>hi</body></message>',
    );
    expect(copy?.getChild("body")).not.toBe(original.getChild("body"));
  });

  it("refuses a full JID, a non-JID and a non-message", () => {
    expect(() =>
      wrapPrivilegedMessage("urn:xmpp:privilege:2", "gw.example.org", "user@example.org/r", inner()),
    ).toThrow(RangeError);
    expect(() =>
      wrapPrivilegedMessage("urn:xmpp:privilege:2", "gw.example.org", "@example.org", inner()),
    ).toThrow(XmppError);
    expect(() =>
      wrapPrivilegedMessage("urn:xmpp:privilege:2", "gw.example.org", "user@example.org", xml("iq")),
    ).toThrow(/Only a <message\/>/);
  });
});
