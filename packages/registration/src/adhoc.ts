import { createHash } from "node:crypto";
import {
  buildForm,
  type Element,
  type FormValues,
  isCancelForm,
  parseForm,
  validateSubmission,
  type XmppComponent,
  XmppError,
  xml,
} from "@gangway/xmpp";
import {
  assertAccess,
  type Command,
  type CommandPage,
  commandsFor,
  type DialogueContext,
  type DisplayPage,
  type FormPage,
  type Requester,
} from "./commands.js";
import { PerKeyQueue } from "./per-key-queue.js";
import { renderQrPng } from "./qr.js";

export const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_MEDIA = "urn:xmpp:media-element";
const NS_BOB = "urn:xmpp:bob";

export interface AdHocCommandsOptions {
  commands: readonly Command[];
  /** Who is asking: registration, session and admin state of a bare JID. */
  requester(bareJid: string): Promise<Requester>;
  newSessionId(): string;
  /** How long a session may sit between two stages before it is forgotten. */
  sessionTimeoutMs: number;
  /**
   * Sends a QR code to the user by chat too (clients that do not show images in forms), and says
   * where its uploaded image is, when it could be uploaded.
   */
  publishQr?(to: string, text: string): Promise<{ url?: string | undefined }>;
  /** Longest value of one submitted field, in characters (`--max-field-chars`); no bound when unset. */
  maxFieldChars?: number;
}

interface Session {
  command: Command;
  jid: string;
  page: CommandPage;
  expiresAt: number;
}

function badSession(text: string): XmppError {
  return new XmppError("bad-request", text, {
    applicationCondition: xml("bad-sessionid", { xmlns: NS_COMMANDS }),
  });
}

/**
 * XEP-0050 ad-hoc commands on the component JID: disco lists the commands the requester may run,
 * `execute` starts one, and each stage renders the command's current page (form, QR display,
 * result). Refused answers come back as the same stage with an error note.
 */
export class AdHocCommands {
  private readonly sessions = new Map<string, Session>();
  /** One user's stages in arrival order: a cancel right after a slow "next" must come after it. */
  private readonly inOrder = new PerKeyQueue();

  constructor(
    private readonly component: XmppComponent,
    private readonly options: AdHocCommandsOptions,
  ) {
    component.iq.handle(
      { namespace: NS_COMMANDS, type: "set", to: (to) => to === component.domain },
      async ({ from, child }) => {
        const bareJid = from.bare().toString();
        // A session waiting for something outside (a QR scan) is not held here while it waits:
        // its cancel must reach it at once, not after the wait.
        const { action, sessionid } = child.attrs;
        if (action === "cancel" && sessionid && !this.sessions.has(sessionid))
          return this.execute(bareJid, child);
        return this.inOrder.run(bareJid, () => this.execute(bareJid, child));
      },
    );
  }

  /** disco#items for the commands node: only what this requester may run. */
  async discoItems(bareJid: string): Promise<Element> {
    const requester = await this.options.requester(bareJid);
    return xml(
      "query",
      { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS },
      ...commandsFor(this.options.commands, requester).map((command) =>
        xml("item", { jid: this.component.domain, node: command.node, name: command.name }),
      ),
    );
  }

  /** disco#info for a command node; undefined when the node is not one of ours. */
  discoInfo(node: string): Element | undefined {
    const command = this.options.commands.find((c) => c.node === node);
    if (!command && node !== NS_COMMANDS) return undefined;
    return xml(
      "query",
      { xmlns: NS_DISCO_INFO, node },
      command
        ? xml("identity", { category: "automation", type: "command-node", name: command.name })
        : xml("identity", { category: "automation", type: "command-list", name: "Commands" }),
      xml("feature", { var: NS_COMMANDS }),
      xml("feature", { var: "jabber:x:data" }),
    );
  }

