import {
  exceedsChars,
  type FormField,
  type FormValue,
  type FormValues,
  toXmppError,
  validateSubmission,
  XmppError,
} from "@gangway/xmpp";
import { askableFields, isChoice, NO, parseAnswer, prompt, YES } from "./chat-fields.js";
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
  /** Longest line read, in characters (default {@link MAX_CHAT_LINE_LENGTH}): `--max-field-chars`. */
  maxLineChars?: number;
}

type DialogueForm = { page: FormPage; asked: number; answers: FormValues };

type Dialogue = {
  command: Command;
  context: DialogueContext;
  /** Undefined while a display page waits to be used (nothing to answer then). */
  form: DialogueForm | undefined;
  /** What the user typed into text-private fields: no text of this dialogue may show it again. */
  secrets: string[];
};

/**
 * Longer lines are refused unread (an XMPP message can be far bigger than any answer needs): the
 * default of {@link ChatCommandsOptions.maxLineChars}.
 */
export const MAX_CHAT_LINE_LENGTH = 4096;
/** Lines of one user that may wait their turn, the one being handled included; a burst beyond is dropped. */
export const MAX_WAITING_LINES = 50;

/** One user's lines, handled one after the other in arrival order. */
type Lane = {
  /** Settles when the last work queued here is done: the next starts after it. */
  tail: Promise<void>;
  /** Work queued and not done yet, the running one included. */
  waiting: number;
  /**
   * Lines dropped in the current burst (it ends when the lane is idle). Once a line is dropped,
   * the lines still waiting are dropped too: what follows a lost line would answer the wrong question.
   */
  dropped: number;
};

const WITHHELD_TEXT =
  "(A message was withheld here: it would have shown something you typed in a private field.)";

/** Chat dialogues are one per person: the id is derived from the JID, so a restart can find it again. */
export function chatDialogueId(bareJid: string): string {
  return `chat:${bareJid}`;
}

export class ChatCommands {
  private readonly dialogues = new Map<string, Dialogue>();
  /** Only users with work queued or running: a lane is removed when it is idle again. */
  private readonly lanes = new Map<string, Lane>();

  constructor(private readonly options: ChatCommandsOptions) {}

  private get maxLineChars(): number {
    return this.options.maxLineChars ?? MAX_CHAT_LINE_LENGTH;
  }

  /** True while the user is in the middle of a dialogue (then every message is an answer). */
  isInDialogue(bareJid: string): boolean {
    return this.dialogues.has(bareJid);
  }

  /**
   * Handles one line the user sent to the gateway. A user's lines are handled one after the other,
   * in the order of the calls (the call queues the line before it returns); different users' lines
   * run concurrently. Settles when this line has been handled (rejects with the XmppError to answer
   * it with), or at once when it was dropped: see MAX_WAITING_LINES and `maxLineChars`.
   */
  handle(bareJid: string, text: string): Promise<void> {
    const lane = this.lanes.get(bareJid);
    if (lane && (lane.dropped > 0 || lane.waiting >= MAX_WAITING_LINES)) {
      lane.dropped++;
      return Promise.resolve();
    }
    // An over-long line is not kept while it waits: only that it was one.
    const line = exceedsChars(text, this.maxLineChars) ? undefined : text;
    return this.enqueue(bareJid, (current) => {
      if (current.dropped > 0) {
        current.dropped++;
        return Promise.resolve();
      }
      return this.handleLine(bareJid, line);
    });
  }

  /** Runs `work` after everything queued for this user before it. */
  private enqueue(bareJid: string, work: (lane: Lane) => Promise<void>): Promise<void> {
    let lane = this.lanes.get(bareJid);
    if (!lane) {
      lane = { tail: Promise.resolve(), waiting: 0, dropped: 0 };
      this.lanes.set(bareJid, lane);
    }
    const current = lane;
    current.waiting++;
    const run = current.tail.then(() => work(current));
    const done = run.then(
      () => this.workDone(bareJid, current),
      () => this.workDone(bareJid, current),
    );
    current.tail = done;
    return run;
  }

