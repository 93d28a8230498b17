import type { PendingRegistrationRepository } from "@gangway/store";
import type { FormField, FormValues } from "@gangway/xmpp";
import {
  type Command,
  type CommandPage,
  confirmation,
  type DialogueContext,
  type FormPage,
  result,
} from "./commands.js";
import type { RegistrationState, StepView } from "./flow.js";
import { NS_REGISTER } from "./ibr.js";
import type { QrConfirmations } from "./qr-confirmations.js";
import type { Registrar } from "./registrar.js";

export const REGISTRATION_COMPLETE_TEXT = "Registration complete.";
export const UNREGISTERED_TEXT = "You are not registered to this gateway anymore.";

export interface PreferencesForm {
  fields: readonly FormField[];
  /** Stores a user's validated preferences. */
  save(bareJid: string, values: FormValues): Promise<void>;
}

export interface RegistrationCommandsOptions {
  registrar: Registrar;
  /** Where half-done registrations wait, sealed, so a restart does not lose them. */
  pending: PendingRegistrationRepository;
  /** `--partial-registration-timeout`: how long a registration may stay half done. */
  partialRegistrationTimeoutMs: number;
  /** Asked at the end of a registration when the gateway has preferences. */
  preferences?: PreferencesForm | undefined;
  /** The QR waits of the flow, so an aborted registration stops waiting. */
  qr?: QrConfirmations | undefined;
}

/** The preferences form; after registration, and as the `preferences` command. */
export function preferencesPage(
  preferences: PreferencesForm,
  bareJid: string,
  current: FormValues,
  done: string,
): FormPage {
  return {
    kind: "form",
    title: "Preferences",
    instructions: "How the gateway should behave for you. You can change this later with 'preferences'.",
    fields: preferences.fields,
    values: current,
    submit: async (values) => {
      await preferences.save(bareJid, values);
      return result(done);
    },
  };
}

/**
 * `register` (the registration step machine as a command, for ad-hoc and chat) and `unregister`.
 * The register dialogue is saved after every step, so it survives a restart until it expires.
 */
export function registrationCommands(options: RegistrationCommandsOptions): Command[] {
  const { registrar, pending } = options;

  const save = (context: DialogueContext, state: RegistrationState) =>
    pending.save({
      id: context.dialogueId,
      jid: state.userJid,
      frontEnd: context.frontEnd,
      state: state as unknown as Record<string, unknown>,
      expiresAt: new Date(Date.now() + options.partialRegistrationTimeoutMs),
    });

  const pageFor = (context: DialogueContext, state: RegistrationState, view: StepView): CommandPage => {
    const advance = async (answer: FormValues): Promise<CommandPage> => {
      const next = await registrar.submit(state, answer);
      if ("kind" in next) {
        await save(context, state);
        return pageFor(context, state, next);
      }
      await pending.delete(context.dialogueId);
      return options.preferences
        ? preferencesPage(options.preferences, state.userJid, {}, REGISTRATION_COMPLETE_TEXT)
        : result(REGISTRATION_COMPLETE_TEXT);
    };
    if (view.kind === "form") {
      return {
        kind: "form",
        title: view.title,
        instructions: view.instructions,
        fields: view.fields,
        submit: advance,
      };
    }
    return {
      kind: "display",
      title: view.title,
      instructions: view.instructions,
      text: view.text,
      render: view.render,
      proceed: () => advance({}),
    };
  };

  const register: Command = {
    node: NS_REGISTER,
    name: "Register with this gateway",
    keyword: "register",
    help: "register with this gateway",
    access: "non-user",
    async run(requester, context) {
      const { state, view } = await registrar.begin(requester.jid);
      await save(context, state);
      return pageFor(context, state, view);
    },
    async resume(requester, context) {
      const saved = await pending.get(context.dialogueId);
      if (!saved || saved.jid !== requester.jid || saved.frontEnd !== context.frontEnd) return undefined;
      if (requester.registered) {
        await pending.delete(context.dialogueId);
        return undefined;
      }
      const state = saved.state as unknown as RegistrationState;
      return pageFor(context, state, await registrar.flow.currentStep(state).view(state));
    },
    async cancel(requester, context) {
      options.qr?.cancel(requester.jid);
      await pending.delete(context.dialogueId);
    },
  };

  const unregister: Command = {
    node: "gangway:unregister",
    name: "Unregister from this gateway",
    keyword: "unregister",
    help: "stop using this gateway and delete your data",
    access: "user",
    async run(requester) {
      return confirmation(
        "Unregister",
        "Are you sure you want to unregister? Your contacts and settings on this gateway will be deleted.",
        async () => {
          await registrar.unregister(requester.jid);
          return result(UNREGISTERED_TEXT);
        },
      );
    },
  };

  return [register, unregister];
}
