import type { Element } from "@gangway/xmpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalXml } from "./canonical-xml.js";
import { connectClient, type TestClient } from "./clients.js";
import { type ProsodyOptions, type ProsodyServer, startProsody } from "./prosody.js";
import { runSlixmppClient } from "./slixmpp.js";

// These tests drive Debian's python3-slixmpp against a real Prosody: the script's XEP-0050 and
// chat support is only worth something if a server (or a client) it did not write answers it.

const NS_COMMANDS = "http://jabber.org/protocol/commands";
const ADD_USER = "http://jabber.org/protocol/admin#add-user";
const ONLINE_USERS = "http://jabber.org/protocol/admin#get-online-users-list";
const RELOAD_MODULES = "http://prosody.im/protocol/modules#reload";

/**
 * One Prosody for the enclosing describe block (no upload service unless `options` says so) with
 * `users` registered (password "pw") and, if given, a bot started on it; both stopped afterwards.
 */
function prosodyForSuite(setup: {
  users: readonly string[];
  options?: ProsodyOptions;
  bot?: (prosody: ProsodyServer) => Promise<{ stop(): Promise<void> }>;
}): { readonly prosody: ProsodyServer } {
  let prosody: ProsodyServer | undefined;
  let bot: { stop(): Promise<void> } | undefined;
  beforeAll(async () => {
    prosody = await startProsody({ upload: false, ...setup.options });
    for (const user of setup.users) await prosody.registerUser(user, "pw");
    bot = await setup.bot?.(prosody);
  });
  afterAll(async () => {
    await bot?.stop();
    await prosody?.stop();
  });
  return {
    get prosody() {
      if (!prosody) throw new Error("Prosody is not started yet");
      return prosody;
    },
  };
}

