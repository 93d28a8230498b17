import { formatXmppDateTime, parseXmppDateTime } from "./datetime.js";
import { type Element, type ElementChild, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { buildForm, NS_DATA_FORMS, parseForm } from "./forms.js";
import { JID } from "./jid.js";

export const NS_MAM = "urn:xmpp:mam:2";
/** XEP-0313 §7: `before-id`, `after-id`, `ids` and the metadata query. */
export const NS_MAM_EXTENDED = "urn:xmpp:mam:2#extended";
/** XEP-0059 result set management. */
export const NS_RSM = "http://jabber.org/protocol/rsm";
const NS_FORWARD = "urn:xmpp:forward:0";
const NS_DELAY = "urn:xmpp:delay";
const NS_CLIENT = "jabber:client";

/** An archive query, as {@link parseMamQuery} reads it. Every filter is optional. */
export interface MamQuery {
  /** `queryid`: echoed in every `<result/>`. */
  readonly queryId?: string;
  readonly start?: Date;
  readonly end?: Date;
  /** The `with` JID (in a room's archive: an occupant). */
  readonly with?: string;
  /** XEP-0313 extended: only messages strictly before / after this archive id. */
  readonly beforeId?: string;
  readonly afterId?: string;
  /** XEP-0313 extended: exactly these archive ids. */
  readonly ids?: readonly string[];
  /** XEP-0059 `<max/>`: page size. */
  readonly max?: number;
  /** XEP-0059 `<before/>`: the page before this id; `""` (an empty `<before/>`) is the last page. */
  readonly before?: string;
  /** XEP-0059 `<after/>`: the page after this id. */
  readonly after?: string;
  /** XEP-0059 `<index/>`: page starting at this position. */
  readonly index?: number;
  /** XEP-0313 `<flip-page/>`: return the page's messages newest first. */
  readonly flipPage: boolean;
}

const TEXT_FIELDS = new Set(["start", "end", "with", "before-id", "after-id", "ids"]);

/**
 * Reads the `<query xmlns="urn:xmpp:mam:2"/>` of an archive query IQ (pass the IQ or the query).
 * Throws {@link XmppError}, quoting nothing: `feature-not-implemented` for a field the archive
 * does not know (XEP-0313 §4.1.5 requires it: the client must not take an unfiltered page for a
 * filtered one), `bad-request` for a form that is not a mam:2 submission, a date that is not an
 * XEP-0082 DateTime, or an RSM number that is not a non-negative integer; `jid-malformed` for a
 * bad `with`.
 */
export function parseMamQuery(element: Element): MamQuery {
  const query = element.name === "iq" ? element.getChild("query", NS_MAM) : element;
  if (!query?.is("query", NS_MAM)) throw new XmppError("bad-request", "Expected an urn:xmpp:mam:2 query.");
  const result: {
    queryId?: string;
    start?: Date;
    end?: Date;
    with?: string;
    beforeId?: string;
    afterId?: string;
    ids?: readonly string[];
    max?: number;
    before?: string;
    after?: string;
    index?: number;
    flipPage: boolean;
  } = { flipPage: query.getChild("flip-page") !== undefined };
  if (query.attrs.queryid) result.queryId = query.attrs.queryid;

  const x = query.getChild("x", NS_DATA_FORMS);
  if (x) {
    let form: ReturnType<typeof parseForm>;
    try {
      form = parseForm(x);
    } catch {
      throw new XmppError("bad-request", "The archive query form is not a valid data form.");
    }
    if (form.type !== "submit" || (form.formType !== undefined && form.formType !== NS_MAM)) {
      throw new XmppError("bad-request", "The archive query form is not an urn:xmpp:mam:2 submission.");
    }
    for (const [name, value] of Object.entries(form.values)) {
      if (!TEXT_FIELDS.has(name)) {
        throw new XmppError(
          "feature-not-implemented",
          "The archive query has a field this archive does not support.",
        );
      }
      if (name === "ids") {
        const ids = (Array.isArray(value) ? value : [String(value)]).filter((id) => id !== "");
        result.ids = Object.freeze(ids);
        continue;
      }
      const text = single(value, name);
      if (text === "") continue;
      if (name === "start" || name === "end") {
        const date = parseXmppDateTime(text);
        if (!date)
          throw new XmppError("bad-request", `The archive query's '${name}' is not an XMPP date and time.`);
        result[name] = date;
      } else if (name === "with") {
        const jid = JID.tryParse(text);
        if (!jid) throw new XmppError("jid-malformed", "The archive query's 'with' is not a valid JID.");
        result.with = jid.toString();
      } else if (name === "before-id") {
        result.beforeId = text;
      } else {
        result.afterId = text;
      }
    }
  }

  const set = query.getChild("set", NS_RSM);
  if (set) {
    const max = set.getChildText("max");
    if (max !== null) result.max = nonNegative(max, "max");
    const index = set.getChildText("index");
    if (index !== null) result.index = nonNegative(index, "index");
    const before = set.getChildText("before");
    if (before !== null) result.before = before.trim();
    const after = set.getChildText("after");
    if (after !== null) {
      if (after.trim() === "") throw new XmppError("bad-request", "An RSM <after/> must name an id.");
      result.after = after.trim();
    }
  }
  return Object.freeze(result);
}

function single(value: string | boolean | string[], name: string): string {
  if (Array.isArray(value)) {
    if (value.length > 1)
      throw new XmppError("bad-request", `The archive query's '${name}' has more than one value.`);
    return (value[0] ?? "").trim();
  }
  return String(value).trim();
}

function nonNegative(text: string, name: string): number {
  const trimmed = text.trim();
  const number = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(number)) {
    throw new XmppError("bad-request", `The RSM <${name}/> is not a non-negative integer.`);
  }
  return number;
}

