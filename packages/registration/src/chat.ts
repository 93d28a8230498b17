import type { FormField, FormValue, FormValues } from "@gangway/xmpp";
import { XmppError } from "@gangway/xmpp";
import type { RegistrationState, StepView } from "./flow.js";
import type { Registrar } from "./registrar.js";

/**
 * The registration machine as a chat dialogue with the component JID, for clients that have
 * neither in-band registration nor ad-hoc commands: `help`, `register` (each field is asked in
 * turn, `abort` cancels), `unregister` (confirmed with yes/no).
 */
export interface RegistrationChatOptions {
  registrar: Registrar;
  /** Sends a chat message from the component to the user. */
  send(to: string, text: string): Promise<void>;
}

type Dialogue =
  | {
      kind: "form";
      state: RegistrationState;
      view: Extract<StepView, { kind: "form" }>;
      asked: number;
      answers: FormValues;
    }
  | { kind: "confirm-unregister" };

const YES = new Set(["yes", "y", "true", "1"]);
const NO = new Set(["no", "n", "false", "0"]);

function askableFields(view: Extract<StepView, { kind: "form" }>): FormField[] {
  return view.fields.filter((f) => f.type !== "fixed" && f.type !== "hidden");
}

function prompt(field: FormField): string {
  const label = field.label ?? field.var;
  let hint = "";
  if (field.type === "boolean") hint = " (yes/no)";
  else if (field.options?.length) {
    hint = `\n${field.options.map((o, i) => `${i + 1}. ${o.label ?? o.value}`).join("\n")}\n(number or value)`;
  }
  return `${label}?${hint} (or 'abort')`;
}

function parseAnswer(field: FormField, text: string): FormValue {
  if (field.type === "boolean") {
    const word = text.toLowerCase();
    if (YES.has(word)) return true;
    if (NO.has(word)) return false;
    return text;
  }
  const options = field.options ?? [];
  const index = Number(text);
  if (options.length > 0 && Number.isInteger(index) && index >= 1 && index <= options.length) {
    return options[index - 1]!.value;
  }
  return field.type === "list-multi" || field.type === "text-multi" ? text.split(/\s*,\s*|\n/) : text;
}

export class RegistrationChat {
  private readonly dialogues = new Map<string, Dialogue>();

  constructor(private readonly options: RegistrationChatOptions) {}

  /** True while the user is in the middle of a dialogue (then every message is an answer). */
  isInDialogue(bareJid: string): boolean {
    return this.dialogues.has(bareJid);
  }

  async handle(bareJid: string, text: string): Promise<void> {
    const { registrar } = this.options;
    registrar.assertAllowed(bareJid);
    const input = text.trim();
    const dialogue = this.dialogues.get(bareJid);
    if (dialogue) {
      if (input.toLowerCase() === "abort") {
        this.dialogues.delete(bareJid);
        return this.say(bareJid, "Aborted: nothing changed.");
      }
      return dialogue.kind === "form"
        ? this.answer(bareJid, dialogue, input)
        : this.confirmUnregister(bareJid, input);
    }

    const registered = (await registrar.user(bareJid)) !== undefined;
    switch (input.toLowerCase()) {
      case "help":
        return this.say(
          bareJid,
          [
            "Commands:",
            registered
              ? "unregister — stop using this gateway and delete your data"
              : "register — register with this gateway",
            "help — this list",
          ].join("\n"),
        );
      case "register": {
        if (registered)
          return this.say(bareJid, "You are already registered. Send 'unregister' first to start over.");
        const { state, view } = await registrar.begin(bareJid);
        return this.show(bareJid, state, view);
      }
      case "unregister":
        if (!registered) return this.say(bareJid, "You are not registered to this gateway.");
        this.dialogues.set(bareJid, { kind: "confirm-unregister" });
        return this.say(bareJid, "Are you sure you want to unregister? (yes/no)");
      default:
        return this.say(bareJid, `Unknown command '${input}'. Send 'help' for the list of commands.`);
    }
  }

  private async show(bareJid: string, state: RegistrationState, view: StepView): Promise<void> {
    if (view.kind !== "form") {
      this.dialogues.delete(bareJid);
      throw new XmppError("feature-not-implemented", "This registration step cannot be shown in a chat yet.");
    }
    const dialogue: Dialogue = { kind: "form", state, view, asked: 0, answers: {} };
    this.dialogues.set(bareJid, dialogue);
    const intro = [view.title, view.instructions].filter(Boolean).join("\n");
    await this.say(bareJid, intro);
    await this.askNext(bareJid, dialogue);
  }

  private async askNext(bareJid: string, dialogue: Extract<Dialogue, { kind: "form" }>): Promise<void> {
    const field = askableFields(dialogue.view)[dialogue.asked];
    if (field) await this.say(bareJid, prompt(field));
  }

  private async answer(bareJid: string, dialogue: Extract<Dialogue, { kind: "form" }>, input: string) {
    const fields = askableFields(dialogue.view);
    const field = fields[dialogue.asked]!;
    dialogue.answers[field.var] = parseAnswer(field, input);
    dialogue.asked++;
    if (dialogue.asked < fields.length) return this.askNext(bareJid, dialogue);

    let result: Awaited<ReturnType<Registrar["submit"]>>;
    try {
      result = await this.options.registrar.submit(dialogue.state, dialogue.answers);
    } catch (err) {
      if (!(err instanceof XmppError)) {
        this.dialogues.delete(bareJid);
        throw err;
      }
      // Refused: stay on this step and ask its fields again.
      dialogue.asked = 0;
      dialogue.answers = {};
      await this.say(bareJid, `${err.text ?? err.condition}. Let's try again.`);
      return this.askNext(bareJid, dialogue);
    }
    if ("kind" in result) return this.show(bareJid, dialogue.state, result);
    this.dialogues.delete(bareJid);
    return this.say(bareJid, "Registration complete.");
  }

  private async confirmUnregister(bareJid: string, input: string): Promise<void> {
    const word = input.toLowerCase();
    if (!YES.has(word) && !NO.has(word)) return this.say(bareJid, "Please answer yes or no (or 'abort').");
    this.dialogues.delete(bareJid);
    if (NO.has(word)) return this.say(bareJid, "OK, nothing changed.");
    await this.options.registrar.unregister(bareJid);
    return this.say(bareJid, "You are not registered to this gateway anymore.");
  }

  private say(to: string, text: string): Promise<void> {
    return this.options.send(to, text);
  }
}