describe("slixmpp runs Prosody's own XEP-0050 commands", () => {
  // mod_uptime offers one command to everyone; mod_admin_adhoc multi-stage forms to admins.
  const suite = prosodyForSuite({
    users: ["root", "ivan"],
    options: { extraModules: ["admin_adhoc", "uptime"], admins: ["root@localhost"] },
  });

  it("lists the commands, filtered by Prosody by who asks", async () => {
    const admin = await runSlixmppClient({
      server: suite.prosody,
      jid: "root@localhost",
      password: "pw",
      listCommands: "localhost",
    });
    expect(admin.errors).toEqual([]);
    expect(admin.ok).toBe(true);
    expect(admin.commands).toContainEqual({ jid: "localhost", node: ADD_USER, name: "Add User" });
    expect(admin.commands).toContainEqual({ jid: "localhost", node: "uptime", name: "Get uptime" });

    // A non-admin sees only the command with permission "any".
    const user = await runSlixmppClient({
      server: suite.prosody,
      jid: "ivan@localhost",
      password: "pw",
      listCommands: "localhost",
    });
    expect(user.ok).toBe(true);
    expect(user.commands).toEqual([{ jid: "localhost", node: "uptime", name: "Get uptime" }]);
  });

  it("runs a single-stage command: completed at once, with an info note", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "ivan@localhost",
      password: "pw",
      adhoc: { jid: "localhost", node: "uptime" },
    });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.adhocStages).toEqual([
      {
        stageIndex: null,
        node: "uptime",
        status: "completed",
        sessionid: expect.any(String),
        actions: [],
        notes: [
          {
            type: "info",
            text: expect.stringMatching(/^This server has been running for 0 days, 0 hours and /),
          },
        ],
        form: null,
      },
    ]);
    expect(result.adhocError).toBeUndefined();
  });

  it("answers a form in a second stage with the same session: Add User creates an account", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "root@localhost",
      password: "pw",
      adhoc: {
        jid: "localhost",
        node: ADD_USER,
        stages: [
          { values: { accountjid: "judy@localhost", password: "judy-pw", "password-verify": "judy-pw" } },
        ],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    const [first, second] = result.adhocStages;
    expect(result.adhocStages).toHaveLength(2);
    expect(first).toEqual({
      stageIndex: null,
      node: ADD_USER,
      status: "executing",
      sessionid: expect.any(String),
      actions: ["next", "complete"],
      defaultAction: "complete",
      notes: [],
      form: {
        type: "form",
        title: "Adding a User",
        instructions: ["Fill out this form to add a user."],
        fields: [
          {
            var: "FORM_TYPE",
            type: "hidden",
            required: false,
            value: "http://jabber.org/protocol/admin",
            values: ["http://jabber.org/protocol/admin"],
            options: [],
            media: [],
          },
          {
            var: "accountjid",
            type: "jid-single",
            label: "The Jabber ID for the account to be added",
            required: true,
            values: [],
            options: [],
            media: [],
          },
          {
            var: "password",
            type: "text-private",
            label: "The password for this account",
            required: false,
            values: [],
            options: [],
            media: [],
          },
          {
            var: "password-verify",
            type: "text-private",
            label: "Retype password",
            required: false,
            values: [],
            options: [],
            media: [],
          },
        ],
      },
    });
    expect(second).toEqual({
      stageIndex: 0,
      node: ADD_USER,
      status: "completed",
      // Prosody keeps per-session state: answering under another sessionid would start over.
      sessionid: first?.sessionid,
      actions: [],
      notes: [{ type: "info", text: "Account successfully created" }],
      form: null,
    });
    // The account really exists now.
    const judy = await connectClient({ server: suite.prosody, username: "judy", password: "judy-pw" });
    await judy.stop();
  });

  it("submits booleans as 1/0 and list-single values; the result form comes back as a text-multi", async () => {
    const online = async (details: boolean) =>
      runSlixmppClient({
        server: suite.prosody,
        jid: "root@localhost",
        password: "pw",
        adhoc: { jid: "localhost", node: ONLINE_USERS, stages: [{ values: { max_items: "25", details } }] },
      });
    const first = (await online(false)).adhocStages[0];
    expect(first?.form?.fields.find((field) => field.var === "max_items")).toMatchObject({
      type: "list-single",
      options: ["25", "50", "75", "100", "150", "200", "all"].map((value) => ({ label: value, value })),
    });
    expect(first?.form?.fields.find((field) => field.var === "details")).toMatchObject({ type: "boolean" });

    // Only our own session is online; "details" adds one line per resource, so false ("0") must be honoured.
    const brief = await online(false);
    expect(brief.ok).toBe(true);
    expect(
      brief.adhocStages[1]?.form?.fields.find((field) => field.var === "onlineuserjids")?.values,
    ).toEqual(["root@localhost"]);
    const detailed = await online(true);
    expect(detailed.ok).toBe(true);
    const lines = detailed.adhocStages[1]?.form?.fields.find(
      (field) => field.var === "onlineuserjids",
    )?.values;
    expect(detailed.adhocStages[1]?.form?.type).toBe("result");
    expect(lines?.[0]).toBe("root@localhost");
    expect(lines?.[1]).toMatch(/^ - .+: .+, IP: \[127\.0\.0\.1\]$/);
  });

  it("submits a list-multi as several values", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "root@localhost",
      password: "pw",
      adhoc: {
        jid: "localhost",
        node: RELOAD_MODULES,
        stages: [{ values: { modules: ["uptime", "version"] } }],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    const modules = result.adhocStages[0]?.form?.fields.find((field) => field.var === "modules");
    expect(modules?.type).toBe("list-multi");
    expect(modules?.options.map((option) => option.value)).toEqual(
      expect.arrayContaining(["uptime", "version"]),
    );
    expect(result.adhocStages[1]).toMatchObject({
      status: "completed",
      notes: [
        {
          type: "info",
          text: "The following modules were successfully reloaded on host localhost:\nuptime\nversion",
        },
      ],
    });
  });

  it("cancels a command", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "root@localhost",
      password: "pw",
      adhoc: {
        jid: "localhost",
        node: ADD_USER,
        stages: [{ action: "cancel" }, { values: { accountjid: "x@localhost" } }],
      },
    });
    expect(result.ok).toBe(true);
    // Canceled ends the run: the second stage is never sent.
    expect(result.adhocStages.map((stage) => [stage.stageIndex, stage.status])).toEqual([
      [null, "executing"],
      [0, "canceled"],
    ]);
  });

  it("reports an IQ error for a node that does not exist, failing the run unless expected", async () => {
    const unexpected = await runSlixmppClient({
      server: suite.prosody,
      jid: "ivan@localhost",
      password: "pw",
      adhoc: { jid: "localhost", node: "no-such-command" },
    });
    expect(unexpected.ok).toBe(false);
    // mod_adhoc does not handle unknown nodes; Prosody's fallback for an unhandled IQ answers.
    expect(unexpected.adhocError).toEqual({
      stageIndex: null,
      condition: "service-unavailable",
      type: "cancel",
      text: "",
    });
    expect(unexpected.adhocStages).toEqual([]);

    const expected = await runSlixmppClient({
      server: suite.prosody,
      jid: "ivan@localhost",
      password: "pw",
      adhoc: { jid: "localhost", node: "no-such-command" },
      expectAdhocError: true,
    });
    expect(expected.errors).toEqual([]);
    expect(expected.ok).toBe(true);
    expect(expected.adhocError?.condition).toBe("service-unavailable");
  });

  it("reports forbidden for an admin command run by a user, and fails a run that expected an error in vain", async () => {
    const forbidden = await runSlixmppClient({
      server: suite.prosody,
      jid: "ivan@localhost",
      password: "pw",
      adhoc: { jid: "localhost", node: ADD_USER },
      expectAdhocError: true,
    });
    expect(forbidden.ok).toBe(true);
    expect(forbidden.adhocError).toEqual({
      stageIndex: null,
      condition: "forbidden",
      type: "auth",
      text: "You don't have permission to execute this command",
    });

    const noError = await runSlixmppClient({
      server: suite.prosody,
      jid: "ivan@localhost",
      password: "pw",
      adhoc: { jid: "localhost", node: "uptime" },
      expectAdhocError: true,
    });
    expect(noError.ok).toBe(false);
    expect(noError.errors).toMatchObject([{ step: "adhoc", condition: "no-error" }]);
  });
});

