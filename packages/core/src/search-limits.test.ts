import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { type Element, type FormField, type FormValues, XmppError } from "@gangway/xmpp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LegacyContact } from "./contact.js";
import { type AnyGateway, BaseGateway } from "./gateway.js";
import { NS_GATEWAY, NS_SEARCH } from "./search.js";
import { BaseSession } from "./session.js";
import type { SearchResult } from "./session-types.js";
import { startTestGateway } from "./testing/index.js";

/** Search prompts and fields over --max-field-chars: refused by the field's label and the limit. */

const GW = "net.localhost";
const USER = "romeo@localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const LIMIT = 64;
const searched: string[] = [];

class SearchSession extends BaseSession<AnyGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async login() {}
  override async onSearch(values: FormValues): Promise<SearchResult | undefined> {
    searched.push(String(values.name));
    return { items: [] };
  }
}

class SearchGateway extends BaseGateway<SearchSession> {
  static override COMPONENT_TYPE = "test";
  static override SEARCH_FIELDS: readonly FormField[] = [
    { var: "name", type: "text-single", label: "Name", required: true },
  ];
  readonly Session = SearchSession;
  override async validate(_jid: string, _form: FormValues) {}
}

const iq = (id: string, payload: string) =>
  `<iq type="set" id="${id}" from="${USER}/pc" to="${GW}">${payload}</iq>`;
const errorOf = (reply: Element) => {
  const error = reply.getChild("error");
  if (!error) throw new XmppError("bad-request", `expected an error, got ${reply.toString()}`);
  return { condition: error.getChildElements()[0]?.name, text: error.getChildText("text", STANZAS) };
};

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: SearchGateway;

  beforeEach(async () => {
    searched.length = 0;
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(SearchGateway, store, {
      domain: GW,
      args: ["--max-field-chars", String(LIMIT)],
    }));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  describe("--max-field-chars on search", () => {
    it("XEP-0100: a 100 KB prompt is refused with a short text naming the prompt and the limit", async () => {
      await transport.inject(
        iq("g1", `<query xmlns="${NS_GATEWAY}"><prompt>secret${"p".repeat(100_000)}</prompt></query>`),
      );
      const reply = transport.nextSent();
      expect(errorOf(reply)).toEqual({
        condition: "not-acceptable",
        text: `The Name is too long: the gateway accepts at most ${LIMIT} characters.`,
      });
      expect(reply.toString().length).toBeLessThan(1000);
      // At the limit, it is mapped as before.
      await transport.inject(
        iq("g2", `<query xmlns="${NS_GATEWAY}"><prompt>${"p".repeat(LIMIT)}</prompt></query>`),
      );
      expect(transport.nextSent().getChild("query")?.getChildText("jid")).toBe(`${"p".repeat(LIMIT)}@${GW}`);
    });

    it("XEP-0055: a field over the limit is refused by its label; the session is not asked", async () => {
      const form = (value: string) =>
        `<query xmlns="${NS_SEARCH}"><x xmlns="jabber:x:data" type="submit"><field var="name"><value>${value}</value></field></x></query>`;
      await transport.inject(iq("s1", form("n".repeat(100_000))));
      expect(errorOf(transport.nextSent())).toEqual({
        condition: "not-acceptable",
        text: `Name is too long: the gateway accepts at most ${LIMIT} characters per field.`,
      });
      expect(searched).toEqual([]);
      await transport.inject(iq("s2", form("bob")));
      expect(transport.nextSent().attrs.type).toBe("result");
      expect(searched).toEqual(["bob"]);
    });
  });
});
