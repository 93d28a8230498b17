import { type Command, type CommandPage, result } from "@gangway/registration";
import {
  exceedsChars,
  type FormField,
  type FormValues,
  gatewayJidQuery,
  gatewayPromptQuery,
  NS_GATEWAY,
  NS_SEARCH,
  parseGatewayPrompt,
  parseSearchSubmission,
  sanitizeXmlText,
  searchFormQuery,
  searchResultQuery,
  validateSubmission,
  type XmppComponent,
  XmppError,
} from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";
import { type AnySession, BaseSession } from "./session.js";
import { SEARCH_NOT_IMPLEMENTED_TEXT, type SearchColumns, type SearchResult } from "./session-types.js";
import type { Sessions } from "./sessions.js";

/**
 * Contact search on the component JID, three ways over one session hook (`onSearch`):
 * XEP-0055 jabber:iq:search (a data form, results as a table), the `find` command (ad-hoc and
 * chat), and XEP-0100 jabber:iq:gateway, which turns a legacy address into the contact's JID
 * without searching (the roster's legacy id ↔ localpart mapping, XEP-0106 by default).
 */

// Still exported from here for existing importers; the payloads themselves are @gangway/xmpp's.
export { NS_GATEWAY, NS_SEARCH };

/** XEP-0100 needs some prompt even for an app whose SEARCH_FIELDS has nothing to type in. */
const DEFAULT_PROMPT = "Contact ID";
const NOTHING_FOUND_TEXT = "No contact matches your search.";

/** True when the session's class (or the instance) replaces the default `onSearch`. */
export function sessionCanSearch(session: AnySession): boolean {
  return session.onSearch !== BaseSession.prototype.onSearch;
}

/**
 * The disco#info features of the component for search: jabber:iq:gateway always (it only maps an
 * address), jabber:iq:search only when the app's session implements `onSearch`. Call it when
 * disco is asked, not in the gateway's constructor: `Session` is a subclass field, unset there.
 */
export function searchFeatures(Session: { readonly prototype: AnySession }): string[] {
  const canSearch = Session.prototype.onSearch !== BaseSession.prototype.onSearch;
  return canSearch ? [NS_SEARCH, NS_GATEWAY] : [NS_GATEWAY];
}

/** Registers the jabber:iq:search and jabber:iq:gateway handlers on the component's IQ router. */
export function serveSearch(
  component: XmppComponent,
  host: GatewayHost,
  sessions: Sessions<AnySession>,
): void {
  const { iq } = component;
  const meta = () => host.meta;

  iq.handle({ namespace: NS_SEARCH, type: "get", to: "domain" }, ({ from }) => {
    searchingSession(sessions, from.bare().toString(), { loggedIn: false });
    const { SEARCH_INSTRUCTIONS, SEARCH_TITLE, SEARCH_FIELDS } = meta();
    return searchFormQuery({ title: SEARCH_TITLE, instructions: SEARCH_INSTRUCTIONS, fields: SEARCH_FIELDS });
  });

  iq.handle({ namespace: NS_SEARCH, type: "set", to: "domain" }, async ({ from, child }) => {
    const session = searchingSession(sessions, from.bare().toString(), { loggedIn: true });
    const values = validateSubmission(meta().SEARCH_FIELDS, parseSearchSubmission(child), {
      maxChars: host.config.limits.fieldChars,
    });
    return searchResultQuery(withColumns(await session.onSearch(values)));
  });

  iq.handle({ namespace: NS_GATEWAY, type: "get", to: "domain" }, ({ from }) => {
    sessions.require(from.bare().toString());
    const prompt = promptLabel(meta().SEARCH_FIELDS);
    return gatewayPromptQuery({ desc: meta().SEARCH_INSTRUCTIONS || prompt, prompt });
  });

  iq.handle({ namespace: NS_GATEWAY, type: "set", to: "domain" }, ({ from, child }) => {
    // Only the mapping is needed, not the legacy connection: no login required.
    const session = sessions.require(from.bare().toString());
    // escapeLocalpart refuses leading/trailing spaces anyway; a client's stray ones are dropped.
    const address = parseGatewayPrompt(child);
    if (!address) {
      throw new XmppError("bad-request", `Enter the ${promptLabel(meta().SEARCH_FIELDS)} in <prompt/>.`);
    }
    // Refused, not quoted: escaping it would make a JID as long, in an answer or an error text.
    const max = host.config.limits.fieldChars;
    if (exceedsChars(address, max)) {
      throw new XmppError(
        "not-acceptable",
        `The ${promptLabel(meta().SEARCH_FIELDS)} is too long: the gateway accepts at most ${max} characters.`,
      );
    }
    const local = session.contacts.legacyIdToJidLocal(address);
    return gatewayJidQuery(`${local}@${host.domain}`);
  });
}