/**
 * A client can offer commands too (XEP-0050 does not care who answers). This responder sends what
 * Prosody's forms never contain (XEP-0221 media, a result table, a `prev` action) and records the
 * exact `<command/>` elements it received, so the submitted forms can be checked byte for byte.
 */
class CommandResponder {
  readonly received: Element[] = [];
  #running = true;
  readonly #loop: Promise<void>;

  constructor(
    readonly client: TestClient,
    answer: (command: Element, index: number) => string,
  ) {
    this.#loop = (async () => {
      while (this.#running) {
        const iq = await client
          .waitFor(
            (stanza) =>
              stanza.is("iq") && stanza.attrs.type === "set" && !!stanza.getChild("command", NS_COMMANDS),
            200,
          )
          .catch(() => undefined);
        if (!iq) continue;
        const command = iq.getChild("command", NS_COMMANDS) as Element;
        this.received.push(command);
        const payload = answer(command, this.received.length - 1);
        await client.send(`<iq type="result" id="${iq.attrs.id}" to="${iq.attrs.from}">${payload}</iq>`);
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.client.stop();
  }
}

/** Every received chat message is answered with "pong: <body>"; bodies starting with "oob" get a link. */
class PongBot {
  #running = true;
  readonly #loop: Promise<void>;

  constructor(readonly client: TestClient) {
    this.#loop = (async () => {
      while (this.#running) {
        const message = await client
          .waitFor((stanza) => stanza.is("message") && stanza.getChildText("body") !== null, 200)
          .catch(() => undefined);
        if (!message) continue;
        const body = message.getChildText("body") ?? "";
        const oob = body.startsWith("oob")
          ? `<x xmlns="jabber:x:oob"><url>https://files.example.org/a%20b.png</url></x>`
          : "";
        await client.send(
          `<message type="chat" to="${message.attrs.from}"><body>pong: ${escapeXml(body)}</body>${oob}</message>`,
        );
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.client.stop();
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

describe("slixmpp with forms Prosody does not produce (a client answering commands)", () => {
  const suite = prosodyForSuite({ users: ["kim", "leo"] });

  it("parses XEP-0221 media and result tables, goes back with prev, and submits exactly the given values", async () => {
    const client = await connectClient({
      server: suite.prosody,
      username: "kim",
      password: "pw",
      resource: "commands",
    });
    const responder = new CommandResponder(client, (command, index) => {
      const session = `sessionid="s-1" node="${command.attrs.node}"`;
      if (index === 0 || index === 2) {
        // The first stage, sent again after "prev".
        return `<command xmlns="${NS_COMMANDS}" ${session} status="executing">
          <actions execute="next"><next/></actions>
          <note type="warn">scan it</note>
          <x xmlns="jabber:x:data" type="form"><title>Pair</title><instructions>Scan the code.</instructions>
            <instructions>Then confirm.</instructions>
            <field var="qr" type="fixed" label="Code">
              <media xmlns="urn:xmpp:media-element" width="200" height="200">
                <uri type="image/png">https://example.org/qr.png</uri>
                <uri type="text/plain">pairing-token</uri>
              </media>
              <value>Scan me</value>
            </field>
            <field var="confirmed" type="boolean"><required/><desc>Did it work?</desc></field>
            <field var="devices" type="list-multi"><option label="Phone"><value>phone</value></option>
              <option label="Tablet"><value>tablet</value></option></field>
            <field var="notes" type="text-multi"/>
            <field var="kept" type="text-single"><value>prefilled</value></field>
          </x></command>`;
      }
      if (index === 1) {
        return `<command xmlns="${NS_COMMANDS}" ${session} status="executing">
          <actions execute="complete"><prev/><complete/></actions>
          <x xmlns="jabber:x:data" type="form"><field var="second" type="text-single"/></x></command>`;
      }
      return `<command xmlns="${NS_COMMANDS}" ${session} status="completed">
        <x xmlns="jabber:x:data" type="result"><title>Devices</title>
          <reported><field var="name" label="Name"/><field var="id" label="ID"/></reported>
          <item><field var="name"><value>Phone</value></field><field var="id"><value>1</value></field></item>
          <item><field var="name"><value>Tablet</value></field><field var="id"><value>2</value></field></item>
        </x></command>`;
    });
    try {
      const result = await runSlixmppClient({
        server: suite.prosody,
        jid: "leo@localhost",
        password: "pw",
        adhoc: {
          jid: client.jid,
          node: "pair",
          stages: [
            { values: { confirmed: true, devices: ["phone", "tablet"], notes: "line 1\nline 2" } },
            { action: "prev" },
            { values: { confirmed: false } },
          ],
        },
      });
      expect(result.errors).toEqual([]);
      expect(result.ok).toBe(true);
      expect(
        result.adhocStages.map((stage) => [stage.stageIndex, stage.status, stage.defaultAction]),
      ).toEqual([
        [null, "executing", "next"],
        [0, "executing", "complete"],
        [1, "executing", "next"],
        [2, "completed", undefined],
      ]);
      const first = result.adhocStages[0];
      expect(first?.notes).toEqual([{ type: "warn", text: "scan it" }]);
      expect(first?.form?.title).toBe("Pair");
      expect(first?.form?.instructions).toEqual(["Scan the code.", "Then confirm."]);
      expect(first?.form?.fields[0]).toEqual({
        var: "qr",
        type: "fixed",
        label: "Code",
        required: false,
        value: "Scan me",
        values: ["Scan me"],
        options: [],
        media: [
          { type: "image/png", uri: "https://example.org/qr.png", width: "200", height: "200" },
          { type: "text/plain", uri: "pairing-token", width: "200", height: "200" },
        ],
      });
      expect(first?.form?.fields[1]).toMatchObject({
        var: "confirmed",
        required: true,
        desc: "Did it work?",
      });
      expect(first?.form?.fields[2]?.options).toEqual([
        { label: "Phone", value: "phone" },
        { label: "Tablet", value: "tablet" },
      ]);
      expect(result.adhocStages[1]?.actions).toEqual(["prev", "complete"]);
      expect(result.adhocStages[3]?.form).toEqual({
        type: "result",
        title: "Devices",
        instructions: [],
        fields: [],
        reported: [
          {
            var: "name",
            label: "Name",
            type: "text-single",
            required: false,
            values: [],
            options: [],
            media: [],
          },
          {
            var: "id",
            label: "ID",
            type: "text-single",
            required: false,
            values: [],
            options: [],
            media: [],
          },
        ],
        items: [
          { name: ["Phone"], id: ["1"] },
          { name: ["Tablet"], id: ["2"] },
        ],
      });

      // What went over the wire: execute, then the stages with their actions and the session id.
      // Compared canonically (attribute order does not matter), field order and values exactly.
      const form = (command: Element) => {
        const x = command.getChild("x", "jabber:x:data");
        return x ? canonicalXml(x) : undefined;
      };
      const sent = responder.received.map((command) => ({
        action: command.attrs.action,
        sessionid: command.attrs.sessionid,
        form: form(command),
      }));
      expect(sent).toEqual([
        { action: "execute", sessionid: undefined, form: undefined },
        {
          // The default action; the fixed field is not echoed, the prefilled one is; true is "1".
          action: "next",
          sessionid: "s-1",
          form: canonicalXml(
            '<x xmlns="jabber:x:data" type="submit">' +
              '<field var="kept"><value>prefilled</value></field>' +
              '<field var="confirmed"><value>1</value></field>' +
              '<field var="devices"><value>phone</value><value>tablet</value></field>' +
              '<field var="notes"><value>line 1</value><value>line 2</value></field></x>',
          ),
        },
        { action: "prev", sessionid: "s-1", form: undefined },
        {
          action: "next",
          sessionid: "s-1",
          form: canonicalXml(
            '<x xmlns="jabber:x:data" type="submit">' +
              '<field var="kept"><value>prefilled</value></field>' +
              '<field var="confirmed"><value>0</value></field></x>',
          ),
        },
      ]);
    } finally {
      await responder.stop();
    }
  });
});

describe("slixmpp chat dialogues", () => {
  const suite = prosodyForSuite({
    users: ["bot", "mia"],
    bot: async (prosody) =>
      new PongBot(await connectClient({ server: prosody, username: "bot", password: "pw" })),
  });

  it("sends and expects in order", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "mia@localhost",
      password: "pw",
      chat: {
        with: "bot@localhost",
        steps: [
          { send: "ping 1" },
          { expect: "^pong: ping 1$" },
          { send: "ping 2" },
          { expect: /PONG: ping 2/i },
        ],
      },
    });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.chatMatches).toEqual([
      { stepIndex: 1, body: "pong: ping 1" },
      { stepIndex: 3, body: "pong: ping 2" },
    ]);
    expect(result.messages.map((message) => [message.from, message.body])).toEqual([
      ["bot@localhost/test", "pong: ping 1"],
      ["bot@localhost/test", "pong: ping 2"],
    ]);
  });

