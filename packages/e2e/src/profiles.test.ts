import { type ProsodyServer, registerAccount, runSlixmppClient, startProsody } from "@gangway/testing";
import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, GW, type RunningGateway, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * What a client asks the gateway besides messages, through a real Prosody with slixmpp: contact
 * search, vCards, avatars, and a reaction to a message sent before the gateway restarted.
 */

const USER = "juliet@localhost";
const ALICE = `alice@${GW}`;
const ECHO = `echo@${GW}`;

// Those of the driver whose suite runs now (the drivers' suites run one after the other).
const cleanups = new Cleanups();
let prosody: ProsodyServer;
let database: TestDatabase;
let running: RunningGateway;

async function startGateway(): Promise<void> {
  running = await startDemoGateway(prosody, cleanups, {
    database,
    beforeStart: async (store) => {
      if (!(await store.users.get(USER))) {
        await store.users.create({ jid: USER, registration: { username: "juliet", password: "pw" } });
      }
    },
  });
}

/** One slixmpp run of raw steps; returns the stanzas its expects matched, parsed. */
async function exchange(steps: NonNullable<Parameters<typeof runSlixmppClient>[0]["raw"]>["steps"]) {
  const run = await runSlixmppClient({
    server: prosody,
    jid: USER,
    password: "pw",
    raw: { steps },
    timeoutMs: 15_000,
  });
  expect(run.rawError).toBeUndefined();
  return run.rawMatches.map((match) => parseXml(match.xml));
}

onEachDriver((driver) => {
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    await registerAccount(prosody, "juliet", "pw");
    database = await createTestDatabase(driver, cleanups);
    await startGateway();
  });
  afterAll(async () => {
    await cleanups.run();
  });

  describe("profiles, pictures and search through Prosody", () => {
    it("vcard-temp and vCard4 of alice: full name, email, photo", async () => {
      const [vcardTemp, vcard4] = await exchange([
        { send: `<iq type="get" id="v1" to="${ALICE}"><vCard xmlns="vcard-temp"/></iq>` },
        { expect: { stanza: "iq", id: "v1", type: "result" } },
        {
          send: `<iq type="get" id="v2" to="${ALICE}"><vcard xmlns="urn:ietf:params:xml:ns:vcard-4.0"/></iq>`,
        },
        { expect: { stanza: "iq", id: "v2", type: "result" } },
      ]);
      const card = vcardTemp!.getChild("vCard", "vcard-temp")!;
      expect(card.getChildText("FN")).toBe("Alice Demo");
      expect(card.getChild("EMAIL")?.getChildText("USERID")).toBe("alice@demo.invalid");
      expect(card.getChild("PHOTO")?.getChildText("TYPE")).toBe("image/png");
      expect(
        Buffer.from(card.getChild("PHOTO")!.getChildText("BINVAL")!, "base64").subarray(1, 4).toString(),
      ).toBe("PNG");
      expect(vcard4!.getChild("vcard")!.getChild("fn")!.getChildText("text")).toBe("Alice Demo");
    });

    it("the avatar through XEP-0084: metadata, then the data it names", async () => {
      const alice = await running.gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
      const id = alice.avatar!.id;
      const [metadata, data] = await exchange([
        {
          send: `<iq type="get" id="a1" to="${ALICE}"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:metadata"/></pubsub></iq>`,
        },
        { expect: { stanza: "iq", id: "a1", type: "result" } },
        {
          send: `<iq type="get" id="a2" to="${ALICE}"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:avatar:data"><item id="${id}"/></items></pubsub></iq>`,
        },
        { expect: { stanza: "iq", id: "a2", type: "result" } },
      ]);
      const info = metadata!
        .getChild("pubsub")!
        .getChild("items")!
        .getChild("item")!
        .getChild("metadata")!
        .getChild("info")!;
      expect(info.attrs).toMatchObject({ id, type: "image/png", width: "32", height: "32" });
      const base64 = data!.getChild("pubsub")!.getChild("items")!.getChild("item")!.getChildText("data")!;
      expect(Buffer.from(base64, "base64").equals(Buffer.from(alice.avatar!.data))).toBe(true);
    });

    it("XEP-0055 search on the gateway finds alice and bob by a name fragment", async () => {
      const [form, results] = await exchange([
        { send: `<iq type="get" id="s1" to="${GW}"><query xmlns="jabber:iq:search"/></iq>` },
        { expect: { stanza: "iq", id: "s1", type: "result" } },
        {
          send: `<iq type="set" id="s2" to="${GW}"><query xmlns="jabber:iq:search"><x xmlns="jabber:x:data" type="submit">
            <field var="FORM_TYPE" type="hidden"><value>jabber:iq:search</value></field><field var="query"><value>demo</value></field></x></query></iq>`,
        },
        { expect: { stanza: "iq", id: "s2", type: "result" } },
      ]);
      const fields = form!
        .getChild("query")!
        .getChild("x")!
        .getChildren("field")
        .map((f) => f.attrs.var);
      expect(fields).toEqual(["FORM_TYPE", "query"]);
      const jids = results!
        .getChild("query")!
        .getChild("x")!
        .getChildren("item")
        .map((item) =>
          item
            .getChildren("field")
            .find((f) => f.attrs.var === "jid")!
            .getChildText("value"),
        );
      expect(jids).toEqual([ALICE, `bob@${GW}`]);
    });
  });

  describe("a reaction to a message from before a gateway restart", () => {
    it("still reaches the right message: ids are persisted", async () => {
      const [answer] = await exchange([
        { send: `<message type="chat" to="${ECHO}" id="before-restart"><body>remember me</body></message>` },
        { expect: { stanza: "message", body: "^echo: remember me$" } },
      ]);
      await running.stop();
      await startGateway();
      const [reaction] = await exchange([
        {
          send: `<message type="chat" to="${ECHO}" id="x1"><reactions xmlns="urn:xmpp:reactions:0" id="${answer!.attrs.id}"><reaction>🎉</reaction></reactions></message>`,
        },
        { expect: { stanza: "message", has: "{urn:xmpp:reactions:0}reactions" } },
      ]);
      expect(reaction!.getChild("reactions", "urn:xmpp:reactions:0")!.toString()).toBe(
        `<reactions xmlns="urn:xmpp:reactions:0" id="before-restart"><reaction>🎉</reaction></reactions>`,
      );
    });
  });
});