  private async execute(bareJid: string, request: Element): Promise<Element> {
    const node = request.attrs.node ?? "";
    const action = request.attrs.action ?? "execute";
    const command = this.options.commands.find((c) => c.node === node);
    if (!command) throw new XmppError("item-not-found", `There is no command "${node}" on this gateway.`);
    this.forgetExpired();
    const sessionId = request.attrs.sessionid;

    if (!sessionId) {
      if (action === "cancel") return this.stage(node, this.options.newSessionId(), "canceled");
      const requester = await this.options.requester(bareJid);
      assertAccess(command, requester);
      const context: DialogueContext = { frontEnd: "adhoc", dialogueId: this.options.newSessionId() };
      const page = await command.run(requester, context);
      return this.show(context.dialogueId, { command, jid: bareJid, page, expiresAt: 0 });
    }

    const context: DialogueContext = { frontEnd: "adhoc", dialogueId: sessionId };
    let session = this.sessions.get(sessionId);
    if (session && (session.jid !== bareJid || session.command !== command)) {
      throw badSession("This command session belongs to someone else.");
    }
    if (!session) {
      // Lost in a restart, or expired: commands that persist their state can pick it up again.
      const requester = await this.options.requester(bareJid);
      const page = await command.resume?.(requester, context);
      if (!page) throw badSession("This command session has expired or is unknown. Start the command again.");
      session = { command, jid: bareJid, page, expiresAt: 0 };
    }

    const form = request.getChild("x", "jabber:x:data");
    // XEP-0004: a form of type cancel means the user gave up, whatever the action says; read as a
    // submission it would be an empty one (defaults filled in, or "required" errors).
    if (action === "cancel" || isCancelForm(form)) {
      this.sessions.delete(sessionId);
      await command.cancel?.(await this.options.requester(bareJid), context);
      return this.stage(node, sessionId, "canceled");
    }
    const { page } = session;
    if (action === "prev") return this.show(sessionId, session);
    if (page.kind === "form") {
      let values: FormValues;
      try {
        values = validateSubmission(page.fields, form ? parseForm(form).values : {}, {
          maxChars: this.options.maxFieldChars,
        });
        return await this.show(sessionId, { ...session, page: await page.submit(values) });
      } catch (err) {
        if (!(err instanceof XmppError)) throw err;
        // Refused: the same stage again, with why, so the user can correct it.
        return this.show(sessionId, session, err.text ?? err.condition);
      }
    }
    if (page.kind === "display") {
      this.sessions.delete(sessionId);
      let next: CommandPage;
      try {
        next = await page.proceed();
      } catch (err) {
        // Not scanned in time (or refused): this session is over, and so is what it persisted.
        await command.cancel?.(await this.options.requester(bareJid), context);
        throw err;
      }
      return this.show(sessionId, { ...session, page: next });
    }
    this.sessions.delete(sessionId);
    return this.stage(node, sessionId, "completed");
  }

  private async show(sessionId: string, session: Session, error?: string): Promise<Element> {
    const { page, command } = session;
    if (page.kind === "result") {
      this.sessions.delete(sessionId);
      return this.stage(
        command.node,
        sessionId,
        "completed",
        page.text ? xml("note", { type: "info" }, page.text) : null,
        page.table
          ? xml(
              "x",
              { xmlns: "jabber:x:data", type: "result" },
              xml(
                "reported",
                {},
                ...page.table.columns.map((c) => xml("field", { var: c.var, label: c.label })),
              ),
              ...page.table.rows.map((row) =>
                xml(
                  "item",
                  {},
                  ...page.table!.columns.map((c) =>
                    xml("field", { var: c.var }, xml("value", {}, row[c.var] ?? "")),
                  ),
                ),
              ),
            )
          : null,
      );
    }
    this.sessions.set(sessionId, { ...session, expiresAt: Date.now() + this.options.sessionTimeoutMs });
    const note = error ? xml("note", { type: "error" }, error) : null;
    if (page.kind === "form") return this.formStage(command.node, sessionId, page, note);
    return this.displayStage(command.node, sessionId, page, session.jid);
  }

  private formStage(node: string, sessionId: string, page: FormPage, note: Element | null): Element {
    return this.stage(
      node,
      sessionId,
      "executing",
      xml("actions", { execute: "next" }, xml("next"), xml("complete")),
      note,
      buildForm({
        type: "form",
        title: page.title,
        instructions: page.instructions,
        fields: page.fields,
        values: page.values,
      }),
    );
  }

  /**
   * A QR code as a form of fixed fields: the image as XEP-0221 media (the uploaded URL, or the PNG
   * inline as XEP-0231 bits of binary when nothing could be uploaded), the text for clients that
   * show no media, and a chat message with the same code for clients that show no forms well.
   */
  private async displayStage(
    node: string,
    sessionId: string,
    page: DisplayPage,
    bareJid: string,
  ): Promise<Element> {
    const fields: Element[] = [];
    let bob: Element | null = null;
    if (page.render === "qr") {
      const published = (await this.options.publishQr?.(bareJid, page.text)) ?? {};
      let uri = published.url;
      if (!uri) {
        const png = await renderQrPng(page.text);
        const cid = `sha1+${createHash("sha1").update(png).digest("hex")}@bob.xmpp.org`;
        bob = xml("data", { xmlns: NS_BOB, cid, type: "image/png", "max-age": "0" }, png.toString("base64"));
        uri = `cid:${cid}`;
      }
      fields.push(
        xml(
          "field",
          { var: "qr_image", type: "fixed", label: "QR code" },
          xml("media", { xmlns: NS_MEDIA }, xml("uri", { type: "image/png" }, uri)),
        ),
      );
      if (published.url) {
        fields.push(
          xml(
            "field",
            { var: "qr_url", type: "fixed", label: "QR code image" },
            xml("value", {}, published.url),
          ),
        );
      }
    }
    fields.push(xml("field", { var: "qr_text", type: "fixed", label: "Code" }, xml("value", {}, page.text)));
    const form = xml(
      "x",
      { xmlns: "jabber:x:data", type: "form" },
      xml("title", {}, page.title),
      xml("instructions", {}, `${page.instructions} Then click "Next".`),
      ...fields,
    );
    return this.stage(
      node,
      sessionId,
      "executing",
      xml("actions", { execute: "next" }, xml("next")),
      form,
      bob,
    );
  }

  private stage(node: string, sessionId: string, status: string, ...children: (Element | null)[]): Element {
    return xml("command", { xmlns: NS_COMMANDS, node, sessionid: sessionId, status }, ...children);
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
  }
}
