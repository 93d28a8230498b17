import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { buildForm, type FormField, type FormValues, NS_DATA_FORMS, parseForm } from "./forms.js";
import { sanitizeXmlText } from "./xml-text.js";

/**
 * Payloads of XEP-0055 jabber:iq:search (asked for with a data form, answered with a table) and
 * XEP-0100 jabber:iq:gateway (a legacy address in, the contact's JID out).
 */
export const NS_SEARCH = "jabber:iq:search";
export const NS_GATEWAY = "jabber:iq:gateway";

/**
 * XEP-0055 §2: clients that predate data forms show the legacy `<instructions/>`, and it must not
 * be empty, so there is always some text even when the app gives none.
 */
const DEFAULT_SEARCH_INSTRUCTIONS = "Fill in the form to search for contacts.";

export interface SearchForm {
  title?: string | undefined;
  /** Shown above the form; a generic sentence goes in the legacy `<instructions/>` when empty. */
  instructions?: string | undefined;
  fields: readonly FormField[];
}

/**
 * The answer to a search `get`: `<query xmlns="jabber:iq:search"><instructions/>` then the
 * XEP-0055 §3 extended-search form, with FORM_TYPE jabber:iq:search. Only the form is offered:
 * {@link parseSearchSubmission} understands nothing else.
 */
export function searchFormQuery({ title, instructions, fields }: SearchForm): Element {
  return xml(
    "query",
    { xmlns: NS_SEARCH },
    xml("instructions", {}, sanitizeXmlText(instructions || DEFAULT_SEARCH_INSTRUCTIONS)),
    buildForm({ type: "form", title, instructions: instructions || undefined, formType: NS_SEARCH, fields }),
  );
}

/**
 * The values of a search `set` (the `<query/>` payload), not yet validated against the fields:
 * run them through `validateSubmission`. Throws `XmppError("bad-request")` for a basic (§2)
 * search without a form, and for a form that is not a submission.
 */
export function parseSearchSubmission(query: Element): FormValues {
  const x = query.getChild("x", NS_DATA_FORMS);
  if (!x) throw new XmppError("bad-request", "Submit the search form (jabber:x:data).");
  const form = parseForm(x);
  if (form.type !== "submit") {
    throw new XmppError("bad-request", `Expected a submitted search form, not a "${form.type}" one.`);
  }
  return form.values;
}

/** What a search found: the columns, then one row of values by column `var` per contact. */
export interface SearchResultTable {
  fields: ReadonlyArray<{ var: string; label: string }>;
  items: ReadonlyArray<Readonly<Record<string, string>>>;
}

/**
 * The answer to a search `set`: an XEP-0055 §3 result table (a `result` form with FORM_TYPE,
 * `<reported/>` columns and one `<item/>` per row). A column named `jid` is typed `jid-single`
 * so clients can offer to add the contact. Nothing found is the empty `<query/>` of §2 ("no
 * records match"), which every client understands, rather than an empty table. Labels and
 * values come from legacy networks and are cleaned of characters XML cannot carry.
 */
export function searchResultQuery(found: SearchResultTable | undefined): Element {
  if (!found || found.items.length === 0) return xml("query", { xmlns: NS_SEARCH });
  const clean = (text: unknown) => sanitizeXmlText(String(text));
  const form = buildForm({ type: "result", formType: NS_SEARCH });
  form.append(
    xml(
      "reported",
      {},
      found.fields.map((f) =>
        xml("field", {
          var: f.var,
          label: clean(f.label),
          type: f.var === "jid" ? "jid-single" : "text-single",
        }),
      ),
    ),
  );
  for (const item of found.items) {
    form.append(
      xml(
        "item",
        {},
        found.fields.map((f) =>
          xml(
            "field",
            { var: f.var },
            item[f.var] === undefined ? null : xml("value", {}, clean(item[f.var])),
          ),
        ),
      ),
    );
  }
  return xml("query", { xmlns: NS_SEARCH }, form);
}

/**
 * The answer to a jabber:iq:gateway `get` (XEP-0100 §6.3): `<desc/>` tells the user what to
 * enter, `<prompt/>` is the label of the one field.
 */
export function gatewayPromptQuery({ desc, prompt }: { desc: string; prompt: string }): Element {
  return xml(
    "query",
    { xmlns: NS_GATEWAY },
    xml("desc", {}, sanitizeXmlText(desc)),
    xml("prompt", {}, sanitizeXmlText(prompt)),
  );
}

/**
 * The legacy address in a jabber:iq:gateway `set` (the `<query/>` payload), without the spaces
 * clients leave around it; `undefined` when there is none to map.
 */
export function parseGatewayPrompt(query: Element): string | undefined {
  return query.getChildText("prompt")?.trim() || undefined;
}

/** The answer to a jabber:iq:gateway `set`: the JID the legacy address maps to. */
export function gatewayJidQuery(jid: string): Element {
  return xml("query", { xmlns: NS_GATEWAY }, xml("jid", {}, jid));
}