  it("fails an expect that nothing matches, naming the step, the regex and what did arrive", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "mia@localhost",
      password: "pw",
      chat: {
        with: "bot@localhost",
        steps: [
          { send: "ping 3" },
          { expect: "^pong: ping 3$" },
          { send: "ping 4" },
          { expect: "^pong: ping 5$", timeoutMs: 500 },
        ],
      },
    });
    expect(result.ok).toBe(false);
    expect(result.chatMatches).toEqual([{ stepIndex: 1, body: "pong: ping 3" }]);
    expect(result.chatError).toEqual({
      stepIndex: 3,
      regex: "^pong: ping 5$",
      lastBodies: ["pong: ping 3", "pong: ping 4"],
      message: "chat step 3: no message from bot@localhost matched /^pong: ping 5$/ within 0.5 s",
    });
  });

  it("reports the XEP-0066 URL of a message", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "mia@localhost",
      password: "pw",
      chat: { with: "bot@localhost", steps: [{ send: "oob please" }, { expect: "^pong: oob please$" }] },
    });
    expect(result.ok).toBe(true);
    expect(result.messages).toEqual([
      {
        from: "bot@localhost/test",
        to: expect.stringMatching(/^mia@localhost\//),
        type: "chat",
        body: "pong: oob please",
        oobUrl: "https://files.example.org/a%20b.png",
      },
    ]);
  });
});

