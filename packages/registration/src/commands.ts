import { type FormField, type FormValues, XmppError } from "@gangway/xmpp";
import { NOT_ALLOWED_TEXT } from "./registrar.js";

/**
 * One command framework, two renderings: every command is defined once and served both as an
 * XEP-0050 ad-hoc command and as a chat command on the component JID. A command is a dialogue of
 * pages (forms to fill, something to look at, a result); front ends only render pages and feed
 * answers back.
 */

/** Who may run a command. */
export type CommandAccess =
  /** anyone whose JID may use the gateway */
  | "any"
  /** only people who are not registered yet (e.g. register) */
  | "non-user"
  /** registered users */
  | "user"
  /** registered users whose session is logged in to the legacy network */
  | "logged-in"
  /** registered users whose session is not logged in (e.g. re-login) */
  | "not-logged-in"
  /** the gateway's administrators (`--admins`) */
  | "admin";

/** What the gateway knows about the person asking. */
export interface Requester {
  /** Bare JID. */
  jid: string;
  /** Matches `--user-jid-validator`. */
  allowed: boolean;
  registered: boolean;
  loggedIn: boolean;
  admin: boolean;
}

/** A form to fill. The front end validates the answers against `fields` before `submit`. */
export interface FormPage {
  kind: "form";
  title: string;
  instructions?: string | undefined;
  fields: readonly FormField[];
  /** Pre-filled values (e.g. current preferences); they win over the fields' defaults. */
  values?: FormValues | undefined;
  /**
   * Receives the validated answers. Throwing an XmppError refuses them: the front end shows the
   * error and the same page again, so nothing typed is lost but the refused answers.
   */
  submit(values: FormValues): Promise<CommandPage>;
}

/** Something to look at (a QR code to scan) that moves on by itself once it has been used. */
export interface DisplayPage {
  kind: "display";
  title: string;
  instructions: string;
  text: string;
  render: "qr" | "text";
  /** Resolves with the next page once the display was used; throws XmppError when it was not (timeout). */
  proceed(): Promise<CommandPage>;
}

export interface ResultTable {
  columns: ReadonlyArray<{ var: string; label: string }>;
  rows: ReadonlyArray<Record<string, string>>;
}

/** The end of a dialogue. */
export interface ResultPage {
  kind: "result";
  text?: string | undefined;
  table?: ResultTable | undefined;
}

export type CommandPage = FormPage | DisplayPage | ResultPage;

/** Where a dialogue runs, so a command that persists its state can find it again after a restart. */
export interface DialogueContext {
  frontEnd: "adhoc" | "chat";
  /** The XEP-0050 sessionid, or the chat dialogue's id. */
  dialogueId: string;
  /** In chat, what followed the keyword (`find alice` → "alice"); commands may use it as an answer. */
  args?: string | undefined;
}

export interface Command {
  /** XEP-0050 node, e.g. `jabber:iq:register`. */
  readonly node: string;
  /** Human name, shown in clients' command lists. */
  readonly name: string;
  /** The first word of the chat command, e.g. `register`. */
  readonly keyword: string;
  /** One line for `help`. */
  readonly help: string;
  readonly access: CommandAccess;
  /** Starts the dialogue: its first page. */
  run(requester: Requester, context: DialogueContext): Promise<CommandPage>;
  /**
   * Picks a dialogue up again after the gateway lost it (restart): its current page, or undefined
   * when there is nothing to resume. Only commands that persist their state implement it.
   */
  resume?(requester: Requester, context: DialogueContext): Promise<CommandPage | undefined>;
  /** The user left the dialogue (`cancel`, `abort`, or it expired). */
  cancel?(requester: Requester, context: DialogueContext): Promise<void>;
}

const ACCESS_DENIED: Record<Exclude<CommandAccess, "any">, [XmppError["condition"], string]> = {
  "non-user": ["conflict", "You are already registered to this gateway. Unregister first."],
  user: ["registration-required", "You are not registered to this gateway."],
  "logged-in": ["forbidden", "This command needs you to be logged in to the legacy network."],
  "not-logged-in": ["forbidden", "You are already logged in to the legacy network."],
  admin: ["forbidden", "Only the gateway's administrators can run this command."],
};

function permits(access: CommandAccess, requester: Requester): boolean {
  switch (access) {
    case "any":
      return true;
    case "non-user":
      return !requester.registered;
    case "user":
      return requester.registered;
    case "logged-in":
      return requester.registered && requester.loggedIn;
    case "not-logged-in":
      return requester.registered && !requester.loggedIn;
    case "admin":
      return requester.admin;
  }
}

/** Throws the XmppError a requester gets for a command they may not run. */
export function assertAccess(command: Command, requester: Requester): void {
  // Admins may administer the gateway even when their JID is outside the user validator.
  if (!requester.allowed && !requester.admin) throw new XmppError("not-allowed", NOT_ALLOWED_TEXT);
  if (command.access !== "any" && !permits(command.access, requester)) {
    const [condition, text] = ACCESS_DENIED[command.access];
    throw new XmppError(condition, text);
  }
}

/** The commands a requester may run, in definition order (what disco#items and `help` list). */
export function commandsFor(commands: readonly Command[], requester: Requester): Command[] {
  if (!requester.allowed && !requester.admin) return [];
  return commands.filter((command) => permits(command.access, requester));
}

/** A yes/no question as a form with one boolean field: a checkbox in ad-hoc, "(yes/no)" in chat. */
export function confirmation(title: string, question: string, onYes: () => Promise<CommandPage>): FormPage {
  return {
    kind: "form",
    title,
    fields: [{ var: "confirm", type: "boolean", label: question, required: true }],
    submit: async (values) =>
      values.confirm === true ? onYes() : { kind: "result", text: "OK, nothing changed." },
  };
}

export function result(text: string): ResultPage {
  return { kind: "result", text };
}
