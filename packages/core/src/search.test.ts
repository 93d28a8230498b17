import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { type FormField, type FormValues, XmppError } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LegacyContact } from "./contact.js";
import { type AnyGateway, BaseGateway } from "./gateway.js";
import { NS_GATEWAY, NS_SEARCH, searchFeatures } from "./search.js";
import { BaseSession } from "./session.js";
import type { SearchResult } from "./session-types.js";
import { startTestGateway } from "./testing/index.js";
import { NOT_REGISTERED_TEXT } from "./texts.js";

const GW = "net.localhost";

/**
 * Contact search on a tiny gateway: XEP-0055 (form, results, refusals), XEP-0100 (prompt → JID,
 * with XEP-0106 escaping), and the `find` command in chat and ad-hoc, as BaseGateway wires them.
 */

const USER = "romeo@localhost";
/** Registered, but the legacy login fails: searching must wait for a login. */
const FAILED_USER = "mercutio@localhost";
const STRANGER = "juliet@localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const COMMANDS = "http://jabber.org/protocol/commands";

/** The legacy network's directory the test session searches (case-insensitive substring of name). */
const DIRECTORY = [
  { id: "alice", name: "Alice Liddell" },
  { id: "bob", name: "Bob Marley" },
  { id: "john doe@work", name: "John Doe" },
];
/** Both shapes of "nothing found" an app may return; each must be an empty result, not an error. */
let nothingFound: "undefined" | "no items" = "no items";

/** Logs in unless the registration says it must fail (FAILED_USER). */
class LoginSession extends BaseSession<AnyGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async login() {
    if (this.registration.fail) throw new XmppError("not-authorized", "Wrong password");
  }
}

class SearchSession extends LoginSession {
  override async onSearch(values: FormValues): Promise<SearchResult | undefined> {
    const term = String(values.name).toLowerCase();
    const hits = DIRECTORY.filter((entry) => entry.name.toLowerCase().includes(term));
    if (hits.length === 0 && nothingFound === "undefined") return undefined;
    const items: Record<string, string>[] = [];
    for (const hit of hits) {
      const contact = await this.contacts.byLegacyId(hit.id);
      items.push({ jid: contact.jid, name: hit.name });
    }
    return {
      fields: [
        { var: "jid", label: "JID" },
        { var: "name", label: "Name" },
      ],
      items,
    };
  }
}

class SearchGateway extends BaseGateway<LoginSession> {
  static override COMPONENT_TYPE = "test";
  static override SEARCH_TITLE = "Find people";
  static override SEARCH_INSTRUCTIONS = "Part of a name is enough.";
  static override SEARCH_FIELDS: readonly FormField[] = [
    { var: "name", type: "text-single", label: "Name", required: true },
  ];
  readonly Session = SearchSession;
  override async validate(_jid: string, _form: FormValues) {}
}

/** An app that implements no search: the base SEARCH_* statics and no onSearch. */
class NoSearchGateway extends BaseGateway<LoginSession> {
  static override COMPONENT_TYPE = "test";
  readonly Session = LoginSession;
  override async validate(_jid: string, _form: FormValues) {}
}

const iq = (type: "get" | "set", id: string, payload: string, from = USER) =>
  `<iq type="${type}" id="${id}" from="${from}/pc" to="${GW}">${payload}</iq>`;
const searchSubmit = (fields: string) =>
  `<query xmlns="${NS_SEARCH}"><x xmlns="jabber:x:data" type="submit">
     <field var="FORM_TYPE" type="hidden"><value>${NS_SEARCH}</value></field>${fields}</x></query>`;
const errorIq = (id: string, condition: string, type: string, text: string, to = USER) =>
  `<iq type="error" id="${id}" from="${GW}" to="${to}/pc"><error type="${type}">
     <${condition} xmlns="${STANZAS}"/><text xmlns="${STANZAS}" xml:lang="en">${text}</text></error></iq>`;