/**
 * Answers each chat message that has a body with an XEP-0184 receipt for its id, then
 * "pong: <body>" under the id `pong-<id>`; a message carrying `<ping-back/>` in `urn:gangway:test`
 * is answered with the XEP-0308 correction of the pong it names, so a script has to capture ids.
 */
class ReceiptBot {
  #running = true;
  readonly #loop: Promise<void>;

  constructor(readonly client: TestClient) {
    this.#loop = (async () => {
      while (this.#running) {
        const message = await client
          .waitFor((stanza) => stanza.is("message") && stanza.attrs.type === "chat", 200)
          .catch(() => undefined);
        if (!message) continue;
        const to = String(message.attrs.from);
        const id = String(message.attrs.id);
        const correct = message.getChild("ping-back", "urn:gangway:test");
        if (correct) {
          await client.send(
            `<message type="chat" to="${to}" id="fix-${id}"><body>pong, corrected</body><replace xmlns="urn:xmpp:message-correct:0" id="${correct.attrs.id}"/></message>`,
          );
          continue;
        }
        const body = message.getChildText("body");
        if (body === null) continue;
        await client.send(
          `<message type="chat" to="${to}" id="rcpt-${id}"><received xmlns="urn:xmpp:receipts" id="${id}"/></message>`,
        );
        await client.send(
          `<message type="chat" to="${to}" id="pong-${id}"><body>pong: ${escapeXml(body)}</body></message>`,
        );
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.client.stop();
  }
}

describe("slixmpp raw stanza scripts", () => {
  const BOT = "rbot@localhost";
  const suite = prosodyForSuite({
    users: ["rbot", "nia"],
    bot: async (prosody) =>
      new ReceiptBot(await connectClient({ server: prosody, username: "rbot", password: "pw" })),
  });

  it("sends raw stanzas, matches by children and body in any arrival order, captures ids and fills them in", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "nia@localhost",
      password: "pw",
      raw: {
        steps: [
          { send: `<message type="chat" to="${BOT}" id="m1"><body>hi &amp; bye</body></message>` },
          // The pong arrives after the receipt; expecting it first must not lose the receipt.
          {
            expect: { stanza: "message", from: BOT, type: "chat", body: /^PONG: hi & bye$/i },
            capture: { pong: "@id", pongTo: "@to" },
          },
          {
            expect: { from: BOT, has: "{urn:xmpp:receipts}received[@id='m1']", lacks: "{jabber:client}body" },
            capture: "receipt",
          },
          {
            send: `<message type="chat" to="${BOT}" id="m2"><ping-back xmlns="urn:gangway:test" id="{last:pong}"/></message>`,
          },
          {
            expect: {
              from: `${BOT}/test`,
              id: "fix-m2",
              has: "{urn:xmpp:message-correct:0}replace[@id='{last:pong}']",
            },
            capture: { corrected: "{urn:xmpp:message-correct:0}replace@id" },
          },
          // IQs too: the raw IQ's result is reported although slixmpp itself waits for nothing.
          {
            send: `<iq type="get" id="d1" to="localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
          },
          {
            expect: {
              stanza: "iq",
              type: "result",
              id: "d1",
              has: "{http://jabber.org/protocol/disco#info}query/{http://jabber.org/protocol/disco#info}feature[@var='jabber:iq:version']",
            },
          },
        ],
      },
    });
    expect(result.errors, JSON.stringify(result.events)).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.captured).toEqual({
      pong: "pong-m1",
      pongTo: expect.stringMatching(/^nia@localhost\//),
      receipt: "rcpt-m1",
      corrected: "pong-m1",
    });
    expect(result.rawMatches.map((match) => match.stepIndex)).toEqual([1, 2, 4, 6]);
    // The receipt arrived before the pong it was expected after.
    const [pong, receipt] = result.rawMatches;
    expect(receipt!.index).toBeLessThan(pong!.index);
    // As it came over the wire: Prosody stamps the sender's stream language on its stanzas.
    expect(canonicalXml(receipt!.xml)).toBe(
      canonicalXml(
        `<message xmlns="jabber:client" type="chat" id="rcpt-m1" from="${BOT}/test" to="${result.captured.pongTo}" xml:lang="en"><received xmlns="urn:xmpp:receipts" id="m1"/></message>`,
      ),
    );
    // Every received stanza is reported raw, in order (with the bind result, the presences and, from
    // this Prosody's mod_privilege, an empty XEP-0356 advertisement to the user).
    expect(result.stanzas.map((stanza) => stanza.index)).toEqual(result.stanzas.map((_, i) => i));
    const fromBot = result.stanzas.filter((s) => s.name === "message" && s.xml.includes(`from="${BOT}/`));
    expect(fromBot.map((s) => s.xml)).toEqual([receipt!.xml, pong!.xml, result.rawMatches[2]!.xml]);
    expect(result.events.filter((event) => event.event === "raw_sent").map((event) => event.xml)).toContain(
      `<message type="chat" to="${BOT}" id="m2"><ping-back xmlns="urn:gangway:test" id="pong-m1"/></message>`,
    );
  });

  it("fails an expect that nothing matches, listing the stanzas no step consumed", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "nia@localhost",
      password: "pw",
      raw: {
        steps: [
          { send: `<message type="chat" to="${BOT}" id="m3"><body>x</body></message>` },
          { expect: { body: "^pong: x$" } },
          { expect: { has: "{urn:xmpp:receipts}received[@id='other']" }, timeoutMs: 400 },
          { send: `<message type="chat" to="${BOT}" id="never"><body>y</body></message>` },
        ],
      },
    });
    expect(result.ok).toBe(false);
    expect(result.rawError).toMatchObject({
      stepIndex: 2,
      condition: "timeout",
      message: `raw step 2: no stanza matched {"has": ["{urn:xmpp:receipts}received[@id='other']"]} within 0.4 s`,
    });
    // The receipt for m3 was not consumed by step 1 (it has no body): it is listed.
    expect(result.rawError?.unmatched.some((xml) => xml.includes('id="rcpt-m3"'))).toBe(true);
    // The run stopped there: step 3 was never sent.
    expect(result.events.filter((event) => event.event === "raw_sent")).toHaveLength(1);
  });

  it("refuses a placeholder nothing captured, before sending", async () => {
    const result = await runSlixmppClient({
      server: suite.prosody,
      jid: "nia@localhost",
      password: "pw",
      raw: { steps: [{ send: `<message to="${BOT}" id="{last:nope}"><body>z</body></message>` }] },
    });
    expect(result.ok).toBe(false);
    expect(result.rawError).toEqual({
      stepIndex: 0,
      condition: "bad-step",
      message: "raw step 0: {last:nope} was never captured (captured: [])",
      unmatched: [],
    });
    expect(result.events.some((event) => event.event === "raw_sent")).toBe(false);
  });
});