  /** After each piece of work: when the lane is idle, ends a burst that overflowed, then forgets the lane. */
  private async workDone(bareJid: string, lane: Lane): Promise<void> {
    lane.waiting--;
    if (lane.waiting > 0) return;
    if (lane.dropped > 0) {
      const dropped = lane.dropped;
      lane.dropped = 0;
      try {
        await this.overflowed(bareJid, dropped);
      } catch (err) {
        this.options.onBackgroundError?.(err);
      }
    }
    if (lane.waiting === 0 && this.lanes.get(bareJid) === lane) this.lanes.delete(bareJid);
  }

  /**
   * The one notice of a burst that had lines dropped. A dialogue under way is aborted: the lines
   * after the dropped ones would have answered the wrong questions.
   */
  private async overflowed(bareJid: string, dropped: number): Promise<void> {
    const requester = await this.options.requester(bareJid);
    if (!requester.allowed && !requester.admin) return;
    const lines = [
      `Too many messages at once: ${dropped} of them were not read (at most ${MAX_WAITING_LINES} can wait). Send them one at a time.`,
    ];
    const dialogue = this.dialogues.get(bareJid);
    if (dialogue) {
      this.dialogues.delete(bareJid);
      await dialogue.command.cancel?.(requester, dialogue.context);
      lines.push(`'${dialogue.command.keyword}' was aborted: nothing changed.`);
    }
    await this.say(bareJid, lines.join("\n"));
  }

  /** One line, its turn come; `text` is undefined for a line that was too long to read. */
  private async handleLine(bareJid: string, text: string | undefined): Promise<void> {
    const requester = await this.options.requester(bareJid);
    // The same answer as every other front end: an error the client shows.
    if (!requester.allowed && !requester.admin) throw new XmppError("not-allowed", NOT_ALLOWED_TEXT);
    if (text === undefined) {
      return this.say(
        bareJid,
        `That message was not read: messages to the gateway can be at most ${this.maxLineChars} characters long.`,
      );
    }
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
      return this.answer(bareJid, dialogue, dialogue.form, input);
    }

