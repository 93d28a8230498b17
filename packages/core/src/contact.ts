import { type Element, sanitizeXmlText, XmppError, xml } from "@gangway/xmpp";
import type { AnySession } from "./session.js";

/** Presence `show` values (RFC 6121 §4.7.2.1); `undefined` is plain "available". */
export type PresenceShow = "chat" | "away" | "xa" | "dnd";

export interface ContactPresence {
  available: boolean;
  show?: PresenceShow | undefined;
  status?: string | undefined;
}

/** A message the user sent to a contact, as the contact's `onMessage` hook receives it. */
export interface OutgoingMessage {
  /** The XMPP stanza id (or origin-id) the user's client gave the message. */
  xmppId: string | undefined;
  body: string;
  stanza: Element;
}

export interface SendTextOptions {
  /** The legacy network's id for this message: stored, so later edits/reactions can find it. */
  id?: string;
}

/**
 * One legacy contact, shown to the user as `<escaped-legacy-id>@<gateway>`. Apps subclass it:
 * override the `on*` hooks (XMPP → legacy) and call the actions (legacy → XMPP).
 */
export class LegacyContact {
  /** The resource puppets send from: clients that track resources see one stable "device". */
  static RESOURCE = "gangway";

  /** Display name (roster name and XEP-0172 nick). */
  name: string | undefined;
  /** Friends go into the user's roster; others can still chat. */
  isFriend = true;
  /** The user has accepted this contact into their roster (so no subscription request is needed). */
  addedToRoster = false;
  private presence: ContactPresence = { available: false };

  constructor(
    readonly session: AnySession,
    readonly legacyId: string,
    readonly jidLocal: string,
  ) {}

  get jid(): string {
    return `${this.jidLocal}@${this.session.gateway.domain}`;
  }

  get fullJid(): string {
    return `${this.jid}/${(this.constructor as typeof LegacyContact).RESOURCE}`;
  }

  // ---- hooks the app overrides (XMPP → legacy) ----

  /** Fill `name`/`isFriend` from the legacy network; called once when the contact is first used. */
  async updateInfo(): Promise<void> {}

  /** The user sent this contact a message. Return the legacy id of the sent message, if any. */
  async onMessage(_message: OutgoingMessage): Promise<string | undefined | void> {
    throw new XmppError("feature-not-implemented", "This gateway cannot send messages to this contact.");
  }

  // ---- actions the app calls (legacy → XMPP) ----

  /** Shows a message from this contact to the user. */
  async sendText(body: string, options: SendTextOptions = {}): Promise<void> {
    const { gateway, userJid } = this.session;
    const xmppId = options.id ?? gateway.newStanzaId();
    if (options.id !== undefined) {
      await gateway.store.messageIds.add(this.session.user.id, {
        chat: this.legacyId,
        legacyId: options.id,
        xmppId,
        direction: "in",
      });
    }
    await gateway.send(
      xml(
        "message",
        { from: this.fullJid, to: userJid, type: "chat", id: xmppId },
        xml("body", {}, sanitizeXmlText(body)),
      ),
    );
  }

  online(status?: string): Promise<void> {
    return this.setPresence({ available: true, status });
  }

  away(status?: string): Promise<void> {
    return this.setPresence({ available: true, show: "away", status });
  }

  extendedAway(status?: string): Promise<void> {
    return this.setPresence({ available: true, show: "xa", status });
  }

  busy(status?: string): Promise<void> {
    return this.setPresence({ available: true, show: "dnd", status });
  }

  offline(status?: string): Promise<void> {
    return this.setPresence({ available: false, status });
  }

  get currentPresence(): Readonly<ContactPresence> {
    return this.presence;
  }

  /**
   * Caches the presence (replayed on probes) and sends it when it changed. Before the session
   * is logged in it is only cached: the roster sync sends it after the contact is in the roster.
   */
  private async setPresence(presence: ContactPresence): Promise<void> {
    const previous = this.presence;
    this.presence = presence;
    const changed =
      previous.available !== presence.available ||
      previous.show !== presence.show ||
      previous.status !== presence.status;
    if (changed && this.session.isLoggedIn) await this.sendPresence();
  }

  /** Sends the cached presence to the user (also the answer to a probe). */
  async sendPresence(): Promise<void> {
    await this.session.gateway.send(this.presenceStanza());
  }

  presenceStanza(): Element {
    const { available, show, status } = this.presence;
    return xml(
      "presence",
      { from: this.fullJid, to: this.session.userJid, ...(available ? {} : { type: "unavailable" }) },
      show ? xml("show", {}, show) : null,
      status ? xml("status", {}, sanitizeXmlText(status)) : null,
    );
  }
}
