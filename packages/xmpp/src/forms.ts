import { type Element, xml } from "./element.js";
import { XmppError } from "./errors.js";
import { JID } from "./jid.js";
import { sanitizeXmlText } from "./xml-text.js";

export const NS_DATA_FORMS = "jabber:x:data";

export type FormType = "form" | "submit" | "cancel" | "result";

export type FormFieldType =
  | "boolean"
  | "fixed"
  | "hidden"
  | "jid-single"
  | "list-multi"
  | "list-single"
  | "text-multi"
  | "text-private"
  | "text-single";

/** A field value: booleans for `boolean`, arrays for `list-multi`/`text-multi`, strings otherwise. */
export type FormValue = string | boolean | string[];
export type FormValues = Record<string, FormValue>;

export interface FormOption {
  value: string;
  label?: string;
}

/** One XEP-0004 field as the gateway defines it. */
export interface FormField {
  var: string;
  type: FormFieldType;
  /** Shown to the user, and used to name the field in validation errors. */
  label?: string;
  /** Longer help text (`<desc/>`). */
  desc?: string;
  required?: boolean;
  /** Choices for `list-single` / `list-multi`; submissions outside them are refused. */
  options?: readonly FormOption[];
  /** Default value, sent in forms and used when a submission leaves the field out. */
  value?: FormValue;
}

export interface FormDefinition {
  type: FormType;
  title?: string;
  instructions?: string;
  /** Written as the hidden `FORM_TYPE` field (XEP-0068). */
  formType?: string;
  fields?: readonly FormField[];
  /** Current values by `var`; they win over the fields' defaults. */
  values?: Readonly<FormValues>;
}

export interface ParsedForm {
  type: FormType;
  formType: string | undefined;
  title: string | undefined;
  instructions: string | undefined;
  /**
   * Submitted values by `var`, as strings: multi-valued fields (`*-multi`, or more than one
   * `<value/>`) as arrays. `FORM_TYPE` is not included. Run them through {@link validateSubmission}.
   */
  values: FormValues;
}

const FORM_TYPES: ReadonlySet<string> = new Set(["form", "submit", "cancel", "result"]);
const MULTI_VALUE_TYPES: ReadonlySet<string> = new Set(["list-multi", "text-multi", "jid-multi"]);

/**
 * Builds `<x xmlns='jabber:x:data'>`: full field definitions for a `form`, var + values otherwise.
 * Titles, labels, descriptions and values often come from legacy networks (a contact's name, a
 * server's message), so they are cleaned of characters XML cannot carry.
 */
export function buildForm(definition: FormDefinition): Element {
  const { type, title, instructions, formType, fields = [], values = {} } = definition;
  const form = xml(
    "x",
    { xmlns: NS_DATA_FORMS, type },
    title ? xml("title", {}, sanitizeXmlText(title)) : null,
    instructions ? xml("instructions", {}, sanitizeXmlText(instructions)) : null,
  );
  if (type === "cancel") return form;
  if (formType !== undefined) {
    form.append(xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, formType)));
  }
  for (const field of fields) {
    form.append(buildField(field, values[field.var] ?? field.value, type));
  }
  return form;
}

function buildField(field: FormField, value: FormValue | undefined, formType: FormType): Element {
  const full = formType === "form";
  const element = xml("field", {
    var: field.var,
    type: formType === "submit" ? undefined : field.type,
    label: formType === "submit" || field.label === undefined ? undefined : sanitizeXmlText(field.label),
  });
  if (full && field.desc) element.append(xml("desc", {}, sanitizeXmlText(field.desc)));
  if (full && field.required) element.append(xml("required"));
  for (const text of valueStrings(field, value)) element.append(xml("value", {}, sanitizeXmlText(text)));
  if (full) {
    for (const option of field.options ?? []) {
      const label = option.label === undefined ? undefined : sanitizeXmlText(option.label);
      element.append(xml("option", { label }, xml("value", {}, sanitizeXmlText(option.value))));
    }
  }
  return element;
}

function valueStrings(field: FormField, value: FormValue | undefined): readonly string[] {
  if (value === undefined) return [];
  if (typeof value === "boolean") return [value ? "1" : "0"];
  if (Array.isArray(value)) return value;
  // XEP-0004 §3.3: a text-multi value is one <value/> per line.
  return field.type === "text-multi" ? value.split("\n") : [value];
}

/** Reads a data form (any type). Throws `XmppError("bad-request")` when `x` is not one. */
export function parseForm(x: Element): ParsedForm {
  if (!x.is("x", NS_DATA_FORMS)) throw new XmppError("bad-request", "Expected a jabber:x:data form.");
  const type = x.attrs.type ?? "";
  if (!FORM_TYPES.has(type)) throw new XmppError("bad-request", `Unknown data form type "${type}".`);
  const values: FormValues = {};
  let formType: string | undefined;
  for (const field of x.getChildren("field")) {
    const name = field.attrs.var;
    if (name === undefined) continue; // fixed fields need no var and carry no input
    const texts = field.getChildren("value").map((value) => value.text());
    if (name === "FORM_TYPE") {
      formType = texts[0];
      continue;
    }
    const multi = texts.length > 1 || MULTI_VALUE_TYPES.has(field.attrs.type ?? "");
    values[name] = multi ? texts : (texts[0] ?? "");
  }
  return {
    type: type as FormType,
    formType,
    title: x.getChildText("title") ?? undefined,
    instructions: x.getChildText("instructions") ?? undefined,
    values,
  };
}

