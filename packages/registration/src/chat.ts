import {
  type FormField,
  type FormValue,
  type FormValues,
  validateSubmission,
  XmppError,
} from "@gangway/xmpp";
import {
  assertAccess,
  type Command,
  type CommandPage,
  commandsFor,
  type DialogueContext,
  type FormPage,
  type Requester,
} from "./commands.js";
import { NOT_ALLOWED_TEXT } from "./registrar.js";

/**
 * The command framework as a chat dialogue with the component JID, for clients that have neither
 * in-band registration nor ad-hoc commands: `help` lists what the sender may run, a keyword starts
 * a command, each form field is asked in turn (`abort` leaves), yes/no for booleans, numbers or
 * values for lists, and QR codes are sent as images and text.
 */
export interface ChatCommandsOptions {
  commands: readonly Command[];
  requester(bareJid: string): Promise<Requester>;
  /** Sends a chat message from the component to the user. */
  send(to: string, text: string): Promise<void>;
  /** Sends a QR code to the user (an image where possible, and its text). */
  sendQr(to: string, text: string): Promise<void>;
  /** Failures of work that runs after a message was handled (a QR wait). */
  onBackgroundError?(error: unknown): void;
}

type Dialogue = {
  command: Command;
  context: DialogueContext;
  /** Undefined while a display page waits to be used (nothing to answer then). */
  form: { page: FormPage; asked: number; answers: FormValues } | undefined;
};

const YES = new Set(["yes", "y", "true", "1"]);
const NO = new Set(["no", "n", "false", "0"]);

function askableFields(page: FormPage): FormField[] {
  return page.fields.filter((f) => f.type !== "fixed" && f.type !== "hidden");
}

