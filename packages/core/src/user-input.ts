import { renderQrPng, renderQrText } from "@gangway/registration";
import {
  JID,
  NS_HTTP_UPLOAD,
  outOfBandMessage,
  requestUploadSlot,
  uploadToSlot,
  XmppError,
} from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";
import { canSendIqAs } from "./privileges.js";

/**
 * Questions asked by chat from the gateway's JID (`input()`), answered by the user's next message
 * to the gateway, which then does not reach the chat bot.
 */
export class UserInput {
  private readonly pending = new Map<string, (answer: string) => void>();

  constructor(private readonly sendChat: (to: string, text: string) => Promise<void>) {}

  /** Asks; resolves with the answer, rejects with `remote-server-timeout` when none comes in time. */
  ask(userJid: string, question: string, options: { timeoutMs?: number } = {}): Promise<string> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.pending.get(userJid) === answer) this.pending.delete(userJid);
        reject(new XmppError("remote-server-timeout", "You took too much time to reply."));
      }, timeoutMs);
      const answer = (text: string) => {
        clearTimeout(timer);
        resolve(text);
      };
      this.pending.set(userJid, answer);
      this.sendChat(userJid, question).catch((err) => {
        clearTimeout(timer);
        this.pending.delete(userJid);
        reject(err);
      });
    });
  }

  /** Hands `text` to the question waiting for `userJid`; false when none is. */
  answer(userJid: string, text: string): boolean {
    const answer = this.pending.get(userJid);
    if (!answer) return false;
    this.pending.delete(userJid);
    answer(text);
    return true;
  }
}

/**
 * Sends a QR code to a user: the PNG uploaded through `--upload-service` as an XEP-0066 image
 * message when an upload service is configured, then the code as text; without one (or when the
 * upload fails), the text and a compact UTF-8 rendering. Returns the image URL, if any.
 */
export async function sendQrCode(host: GatewayHost, to: string, text: string): Promise<{ url?: string }> {
  let url: string | undefined;
  const service = host.config.uploadService;
  if (service) {
    try {
      const png = await renderQrPng(text);
      // As the user when the server lets us (their quota, their server's policy), else as the gateway.
      const asUser = canSendIqAs(host.privileges, NS_HTTP_UPLOAD, "get")
        ? JID.parse(to).bare().toString()
        : undefined;
      const slot = await requestUploadSlot((iq) => host.request(iq), {
        service,
        from: host.domain,
        asUser,
        filename: "qr-code.png",
        size: png.length,
        contentType: "image/png",
      });
      url = await uploadToSlot(slot, png, "image/png");
      await host.send(
        outOfBandMessage({ from: host.domain, to, id: host.newStanzaId(), url, description: "QR code" }),
      );
    } catch (err) {
      host.log.warn({ err: err instanceof Error ? err.message : String(err) }, "could not upload a QR code");
      url = undefined;
    }
  }
  if (url) await host.sendChat(to, text);
  else await host.sendChat(to, `${await renderQrText(text)}\n${text}`);
  return url ? { url } : {};
}
