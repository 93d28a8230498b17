import { ComponentTransport, requestUploadSlot, type UploadSlot, XmppComponent } from "@gangway/xmpp";
import { pino } from "pino";

/**
 * Asks the server's upload service for a slot the way the gateway does for a file from the
 * network: as the gateway's component, or as a user through the XEP-0356 IQ privilege. It
 * connects as the gateway's JID, so the gateway must not be connected meanwhile.
 */
export async function askForUploadSlot(options: {
  componentPort: number;
  domain: string;
  secret: string;
  service: string;
  asUser?: string;
}): Promise<UploadSlot> {
  const logger = pino({ level: "silent" });
  const transport = new ComponentTransport({
    service: `xmpp://127.0.0.1:${options.componentPort}`,
    domain: options.domain,
    password: options.secret,
    logger,
  });
  const component = new XmppComponent(transport, { logger });
  await component.start();
  try {
    return await requestUploadSlot((iq) => component.request(iq), {
      service: options.service,
      from: options.domain,
      asUser: options.asUser,
      filename: "picture.png",
      size: 1024,
      contentType: "image/png",
    });
  } finally {
    await component.stop();
  }
}