function prompt(field: FormField): string {
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

/** Chat dialogues are one per person: the id is derived from the JID, so a restart can find it again. */
export function chatDialogueId(bareJid: string): string {
  return `chat:${bareJid}`;
}

export class ChatCommands {
  private readonly dialogues = new Map<string, Dialogue>();

  constructor(private readonly options: ChatCommandsOptions) {}

  /** True while the user is in the middle of a dialogue (then every message is an answer). */
  isInDialogue(bareJid: string): boolean {
    return this.dialogues.has(bareJid);
  }

  async handle(bareJid: string, text: string): Promise<void> {
    const requester = await this.options.requester(bareJid);
    // The same answer as every other front end: an error the client shows.
    if (!requester.allowed && !requester.admin) throw new XmppError("not-allowed", NOT_ALLOWED_TEXT);
    const input = text.trim();
    const dialogue = this.dialogues.get(bareJid);
    if (!dialogue && (await this.resume(requester, input))) return;
    if (dialogue) {
      if (input.toLowerCase() === "abort") {
        this.dialogues.delete(bareJid);
        await dialogue.command.cancel?.(requester, dialogue.context);
        return this.say(bareJid, "Aborted: nothing changed.");
      }
      if (!dialogue.form)
        return this.say(bareJid, "Still waiting for the QR code to be scanned (or 'abort').");
      return this.answer(bareJid, dialogue, input);
    }

    const [keyword = "", ...rest] = input.split(/\s+/);
    const word = keyword.toLowerCase();
    if (word === "help") return this.help(requester, rest[0]);
    const command = this.options.commands.find((c) => c.keyword === word);
    if (!command)
      return this.say(bareJid, `Unknown command '${input}'. Send 'help' for the list of commands.`);
    try {
      assertAccess(command, requester);
    } catch (err) {
      if (err instanceof XmppError) return this.say(bareJid, err.text ?? err.condition);
      throw err;
    }
    const context: DialogueContext = {
      frontEnd: "chat",
      dialogueId: chatDialogueId(bareJid),
      args: rest.join(" ") || undefined,
    };
    await this.show(bareJid, { command, context, form: undefined }, await command.run(requester, context));
  }

  private help(requester: Requester, about: string | undefined): Promise<void> {
    const visible = commandsFor(this.options.commands, requester);
    const command = about && visible.find((c) => c.keyword === about.toLowerCase());
    if (command) return this.say(requester.jid, `${command.keyword}: ${command.name}\n${command.help}`);
    return this.say(
      requester.jid,
      ["Commands:", ...visible.map((c) => `${c.keyword} — ${c.help}`), "help — this list"].join("\n"),
    );
  }

  /**
   * After a restart: a persisted dialogue (a registration half done) is picked up at the step it
   * was on. The message that woke it is not taken as an answer (the user may have been answering a
   * field whose prompt they will now see again), except 'abort'. True when it resumed one.
   */
  private async resume(requester: Requester, input: string): Promise<boolean> {
    const context: DialogueContext = { frontEnd: "chat", dialogueId: chatDialogueId(requester.jid) };
    for (const command of this.options.commands) {
      if (!command.resume) continue;
      const page = await command.resume(requester, context);
      if (!page) continue;
      if (input.toLowerCase() === "abort") {
        await command.cancel?.(requester, context);
        await this.say(requester.jid, "Aborted: nothing changed.");
        return true;
      }
      await this.say(
        requester.jid,
        `The gateway restarted while you were in '${command.keyword}'. Let's continue from the last step.`,
      );
      await this.show(requester.jid, { command, context, form: undefined }, page);
      return true;
    }
    return false;
  }

  private async show(bareJid: string, dialogue: Dialogue, page: CommandPage): Promise<void> {
    switch (page.kind) {
      case "result": {
        this.dialogues.delete(bareJid);
        const lines = page.text ? [page.text] : [];
        for (const row of page.table?.rows ?? []) {
          lines.push(page.table!.columns.map((c) => `${c.label}: ${row[c.var] ?? ""}`).join(", "));
        }
        if (page.table && page.table.rows.length === 0) lines.push("(none)");
        return this.say(bareJid, lines.join("\n") || "Done.");
      }
      case "display": {
        dialogue.form = undefined;
        this.dialogues.set(bareJid, dialogue);
        await this.say(bareJid, `${page.title}\n${page.instructions}`);
        if (page.render === "qr") await this.options.sendQr(bareJid, page.text);
        else await this.say(bareJid, page.text);
        // Nothing to answer: the page moves on when the legacy side confirms. Not awaited, so
        // this message's handling ends here and the user can still send 'abort'.
        void page.proceed().then(
          (next) =>
            this.dialogues.get(bareJid) === dialogue ? this.show(bareJid, dialogue, next) : undefined,
          (err) => this.displayFailed(bareJid, dialogue, err),
        );
        return;
      }
      case "form": {
        dialogue.form = { page, asked: 0, answers: {} };
        this.dialogues.set(bareJid, dialogue);
        const fixed = page.fields
          .filter((f) => f.type === "fixed")
          .map((f) => String(f.value ?? f.label ?? ""));
        const intro = [page.title, page.instructions, ...fixed].filter(Boolean).join("\n");
        if (intro) await this.say(bareJid, intro);
        if (askableFields(page).length === 0) return this.submit(bareJid, dialogue);
        return this.askNext(bareJid, dialogue);
      }
    }
  }

  private async displayFailed(bareJid: string, dialogue: Dialogue, err: unknown): Promise<void> {
    if (this.dialogues.get(bareJid) !== dialogue) return;
    this.dialogues.delete(bareJid);
    try {
      await dialogue.command.cancel?.(await this.options.requester(bareJid), dialogue.context);
      const text =
        err instanceof XmppError ? (err.text ?? err.condition) : "Something went wrong in the gateway.";
      if (!(err instanceof XmppError)) this.options.onBackgroundError?.(err);
      await this.say(bareJid, text);
    } catch (sendError) {
      this.options.onBackgroundError?.(sendError);
    }
  }

  private async askNext(bareJid: string, dialogue: Dialogue): Promise<void> {
    const form = dialogue.form!;
    const field = askableFields(form.page)[form.asked];
    if (field) await this.say(bareJid, prompt(field));
  }

  private async answer(bareJid: string, dialogue: Dialogue, input: string): Promise<void> {
    const form = dialogue.form!;
    const fields = askableFields(form.page);
    const field = fields[form.asked]!;
    if (field.type === "boolean" && !YES.has(input.toLowerCase()) && !NO.has(input.toLowerCase())) {
      return this.say(bareJid, "Please answer yes or no (or 'abort').");
    }
    form.answers[field.var] = parseAnswer(field, input);
    form.asked++;
    if (form.asked < fields.length) return this.askNext(bareJid, dialogue);
    return this.submit(bareJid, dialogue);
  }

  private async submit(bareJid: string, dialogue: Dialogue): Promise<void> {
    const form = dialogue.form!;
    let next: CommandPage;
    try {
      next = await form.page.submit(validateSubmission(form.page.fields, form.answers));
    } catch (err) {
      if (!(err instanceof XmppError)) {
        this.dialogues.delete(bareJid);
        throw err;
      }
      // Refused: stay on this page and ask its fields again.
      form.asked = 0;
      form.answers = {};
      await this.say(bareJid, `${err.text ?? err.condition}. Let's try again.`);
      return this.askNext(bareJid, dialogue);
    }
    return this.show(bareJid, dialogue, next);
  }

  private say(to: string, text: string): Promise<void> {
    return this.options.send(to, text);
  }
}
