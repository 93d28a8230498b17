import { randomBytes } from "node:crypto";
import type { InboundJournalRepository, InboundRecord } from "@gangway/store";
import { type Element, errorReply, JID, XmppError, xml } from "@gangway/xmpp";
import type { Logger } from "pino";

/** What the sender of a message reads when the gateway crashed while it was being handled. */
export function gatewayStoppedText(contact: string): string {
  return `The gateway stopped before this message was passed on; it may not have reached ${contact}. Please send it again.`;
}

/**
 * What is journaled: content the user expects to reach the contact (a text, a correction, a
 * retraction, reactions). Chat states, receipts and markers are not: losing one costs nothing the
 * user would resend, and an error about one would only puzzle them.
 */
function carriesContent(stanza: Element): boolean {
  return (
    stanza.getChild("body") !== undefined ||
    stanza.getChild("reactions") !== undefined ||
    stanza.getChild("retract") !== undefined
  );
}

/**
 * Nothing the user sent is lost in silence across a crash. A message to a chat is recorded when it
 * arrives and the record goes when its handling ends (the hooks returned, or the error reply was
 * sent); records go through the store's journal batcher, so one whose handling ends within the
 * flush interval (almost all) costs two Map operations and never reaches the database. After a
 * crash, the next start answers every record left with an error naming the contact (never the
 * body, which is not kept), so the user knows to send it again.
 */
export class InboundJournal {
  /** Keys are unique across runs without a query: a random prefix per run, then a counter. */
  readonly #run = randomBytes(6).toString("base64url");
  #next = 0;

  constructor(
    private readonly repository: InboundJournalRepository,
    private readonly log: Logger,
  ) {}

  /** Records the user's message to a chat; returns what ends the record, or undefined when not journaled. */
  open(stanza: Element, userJid: string): (() => void) | undefined {
    if (!carriesContent(stanza)) return undefined;
    const id = `${this.#run}.${(this.#next++).toString(36)}`;
    const { id: stanzaId, from, to } = stanza.attrs;
    this.repository.add({
      id,
      userJid,
      stanzaId: stanzaId === undefined ? null : String(stanzaId),
      fromJid: String(from),
      toJid: String(to),
      receivedAt: new Date(),
    });
    return () => this.repository.remove(id);
  }

  /**
   * What the previous run left open. Read before the component goes online, so none of this run's
   * records can be among them.
   */
  leftovers(): Promise<InboundRecord[]> {
    return this.repository.list();
  }

  /**
   * Answers each leftover with an error from the chat it was sent to, then deletes them. A reply
   * that cannot be sent leaves its record for the next start (the server is gone again).
   */
  async answer(records: readonly InboundRecord[], send: (stanza: Element) => Promise<void>): Promise<number> {
    if (records.length === 0) return 0;
    const answered: string[] = [];
    for (const record of records) {
      try {
        await send(stoppedReply(record));
        answered.push(record.id);
      } catch (err) {
        this.log.warn({ err, user: record.userJid }, "could not tell a user their message was not passed on");
      }
    }
    try {
      await this.repository.delete(answered);
    } catch (err) {
      // The next start answers them again: a duplicate error beats a start that fails.
      this.log.warn({ err }, "could not delete the answered inbound journal records");
    }
    this.log.warn(
      { answered: answered.length, left: records.length - answered.length },
      "told users which of their messages the last run did not pass on",
    );
    return answered.length;
  }
}

/** The error reply to a message the journal recorded: from the chat, to the client, with the original id. */
function stoppedReply(record: InboundRecord): Element {
  const contact = JID.parse(record.toJid).bare().toString();
  // Only the envelope is rebuilt (the body was never kept): errorReply reads its addresses and id.
  const envelope = xml("message", {
    from: record.fromJid,
    to: record.toJid,
    id: record.stanzaId ?? undefined,
  });
  return errorReply(
    envelope,
    new XmppError("service-unavailable", gatewayStoppedText(contact), { type: "wait" }),
  );
}
