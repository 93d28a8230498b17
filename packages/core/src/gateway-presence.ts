import { buildPresence, type PresenceShow } from "@gangway/xmpp";
import type { GatewayHost } from "./host.js";

/**
 * The gateway's own presence towards one user: how their login stands, in words. Cached, so a
 * probe (or a new subscription) gets it again.
 */
export class GatewayPresence {
  private current: { show?: PresenceShow | undefined; status: string; available: boolean } = {
    available: false,
    status: "",
  };

  constructor(
    private readonly host: GatewayHost,
    private readonly userJid: string,
  ) {}

  set(status: string, options: { show?: PresenceShow; available?: boolean } = {}): Promise<void> {
    this.current = { status, show: options.show, available: options.available ?? true };
    return this.send();
  }

  send(): Promise<void> {
    const { show, status, available } = this.current;
    return this.host.send(
      buildPresence({
        from: this.host.domain,
        to: this.userJid,
        ...(available ? {} : { type: "unavailable" }),
        ...(show && { show }),
        status,
      }),
    );
  }
}