    const [keyword = "", ...rest] = input.split(/\s+/);
    const word = keyword.toLowerCase();
    if (word === "help") return this.help(requester, rest[0]);
    const command = this.options.commands.find((c) => c.keyword === word);
    if (!command) return this.say(bareJid, "Unknown command. Send 'help' for the list of commands.");
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
    await this.show(
      bareJid,
      { command, context, form: undefined, secrets: [] },
      await command.run(requester, context),
    );
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
      await this.show(requester.jid, { command, context, form: undefined, secrets: [] }, page);
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
        return this.tell(bareJid, dialogue, lines.join("\n") || "Done.");
      }
      case "display": {
        dialogue.form = undefined;
        this.dialogues.set(bareJid, dialogue);
        await this.tell(bareJid, dialogue, `${page.title}\n${page.instructions}`);
        if (page.render === "qr" && !this.reveals(dialogue, page.text))
          await this.options.sendQr(bareJid, page.text);
        else await this.tell(bareJid, dialogue, page.text);
        // Nothing to answer: the page moves on when the legacy side confirms. Not awaited, so
        // this message's handling ends here and the user can still send 'abort'; what follows
        // takes its turn among the user's lines, so it never runs while one of them is handled.
        page
          .proceed()
          .then(
            (next) =>
              this.enqueue(bareJid, () =>
                this.dialogues.get(bareJid) === dialogue
                  ? this.show(bareJid, dialogue, next)
                  : Promise.resolve(),
              ),
            (err) => this.enqueue(bareJid, () => this.displayFailed(bareJid, dialogue, err)),
          )
          .catch((err) => this.options.onBackgroundError?.(err));
        return;
      }
      case "form": {
        dialogue.form = { page, asked: 0, answers: {} };
        this.dialogues.set(bareJid, dialogue);
        const fixed = page.fields
          .filter((f) => f.type === "fixed")
          .map((f) => String(f.value ?? f.label ?? ""));
        const intro = [page.title, page.instructions, ...fixed].filter(Boolean).join("\n");
        if (intro) await this.tell(bareJid, dialogue, intro);
        if (askableFields(page).length === 0) return this.submit(bareJid, dialogue, dialogue.form);
        return this.askNext(bareJid, dialogue, dialogue.form);
      }
    }
  }

  private async displayFailed(bareJid: string, dialogue: Dialogue, err: unknown): Promise<void> {
    if (this.dialogues.get(bareJid) !== dialogue) return;
    this.dialogues.delete(bareJid);
    try {
      await dialogue.command.cancel?.(await this.options.requester(bareJid), dialogue.context);
      // A known cause (the database is down) gets its own text; anything else the generic one.
      const reply = toXmppError(err);
      const text = reply.text ?? reply.condition;
      if (!(err instanceof XmppError)) this.options.onBackgroundError?.(err);
      await this.tell(bareJid, dialogue, text, `'${dialogue.command.keyword}' failed and was aborted.`);
    } catch (sendError) {
      this.options.onBackgroundError?.(sendError);
    }
  }

  private async askNext(bareJid: string, dialogue: Dialogue, form: DialogueForm): Promise<void> {
    const field = askableFields(form.page)[form.asked];
    if (field) await this.tell(bareJid, dialogue, prompt(field));
  }

  private async answer(
    bareJid: string,
    dialogue: Dialogue,
    form: DialogueForm,
    input: string,
  ): Promise<void> {
    const fields = askableFields(form.page);
    const field = fields[form.asked];
    // Lines take turns, so a form on screen always has a field left to answer; should it not,
    // what was answered is submitted rather than a missing field read.
    if (!field) return this.submit(bareJid, dialogue, form);
    if (field.type === "boolean" && !YES.has(input.toLowerCase()) && !NO.has(input.toLowerCase())) {
      return this.say(bareJid, "Please answer yes or no (or 'abort').");
    }
    const value = parseAnswer(field, input);
    if (!isChoice(field, value)) {
      return this.say(bareJid, "Please answer with one of the numbers or values listed (or 'abort').");
    }
    if (field.type === "text-private" && input !== "") dialogue.secrets.push(input);
    form.answers[field.var] = value;
    form.asked++;
    if (form.asked < fields.length) return this.askNext(bareJid, dialogue, form);
    return this.submit(bareJid, dialogue, form);
  }

  private async submit(bareJid: string, dialogue: Dialogue, form: DialogueForm): Promise<void> {
    let next: CommandPage;
    try {
      next = await form.page.submit(
        validateSubmission(form.page.fields, form.answers, { maxChars: this.maxLineChars }),
      );
    } catch (err) {
      if (!(err instanceof XmppError)) {
        this.dialogues.delete(bareJid);
        throw err;
      }
      // Refused: stay on this page and ask its fields again.
      form.asked = 0;
      form.answers = {};
      await this.tell(
        bareJid,
        dialogue,
        `${err.text ?? err.condition}. Let's try again.`,
        "That was refused. Let's try again.",
      );
      return this.askNext(bareJid, dialogue, form);
    }
    return this.show(bareJid, dialogue, next);
  }

  /** True when `text` shows something the user typed in a private field of this dialogue. */
  private reveals(dialogue: Dialogue, text: string): boolean {
    return dialogue.secrets.some((secret) => text.includes(secret));
  }

  /** Says a text of a dialogue: `fallback` instead when it would show a private answer. */
  private tell(bareJid: string, dialogue: Dialogue, text: string, fallback = WITHHELD_TEXT): Promise<void> {
    return this.say(bareJid, this.reveals(dialogue, text) ? fallback : text);
  }

  private say(to: string, text: string): Promise<void> {
    return this.options.send(to, text);
  }
}
