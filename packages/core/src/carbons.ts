import { type Element, type Privileges, unprivilegedCopy, wrapPrivilegedMessage } from "@gangway/xmpp";
import type { Logger } from "pino";

/**
 * What the user did from the legacy network's own app, shown in XMPP as done by the user: through
 * the XEP-0356 message privilege when the server granted it. Without it, a text is shown from the
 * contact, prefixed "You: ", so the user still sees what they wrote elsewhere; markers, reactions
 * and retractions are dropped (they would be misattributed). Said once in the log.
 */
export class Carbons {
  private fallbackReported = false;

  constructor(
    private readonly domain: () => string,
    private readonly privileges: () => Privileges | undefined,
    private readonly transmit: (stanza: Element) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async send(userJid: string, inner: Element, fallbackFrom: string): Promise<void> {
    const privileges = this.privileges();
    if (privileges?.message === "outgoing") {
      await this.transmit(wrapPrivilegedMessage(privileges.namespace, this.domain(), userJid, inner));
      return;
    }
    if (!this.fallbackReported) {
      this.fallbackReported = true;
      this.log.warn(
        "no XEP-0356 message privilege: what users do from the legacy network's own apps is shown from the contact (texts) or not at all",
      );
    }
    const copy = unprivilegedCopy(inner, fallbackFrom, userJid, "You: ");
    if (!copy) return;
    await this.transmit(copy);
  }
}