export interface MamResultOptions {
  /** The archive's JID: the room. */
  from: string;
  /** The querying full JID. */
  to: string;
  queryId?: string;
  /** The archive id of the message (its `<stanza-id/>`). */
  id: string;
  /** When the archive received it. */
  stamp: Date;
  /** The archived `<message/>`; copied, with `xmlns="jabber:client"` as XEP-0297 asks. */
  message: Element;
}

/**
 * One archived message as a query result (XEP-0313 §4.2): `<message><result queryid id><forwarded
 * xmlns="urn:xmpp:forward:0"><delay stamp/><message xmlns="jabber:client"/></forwarded></result>
 * </message>`.
 */
export function mamResultMessage(options: MamResultOptions): Element {
  const { from, to, queryId, id, stamp, message } = options;
  if (message.name !== "message") throw new RangeError("Only a <message/> can be an archive result.");
  const { xmlns: _xmlns, ...attrs } = message.attrs;
  const copy = xml("message", { xmlns: NS_CLIENT, ...attrs }, message.children.map(copyChild));
  return xml(
    "message",
    { from, to },
    xml(
      "result",
      { xmlns: NS_MAM, queryid: queryId, id },
      xml(
        "forwarded",
        { xmlns: NS_FORWARD },
        xml("delay", { xmlns: NS_DELAY, stamp: formatXmppDateTime(stamp) }),
        copy,
      ),
    ),
  );
}

function copyChild(child: ElementChild): ElementChild {
  return typeof child === "string"
    ? child
    : xml(child.name, { ...child.attrs }, child.children.map(copyChild));
}

export interface MamFinOptions {
  /** True when this page reaches the end of the results in the direction of the query. */
  complete: boolean;
  /** Archive ids of the first and last message of the page; both or neither (empty page). */
  first?: string;
  last?: string;
  /** XEP-0059 `<first index/>`: the position of `first` in the whole result set. */
  firstIndex?: number;
  /** How many messages match in all; optional (XEP-0313 lets archives skip the cost). */
  count?: number;
}

/** The IQ result payload that ends a query: `<fin xmlns=mam:2 complete?><set xmlns=rsm>…</set></fin>`. */
export function mamFin(options: MamFinOptions): Element {
  const { complete, first, last, firstIndex, count } = options;
  if ((first === undefined) !== (last === undefined))
    throw new RangeError("An RSM page has both first and last, or neither.");
  return xml(
    "fin",
    { xmlns: NS_MAM, complete: complete ? "true" : undefined },
    xml(
      "set",
      { xmlns: NS_RSM },
      first === undefined ? null : xml("first", { index: firstIndex }, first),
      last === undefined ? null : xml("last", {}, last),
      count === undefined ? null : xml("count", {}, String(count)),
    ),
  );
}

/** The first or last message of an archive, for {@link mamMetadata}. */
export interface MamBoundary {
  id: string;
  stamp: Date;
}

/**
 * The answer to `<metadata xmlns="urn:xmpp:mam:2"/>` (XEP-0313 §7.1): the oldest and newest
 * archived message, or an empty `<metadata/>` for an empty archive.
 */
export function mamMetadata(bounds?: { start: MamBoundary; end: MamBoundary }): Element {
  return xml(
    "metadata",
    { xmlns: NS_MAM },
    bounds
      ? [
          xml("start", { id: bounds.start.id, timestamp: formatXmppDateTime(bounds.start.stamp) }),
          xml("end", { id: bounds.end.id, timestamp: formatXmppDateTime(bounds.end.stamp) }),
        ]
      : null,
  );
}

/**
 * The query form an archive accepts (XEP-0313 §4.1.5, answer to an IQ get of an empty
 * `<query xmlns="urn:xmpp:mam:2"/>`): `with`, `start`, `end`, and the extended `before-id`,
 * `after-id` and `ids` (open list, as XEP-0313 shows it with an XEP-0122 `<open/>` validation).
 */
export function mamQueryForm(): Element {
  const form = buildForm({
    type: "form",
    formType: NS_MAM,
    fields: [
      { var: "with", type: "jid-single" },
      { var: "start", type: "text-single" },
      { var: "end", type: "text-single" },
      { var: "before-id", type: "text-single" },
      { var: "after-id", type: "text-single" },
      { var: "ids", type: "list-multi" },
    ],
  });
  const ids = form.getChildren("field").find((field) => field.attrs.var === "ids");
  ids?.append(
    xml(
      "validate",
      { xmlns: "http://jabber.org/protocol/xdata-validate", datatype: "xs:string" },
      xml("open"),
    ),
  );
  return xml("query", { xmlns: NS_MAM }, form);
}

/** XEP-0313/XEP-0059: an `after`/`before`/`before-id`/`after-id` names an id the archive does not hold. */
export function mamItemNotFound(): XmppError {
  return new XmppError("item-not-found", "The archive holds no message with that id.");
}
