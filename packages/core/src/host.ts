import type { Store, UserRow } from "@gangway/store";
import type { Element, FormValues, Privileges } from "@gangway/xmpp";
import type { Logger } from "pino";
import type { GatewayConfig } from "./config/config.js";
import type { GatewayDescription } from "./gateway-description.js";
import type { GatewayMetrics } from "./metrics/registry.js";
import type { CapabilitiesCache } from "./puppet-info.js";

/** The static attributes that describe a network (see GatewayDescription), as modules read them. */
export type GatewayMeta = typeof GatewayDescription;

/**
 * What sessions, chats and the core's modules may use of the gateway: its identity, its
 * dependencies and the ways to send. Narrow on purpose: no module reaches into the whole gateway,
 * so each can be read (and tested) on its own, and no import circle runs through gateway.ts.
 */
export interface GatewayHost {
  readonly domain: string;
  readonly config: GatewayConfig;
  readonly store: Store;
  readonly log: Logger;
  readonly meta: GatewayMeta;
  /** The roster group legacy contacts are put in (ROSTER_GROUP). */
  readonly rosterGroup: string;
  /** XEP-0115 hashes of the puppets' feature sets, computed once per set. */
  readonly capabilities: CapabilitiesCache;
  /** What the server granted (XEP-0356), once it said so. */
  readonly privileges: Privileges | undefined;
  /** The gateway's metrics: modules count what they do in `metrics.counts` (plain numbers). */
  readonly metrics: GatewayMetrics;
  newStanzaId(): string;
  send(stanza: Element): Promise<void>;
  /** Sends an IQ get/set and resolves with the result (rejects with XmppError). */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
  /** A chat message from the gateway's own JID. */
  sendChat(to: string, text: string): Promise<void>;
  /** Shows `inner` (from the user's bare JID) as sent by the user: see `Carbons`. */
  sendCarbon(userJid: string, inner: Element, fallbackFrom: string): Promise<void>;
  /** A QR code to a user: image (when an upload service is set) and text. */
  sendQr(to: string, text: string): Promise<{ url?: string }>;
  /** Asks a user by chat and resolves with their next message to the gateway. */
  input(userJid: string, question: string, options?: { timeoutMs?: number }): Promise<string>;
  /** A user's preferences with the defaults filled in. */
  preferencesOf(user: UserRow): FormValues;
  /** A privileged roster set failed: fall back to subscriptions (and say so once). */
  reportPrivilegedRosterFailure(err: unknown): void;
  readonly privilegedRosterFailed: boolean;
}
