import type { FormField, FormValue } from "@gangway/xmpp";
import type { FormPage } from "./commands.js";

/** How the chat front end asks a form field as a line of text, and reads the answer. */

export const YES = new Set(["yes", "y", "true", "1"]);
export const NO = new Set(["no", "n", "false", "0"]);

export function askableFields(page: FormPage): FormField[] {
  return page.fields.filter((f) => f.type !== "fixed" && f.type !== "hidden");
}

export function prompt(field: FormField): string {
  const label = field.label ?? field.var;
  let hint = "";
  if (field.type === "boolean") hint = " (yes/no)";
  else if (field.options?.length) {
    hint = `\n${field.options.map((o, i) => `${i + 1}. ${o.label ?? o.value}`).join("\n")}\n(number or value)`;
  }
  let current = "";
  if (typeof field.value === "boolean") current = ` [${field.value ? "yes" : "no"}]`;
  else if (field.value !== undefined && field.type !== "text-private") current = ` [${String(field.value)}]`;
  // A label that is already a sentence (a confirmation's question) gets no extra question mark.
  const question = /[.?!:]$/.test(label) ? label : `${label}?`;
  return `${question}${hint}${current} (or 'abort')`;
}

export function parseAnswer(field: FormField, text: string): FormValue {
  if (field.type === "boolean") {
    const word = text.toLowerCase();
    if (YES.has(word)) return true;
    if (NO.has(word)) return false;
    return text;
  }
  const options = field.options ?? [];
  const choose = (answer: string): string => {
    const index = Number(answer);
    return options.length > 0 && Number.isInteger(index) && index >= 1 && index <= options.length
      ? options[index - 1]!.value
      : answer;
  };
  if (field.type === "list-multi") return text.split(/\s*,\s*|\n/).map(choose);
  if (field.type === "text-multi") return text.split(/\s*,\s*|\n/);
  return choose(text);
}

/**
 * Whether a list answer is one of the options (lists without options take anything). Checked
 * here, so the form's validation never has an unknown choice to quote back.
 */
export function isChoice(field: FormField, value: FormValue): boolean {
  if ((field.type !== "list-single" && field.type !== "list-multi") || !field.options?.length) return true;
  const chosen = Array.isArray(value) ? value : [String(value)];
  return chosen.every((choice) => field.options!.some((option) => option.value === choice));
}