/** Bob and John: "O" matches both only if the search ignores case. */
const BOB_AND_JOHN_TABLE = `<x xmlns="jabber:x:data" type="result">
  <field var="FORM_TYPE" type="hidden"><value>${NS_SEARCH}</value></field>
  <reported><field var="jid" label="JID" type="jid-single"/><field var="name" label="Name" type="text-single"/></reported>
  <item><field var="jid"><value>bob@${GW}</value></field><field var="name"><value>Bob Marley</value></field></item>
  <item><field var="jid"><value>john\\20doe\\40work@${GW}</value></field><field var="name"><value>John Doe</value></field></item>
</x>`;

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: BaseGateway<LoginSession>;

  async function start(Gateway: typeof SearchGateway | typeof NoSearchGateway = SearchGateway) {
    // Login presences and the failed login's notice are not what these tests look at.
    ({ gateway, transport } = await startTestGateway(Gateway, store, { domain: GW }));
  }

  /** The next stanza is a chat message from the gateway with this body (its id is generated). */
  function expectChat(body: string, to = USER) {
    const sent = transport.nextSent();
    expect(canonicalXml(sent)).toBe(
      canonicalXml(
        `<message from="${GW}" to="${to}" type="chat" id="${sent.attrs.id}"><body>${body}</body></message>`,
      ),
    );
  }
  const chat = (text: string, from = USER) =>
    transport.inject(
      `<message type="chat" id="c-${text}" from="${from}/pc" to="${GW}"><body>${text}</body></message>`,
    );

  beforeEach(async () => {
    nothingFound = "no items";
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    await store.users.create({ jid: FAILED_USER, registration: { fail: true } });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  describe("XEP-0055 jabber:iq:search", () => {
    it("sends the search form: legacy instructions, then SEARCH_TITLE, FORM_TYPE and SEARCH_FIELDS", async () => {
      await start();
      await transport.inject(iq("get", "s1", `<query xmlns="${NS_SEARCH}"/>`));
      transport.expectSent(`<iq type="result" id="s1" from="${GW}" to="${USER}/pc">
        <query xmlns="${NS_SEARCH}"><instructions>Part of a name is enough.</instructions>
          <x xmlns="jabber:x:data" type="form"><title>Find people</title>
            <instructions>Part of a name is enough.</instructions>
            <field var="FORM_TYPE" type="hidden"><value>${NS_SEARCH}</value></field>
            <field var="name" type="text-single" label="Name"><required/></field>
          </x></query></iq>`);
      transport.expectNothingSent();
    });

    it("answers a submitted form with the session's results as a table, JIDs escaped", async () => {
      await start();
      await transport.inject(iq("set", "s2", searchSubmit(`<field var="name"><value>O</value></field>`)));
      transport.expectSent(`<iq type="result" id="s2" from="${GW}" to="${USER}/pc">
        <query xmlns="${NS_SEARCH}">${BOB_AND_JOHN_TABLE}</query></iq>`);
      transport.expectNothingSent();
    });

    it("answers an empty query when nothing matches, whether the app returns no items or undefined", async () => {
      await start();
      for (const mode of ["no items", "undefined"] as const) {
        nothingFound = mode;
        await transport.inject(
          iq("set", `e-${mode}`, searchSubmit(`<field var="name"><value>zed</value></field>`)),
        );
        transport.expectSent(
          `<iq type="result" id="e-${mode}" from="${GW}" to="${USER}/pc"><query xmlns="${NS_SEARCH}"/></iq>`,
        );
      }
      transport.expectNothingSent();
    });

    it("refuses a form without its required field (not-acceptable naming it), and a non-form", async () => {
      await start();
      await transport.inject(iq("set", "m1", searchSubmit("")));
      transport.expectSent(errorIq("m1", "not-acceptable", "modify", "Name is required."));
      // Blank counts as missing: the session must never be asked to search for nothing.
      await transport.inject(iq("set", "m2", searchSubmit(`<field var="name"><value>  </value></field>`)));
      transport.expectSent(errorIq("m2", "not-acceptable", "modify", "Name is required."));
      await transport.inject(iq("set", "m3", `<query xmlns="${NS_SEARCH}"><first>Bob</first></query>`));
      transport.expectSent(errorIq("m3", "bad-request", "modify", "Submit the search form (jabber:x:data)."));
      transport.expectNothingSent();
    });

    it("refuses unregistered requesters (registration-required) and waits for a login to search", async () => {
      await start();
      await transport.inject(iq("get", "u1", `<query xmlns="${NS_SEARCH}"/>`, STRANGER));
      transport.expectSent(errorIq("u1", "registration-required", "auth", NOT_REGISTERED_TEXT, STRANGER));
      await transport.inject(
        iq("set", "u2", searchSubmit(`<field var="name"><value>bob</value></field>`), STRANGER),
      );
      transport.expectSent(errorIq("u2", "registration-required", "auth", NOT_REGISTERED_TEXT, STRANGER));
      // Registered but not logged in: the form is fine, the search needs the legacy connection.
      await transport.inject(iq("get", "u3", `<query xmlns="${NS_SEARCH}"/>`, FAILED_USER));
      expect(transport.nextSent().attrs).toMatchObject({ type: "result", id: "u3" });
      await transport.inject(
        iq("set", "u4", searchSubmit(`<field var="name"><value>bob</value></field>`), FAILED_USER),
      );
      transport.expectSent(
        errorIq(
          "u4",
          "recipient-unavailable",
          "wait",
          "The gateway is not logged in to your legacy account yet.",
          FAILED_USER,
        ),
      );
      transport.expectNothingSent();
    });

    it("answers feature-not-implemented when the app's session has no onSearch", async () => {
      await start(NoSearchGateway);
      const text = "This gateway cannot search for contacts.";
      await transport.inject(iq("get", "n1", `<query xmlns="${NS_SEARCH}"/>`));
      transport.expectSent(errorIq("n1", "feature-not-implemented", "cancel", text));
      await transport.inject(iq("set", "n2", searchSubmit(`<field var="query"><value>bob</value></field>`)));
      transport.expectSent(errorIq("n2", "feature-not-implemented", "cancel", text));
      transport.expectNothingSent();
    });

    it("is advertised only when the session implements onSearch; jabber:iq:gateway always", async () => {
      await start();
      expect(searchFeatures(gateway.Session)).toEqual([NS_SEARCH, NS_GATEWAY]);
      await gateway.stop();
      await start(NoSearchGateway);
      expect(searchFeatures(gateway.Session)).toEqual([NS_GATEWAY]);
    });
  });

  describe("XEP-0100 jabber:iq:gateway", () => {
    it("prompts with the first search field and maps a legacy address to its escaped JID", async () => {
      await start();
      await transport.inject(iq("get", "g1", `<query xmlns="${NS_GATEWAY}"/>`));
      transport.expectSent(`<iq type="result" id="g1" from="${GW}" to="${USER}/pc">
        <query xmlns="${NS_GATEWAY}"><desc>Part of a name is enough.</desc><prompt>Name</prompt></query></iq>`);
      await transport.inject(
        iq("set", "g2", `<query xmlns="${NS_GATEWAY}"><prompt>john doe@work</prompt></query>`),
      );
      transport.expectSent(`<iq type="result" id="g2" from="${GW}" to="${USER}/pc">
        <query xmlns="${NS_GATEWAY}"><jid>john\\20doe\\40work@${GW}</jid></query></iq>`);
      // Stray spaces around the address are the client's, not part of the legacy id.
      await transport.inject(iq("set", "g3", `<query xmlns="${NS_GATEWAY}"><prompt> bob </prompt></query>`));
      transport.expectSent(`<iq type="result" id="g3" from="${GW}" to="${USER}/pc">
        <query xmlns="${NS_GATEWAY}"><jid>bob@${GW}</jid></query></iq>`);
      await transport.inject(iq("set", "g4", `<query xmlns="${NS_GATEWAY}"><prompt/></query>`));
      transport.expectSent(errorIq("g4", "bad-request", "modify", "Enter the Name in &lt;prompt/&gt;."));
      transport.expectNothingSent();
    });

    it("needs no onSearch nor login, falls back to the field's label as desc, refuses strangers", async () => {
      await start(NoSearchGateway);
      await transport.inject(iq("get", "b1", `<query xmlns="${NS_GATEWAY}"/>`, FAILED_USER));
      transport.expectSent(`<iq type="result" id="b1" from="${GW}" to="${FAILED_USER}/pc">
        <query xmlns="${NS_GATEWAY}"><desc>Name</desc><prompt>Name</prompt></query></iq>`);
      await transport.inject(
        iq("set", "b2", `<query xmlns="${NS_GATEWAY}"><prompt>alice</prompt></query>`, FAILED_USER),
      );
      transport.expectSent(`<iq type="result" id="b2" from="${GW}" to="${FAILED_USER}/pc">
        <query xmlns="${NS_GATEWAY}"><jid>alice@${GW}</jid></query></iq>`);
      await transport.inject(iq("get", "b3", `<query xmlns="${NS_GATEWAY}"/>`, STRANGER));
      transport.expectSent(errorIq("b3", "registration-required", "auth", NOT_REGISTERED_TEXT, STRANGER));
      await transport.inject(
        iq("set", "b4", `<query xmlns="${NS_GATEWAY}"><prompt>alice</prompt></query>`, STRANGER),
      );
      transport.expectSent(errorIq("b4", "registration-required", "auth", NOT_REGISTERED_TEXT, STRANGER));
      transport.expectNothingSent();
    });
  });

  describe("the find command", () => {
    it("in chat: asks the search fields, then lists the results, one line each", async () => {
      await start();
      // "find o": the words after the keyword answer the first field, no prompt.
      await chat("find o");
      expectChat(
        `2 contacts found.\nJID: bob@${GW}, Name: Bob Marley\nJID: john\\20doe\\40work@${GW}, Name: John Doe`,
      );
      await chat("find");
      expectChat("Find people\nPart of a name is enough.");
      expectChat("Name? (or 'abort')");
      await chat("zed");
      expectChat("No contact matches your search.");
      // Only logged-in users may search; the framework says so in chat.
      await chat("find", FAILED_USER);
      expectChat("This command needs you to be logged in to the legacy network.", FAILED_USER);
      transport.expectNothingSent();
    });

    it("as an ad-hoc command: the search form, then a result table", async () => {
      await start();
      await transport.inject(
        iq("set", "a1", `<command xmlns="${COMMANDS}" node="${NS_SEARCH}" action="execute"/>`),
      );
      const stage = transport.nextSent();
      const sessionId = stage.getChild("command")!.attrs.sessionid;
      expect(canonicalXml(stage)).toBe(
        canonicalXml(`<iq type="result" id="a1" from="${GW}" to="${USER}/pc">
          <command xmlns="${COMMANDS}" node="${NS_SEARCH}" sessionid="${sessionId}" status="executing">
            <actions execute="next"><next/><complete/></actions>
            <x xmlns="jabber:x:data" type="form"><title>Find people</title>
              <instructions>Part of a name is enough.</instructions>
              <field var="name" type="text-single" label="Name"><required/></field></x>
          </command></iq>`),
      );
      await transport.inject(
        iq(
          "set",
          "a2",
          `<command xmlns="${COMMANDS}" node="${NS_SEARCH}" sessionid="${sessionId}">
             <x xmlns="jabber:x:data" type="submit"><field var="name"><value>o</value></field></x></command>`,
        ),
      );
      transport.expectSent(`<iq type="result" id="a2" from="${GW}" to="${USER}/pc">
        <command xmlns="${COMMANDS}" node="${NS_SEARCH}" sessionid="${sessionId}" status="completed">
          <note type="info">2 contacts found.</note>
          <x xmlns="jabber:x:data" type="result">
            <reported><field var="jid" label="JID"/><field var="name" label="Name"/></reported>
            <item><field var="jid"><value>bob@${GW}</value></field><field var="name"><value>Bob Marley</value></field></item>
            <item><field var="jid"><value>john\\20doe\\40work@${GW}</value></field><field var="name"><value>John Doe</value></field></item>
          </x></command></iq>`);
      transport.expectNothingSent();
    });

    it("as an ad-hoc command of an app without onSearch: feature-not-implemented", async () => {
      await start(NoSearchGateway);
      await transport.inject(
        iq("set", "x1", `<command xmlns="${COMMANDS}" node="${NS_SEARCH}" action="execute"/>`),
      );
      transport.expectSent(
        errorIq("x1", "feature-not-implemented", "cancel", "This gateway cannot search for contacts."),
      );
      transport.expectNothingSent();
    });
  });
});