/** What {@link validateSubmission} bounds besides the fields' own rules. */
export interface SubmissionLimits {
  /**
   * Characters (code points) in one field's value, all its `<value/>`s together; longer is
   * refused before anything else is checked. No bound when left out.
   */
  maxChars?: number | undefined;
}

/** Code points in `text`, counted only as far as needed to tell whether it is over `max`. */
export function exceedsChars(text: string, max: number): boolean {
  // UTF-16 length ≥ code points: at most `max` units is at most `max` characters.
  if (text.length <= max) return false;
  let count = 0;
  for (const _ of text) if (++count > max) return true;
  return false;
}

function valueChars(value: FormValue): string {
  if (typeof value === "boolean") return "";
  return Array.isArray(value) ? value.join("") : value;
}

/**
 * Refuses, with `XmppError("not-acceptable")`, a submission with a value over `maxChars`
 * characters: by the field's label when it is one the gateway asked for, as "a field" otherwise
 * (its var is the submitter's text too). Never quotes the value: it may be a password.
 */
export function checkFieldLengths(
  fields: readonly FormField[],
  submitted: Readonly<FormValues>,
  maxChars: number,
): void {
  const tooLong: string[] = [];
  let unknown = false;
  for (const [name, value] of Object.entries(submitted)) {
    if (!exceedsChars(valueChars(value), maxChars)) continue;
    const field = fields.find((f) => f.var === name);
    if (field) tooLong.push(field.label ?? field.var);
    else unknown = true;
  }
  if (tooLong.length === 0 && !unknown) return;
  const names = tooLong.length > 0 ? tooLong.join(", ") : "A field you sent";
  throw new XmppError(
    "not-acceptable",
    `${names} ${tooLong.length > 1 ? "are" : "is"} too long: the gateway accepts at most ${maxChars} characters per field.`,
  );
}

/** True when a submitted data form is of type `cancel` (XEP-0004): the submitter gave up. */
export function isCancelForm(x: Element | undefined | null): boolean {
  return !!x && x.is("x", NS_DATA_FORMS) && x.attrs.type === "cancel";
}

/**
 * Checks a submission against the fields the gateway asked for and converts it: booleans from
 * `1`/`true`/`0`/`false`, list choices checked against the options, `jid-single` parsed and
 * normalized, required fields present and non-blank, defaults filled in for what was left out.
 * Values for unknown vars are dropped. Throws `XmppError("not-acceptable")` naming every bad field
 * by its label, so the user sees all problems at once; a value over `limits.maxChars` is refused
 * first (see {@link checkFieldLengths}).
 */
export function validateSubmission(
  fields: readonly FormField[],
  submitted: Readonly<FormValues>,
  limits: SubmissionLimits = {},
): FormValues {
  if (limits.maxChars !== undefined) checkFieldLengths(fields, submitted, limits.maxChars);
  const result: FormValues = {};
  const problems: string[] = [];
  for (const field of fields) {
    if (field.type === "fixed") continue;
    const raw = Object.hasOwn(submitted, field.var) ? submitted[field.var] : undefined;
    const name = field.label ?? field.var;
    if (raw === undefined || isBlank(raw)) {
      if (field.value !== undefined) result[field.var] = field.value;
      else if (field.required) problems.push(`${name} is required`);
      continue;
    }
    const converted = convertValue(field, raw);
    if (typeof converted === "object" && "problem" in converted)
      problems.push(`${name} ${converted.problem}`);
    else result[field.var] = converted;
  }
  if (problems.length > 0) throw new XmppError("not-acceptable", `${problems.join("; ")}.`);
  return result;
}

function isBlank(value: FormValue): boolean {
  if (typeof value === "boolean") return false;
  if (Array.isArray(value)) return value.every((item) => item.trim() === "");
  return value.trim() === "";
}

function convertValue(field: FormField, raw: FormValue): FormValue | { problem: string } {
  switch (field.type) {
    case "boolean": {
      if (typeof raw === "boolean") return raw;
      const text = singleValue(raw);
      if (text === "1" || text === "true") return true;
      if (text === "0" || text === "false") return false;
      return { problem: "must be true or false" };
    }
    case "list-multi": {
      const chosen = typeof raw === "boolean" ? [String(raw)] : Array.isArray(raw) ? raw : [raw];
      const unknown = chosen.filter((choice) => !isOption(field, choice));
      return unknown.length === 0 ? chosen : { problem: `takes only ${optionList(field)}` };
    }
    case "text-multi":
      return Array.isArray(raw) ? raw : String(raw).split("\n");
    case "list-single": {
      const text = singleValue(raw);
      if (text === undefined) return { problem: "takes a single value" };
      return isOption(field, text) ? text : { problem: `must be one of ${optionList(field)}` };
    }
    case "jid-single": {
      const text = singleValue(raw);
      const jid = text === undefined ? undefined : JID.tryParse(text.trim());
      return jid ? jid.toString() : { problem: "must be a valid JID" };
    }
    default: {
      const text = singleValue(raw);
      return text ?? { problem: "takes a single value" };
    }
  }
}

/** The one value of a single-valued field; `undefined` when several were sent. */
function singleValue(raw: FormValue): string | undefined {
  if (!Array.isArray(raw)) return String(raw);
  return raw.length === 1 ? raw[0] : undefined;
}

function isOption(field: FormField, value: string): boolean {
  return field.options === undefined || field.options.some((option) => option.value === value);
}

/**
 * The choices a list field offers, to say what was expected: the answer itself is never quoted
 * back (it may be something private typed into the wrong field).
 */
function optionList(field: FormField): string {
  const values = (field.options ?? []).map((option) => option.value);
  const shown = values.slice(0, 10).join(", ");
  return values.length > 10 ? `${shown}, …` : shown;
}