/**
 * The search as a command (ad-hoc node jabber:iq:search, chat keyword `find`): the SEARCH_FIELDS
 * form, then the results as a table. Chat asks each field in turn: the command framework hands a
 * command no arguments, so in `find alice` the `alice` is not used.
 */
export function searchCommand(host: GatewayHost, sessions: Sessions<AnySession>): Command {
  return {
    node: NS_SEARCH,
    name: host.meta.SEARCH_TITLE,
    keyword: "find",
    help: "search the legacy network for contacts",
    access: "logged-in",
    async run(requester, context) {
      const session = searchingSession(sessions, requester.jid, { loggedIn: true });
      const { SEARCH_TITLE, SEARCH_INSTRUCTIONS, SEARCH_FIELDS } = host.meta;
      // `find alice` in chat: the words after the keyword fill the first field, no prompt.
      const first = SEARCH_FIELDS.find((f) => f.type !== "fixed" && f.type !== "hidden");
      if (context.args && first) {
        const maxChars = host.config.limits.fieldChars;
        return resultPage(
          await session.onSearch(
            validateSubmission(SEARCH_FIELDS, { [first.var]: context.args }, { maxChars }),
          ),
        );
      }
      return {
        kind: "form",
        title: SEARCH_TITLE,
        instructions: SEARCH_INSTRUCTIONS || undefined,
        fields: SEARCH_FIELDS,
        // The session is looked up again: it may have been restarted while the form was open.
        submit: async (values: FormValues) =>
          resultPage(await searchingSession(sessions, requester.jid, { loggedIn: true }).onSearch(values)),
      };
    },
  };
}

/** The requester's session, refused before anything is parsed when it cannot search (now). */
function searchingSession(
  sessions: Sessions<AnySession>,
  bareJid: string,
  need: { loggedIn: boolean },
): AnySession {
  // Registered first, then able to search at all, then logged in: the most useful refusal wins.
  const session = sessions.require(bareJid);
  if (!sessionCanSearch(session)) throw new XmppError("feature-not-implemented", SEARCH_NOT_IMPLEMENTED_TEXT);
  return need.loggedIn ? sessions.require(bareJid, { loggedIn: true }) : session;
}

/** What XEP-0100 asks the user for: the first field a user types into. */
function promptLabel(fields: readonly FormField[]): string {
  const field = fields.find((f) => f.type !== "fixed" && f.type !== "hidden");
  return field ? (field.label ?? field.var) : DEFAULT_PROMPT;
}

/** Legacy networks send control characters; one of them in a stanza closes the component stream. */
function clean(text: unknown): string {
  return sanitizeXmlText(String(text));
}

/** The columns an app left out: a JID and a name, which is what most searches find. */
const DEFAULT_COLUMNS = [
  { var: "jid", label: "JID" },
  { var: "name", label: "Name" },
];

function withColumns(
  found: SearchResult | undefined,
): (SearchResult & { fields: SearchColumns }) | undefined {
  return found && { ...found, fields: found.fields ?? DEFAULT_COLUMNS };
}

function resultPage(searched: SearchResult | undefined): CommandPage {
  const found = withColumns(searched);
  if (!found || found.items.length === 0) return result(NOTHING_FOUND_TEXT);
  const count = found.items.length;
  return {
    kind: "result",
    text: count === 1 ? "1 contact found." : `${count} contacts found.`,
    table: {
      columns: found.fields.map((f) => ({ var: f.var, label: clean(f.label) })),
      rows: found.items.map((item) =>
        Object.fromEntries(
          found.fields.map((f) => [f.var, item[f.var] === undefined ? "" : clean(item[f.var])]),
        ),
      ),
    },
  };
}
