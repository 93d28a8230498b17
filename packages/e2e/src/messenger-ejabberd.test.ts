import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ALICE,
  BOB,
  FAMILY,
  MARKERS,
  type MessengerStack,
  registerWithMessenger,
  startMessengerStack,
  why,
} from "./messenger-support.js";
import { Cleanups } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * The real `gangway-messenger --backend fake` against a second server implementation, Debian's
 * ejabberd 23.01, whose privileged roster set fails (the gateway offers the friends as
 * subscription requests instead, with their names): registration through the checkpoint, alice.fb
 * and bob.fb offered, alice.fb's answer in 1:1 and in Family.
 */

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;

  beforeAll(async () => {
    stack = await startMessengerStack(cleanups, driver, "ejabberd");
  }, 120_000);
  afterAll(() => cleanups.run());

  it("registration with the checkpoint, friends offered with their names, alice.fb answers in 1:1 and in Family", async () => {
    const nick = "http://jabber.org/protocol/nick";
    const run = await registerWithMessenger(stack.server, "carol", "checkpoint.carol@example.org", "pw", {
      stages: [{ values: { code: "123456" } }],
      afterLogin: [
        { expect: { stanza: "presence", from: ALICE, type: "subscribe" }, timeoutMs: 60_000 },
        { expect: { stanza: "presence", from: BOB, type: "subscribe" }, timeoutMs: 60_000 },
        {
          send: `<message type="chat" to="${ALICE}" id="m1"><body>hi</body><markable xmlns="${MARKERS}"/></message>`,
        },
        {
          expect: { from: ALICE, body: "^seen: hi$", has: "{urn:xmpp:reply:0}reply[@id='m1']" },
          timeoutMs: 60_000,
        },
        { send: `<presence to="${FAMILY}/carol"><x xmlns="http://jabber.org/protocol/muc"/></presence>` },
        // The gateway names the user after their email's local part (status 210: nick changed).
        {
          expect: {
            stanza: "presence",
            from: FAMILY,
            has: [
              "{http://jabber.org/protocol/muc#user}x/{http://jabber.org/protocol/muc#user}status[@code='110']",
              "{http://jabber.org/protocol/muc#user}x/{http://jabber.org/protocol/muc#user}status[@code='210']",
            ],
          },
          capture: { self: "@from" },
          timeoutMs: 60_000,
        },
        { send: `<message type="groupchat" to="${FAMILY}" id="g1"><body>hi all</body></message>` },
        {
          expect: {
            stanza: "message",
            type: "groupchat",
            from: `${FAMILY}/Alice Facebook`,
            body: "^seen: hi all$",
          },
          timeoutMs: 60_000,
        },
      ],
    });
    expect(run.rawError ?? run.adhocError ?? run.errors, why(run, stack.gateway)).toEqual([]);
    const [, alice, bob] = run.rawMatches.map((m) => parseXml(m.xml));
    expect(alice!.getChildText("nick", nick)).toBe("Alice Facebook");
    expect(bob!.getChildText("nick", nick)).toBe("Bob Facebook");
    expect(run.captured.self).toBe(`${FAMILY}/checkpoint.carol`);
  }, 180_000);
});
