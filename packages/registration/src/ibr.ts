import type { UserRow } from "@gangway/store";
import {
  buildForm,
  checkFieldLengths,
  type Element,
  type FormField,
  type FormValues,
  isCancelForm,
  NS_DATA_FORMS,
  parseForm,
  type XmppComponent,
  xml,
} from "@gangway/xmpp";
import { FormStep } from "./flow.js";
import { PerKeyQueue } from "./per-key-queue.js";
import type { Registrar } from "./registrar.js";

export const NS_REGISTER = "jabber:iq:register";

/** XEP-0077 §14.1: the fields a client without data-form support can show as plain elements. */
const LEGACY_IBR_FIELDS = new Set([
  "username",
  "nick",
  "password",
  "name",
  "first",
  "last",
  "email",
  "address",
  "city",
  "state",
  "zip",
  "phone",
  "url",
  "date",
  "misc",
  "text",
  "key",
]);

export interface InBandRegistrationOptions {
  registrar: Registrar;
  /** Shown when the flow needs more than one form, so the user knows where to go instead. */
  multiStepHint: string;
  /** Longest value of one submitted field, in characters (`--max-field-chars`); no bound when unset. */
  maxFieldChars?: number;
}

/** Registered users see their current values again, except private ones (passwords stay out). */
function publicValues(user: UserRow, fields: readonly FormField[]): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = user.registration[field.var];
    if (field.type !== "text-private" && value !== undefined) values[field.var] = value as FormValues[string];
  }
  return values;
}

/** The single form's fields, to name a refused field by its label (none for multi-step flows). */
function formFields(registrar: Registrar): readonly FormField[] {
  const [step] = registrar.flow.steps;
  return step instanceof FormStep ? step.fields : [];
}

/** Reads either a submitted data form or the legacy plain fields. */
function submittedValues(query: Element): FormValues {
  const x = query.getChild("x", "jabber:x:data");
  if (x) return parseForm(x).values;
  const values: FormValues = {};
  for (const child of query.getChildElements()) {
    if (LEGACY_IBR_FIELDS.has(child.name)) values[child.name] = child.text();
  }
  return values;
}

/**
 * XEP-0077 in-band registration with the component: `get` returns the registration form,
 * `set` runs the flow and stores the user, `<remove/>` unregisters.
 */
export function serveInBandRegistration(component: XmppComponent, options: InBandRegistrationOptions): void {
  const { registrar } = options;
  const toComponent = (to: string) => to === component.domain;
  // One user's requests in arrival order: a removal must not overtake a registration still validating.
  const inOrder = new PerKeyQueue();
  const handle: XmppComponent["iq"]["handle"] = (route, handler) =>
    component.iq.handle(route, (context) =>
      inOrder.run(context.from.bare().toString(), async () => handler(context)),
    );

  handle({ namespace: NS_REGISTER, type: "get", to: toComponent }, async ({ from }) => {
    const bareJid = from.bare().toString();
    registrar.assertAllowed(bareJid);
    const user = await registrar.user(bareJid);
    if (!registrar.flow.isSingleForm) {
      return xml(
        "query",
        { xmlns: NS_REGISTER },
        user ? xml("registered") : null,
        xml("instructions", {}, options.multiStepHint),
      );
    }
    const state = registrar.flow.newState(bareJid);
    const view = await registrar.flow.currentStep(state).view(state);
    const fields = view.kind === "form" ? view.fields : [];
    const filled = user ? publicValues(user, fields) : {};
    const legacyFields = fields.filter((f) => LEGACY_IBR_FIELDS.has(f.var));
    return xml(
      "query",
      { xmlns: NS_REGISTER },
      user ? xml("registered") : null,
      xml("instructions", {}, view.instructions),
      ...legacyFields.map((f) => xml(f.var, {}, typeof filled[f.var] === "string" ? filled[f.var] : "")),
      buildForm({
        type: "form",
        formType: NS_REGISTER,
        title: view.title,
        instructions: view.instructions,
        fields,
        values: filled,
      }),
    );
  });

  handle({ namespace: NS_REGISTER, type: "set", to: toComponent }, async ({ from, child }) => {
    const bareJid = from.bare().toString();
    if (child.getChild("remove")) {
      await registrar.unregister(bareJid);
      return;
    }
    registrar.assertAllowed(bareJid);
    // XEP-0004: the user gave up on the form. XEP-0077 names no error for it: nothing is stored,
    // the request simply succeeds.
    if (isCancelForm(child.getChild("x", NS_DATA_FORMS))) return;
    const values = submittedValues(child);
    if (options.maxFieldChars !== undefined) {
      // Before the app's validation (which may call the legacy network with what was typed).
      checkFieldLengths(formFields(registrar), values, options.maxFieldChars);
    }
    await registrar.registerWithForm(bareJid, values);
  });
}
