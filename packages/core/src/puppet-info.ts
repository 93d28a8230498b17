import {
  type DiscoInfo,
  type EntityCapabilities,
  entityCapabilities,
  NS_DISCO_INFO,
  NS_PING,
  NS_VCARD_TEMP,
  NS_VCARD4,
  reactionRestrictionsForm,
} from "@gangway/xmpp";
import type { ChatHook } from "./chat-hooks.js";

/** What a chat's disco#info is made of (LegacyChat has it). */
export interface ChatFeatures {
  supports(hook: ChatHook): boolean;
  availableReactions(legacyId?: string): Promise<ReadonlySet<string> | undefined>;
}

/** XEP-0115 node of every puppet: identifies the software behind the capabilities hash. */
export const CAPS_NODE = "urn:gangway:puppet";

/** Features every puppet has, whatever the app implements. */
const BASE_FEATURES = [
  NS_DISCO_INFO,
  NS_PING,
  // Delivery receipts: the app's `received()`, or the core's own when PROPER_RECEIPTS is false.
  "urn:xmpp:receipts",
  "urn:xmpp:sid:0",
  "urn:xmpp:idle:1",
  // Profiles and pictures, served by the component for each puppet (puppet-identity.ts).
  NS_VCARD_TEMP,
  NS_VCARD4,
  "http://jabber.org/protocol/pubsub#retrieve-items",
];

/** Which XEP each hook makes true; advertised only when the contact class implements it. */
const HOOK_FEATURES: Record<ChatHook, readonly string[]> = {
  onMessage: ["urn:xmpp:reply:0"],
  onCorrect: ["urn:xmpp:message-correct:0"],
  onRetract: ["urn:xmpp:message-retract:1", "urn:xmpp:message-retract:0"],
  onReact: ["urn:xmpp:reactions:0"],
  onDisplayed: ["urn:xmpp:chat-markers:0"],
  onChatState: ["http://jabber.org/protocol/chatstates"],
  // Files the user sends by URL (XEP-0363 uploads) reach the network as files, not links.
  onFile: ["jabber:x:oob", "urn:xmpp:sfs:0"],
};

/**
 * A puppet's disco#info: what its chat really supports (its session's hooks). Reaction restrictions that hold
 * for every message go in an XEP-0444 restrictions form, so clients offer only those.
 */
export async function puppetDiscoInfo(chat: ChatFeatures): Promise<DiscoInfo> {
  const features = [...BASE_FEATURES];
  for (const [hook, provides] of Object.entries(HOOK_FEATURES) as [ChatHook, readonly string[]][]) {
    if (chat.supports(hook)) features.push(...provides);
  }
  const allowed = chat.supports("onReact") ? await chat.availableReactions() : undefined;
  const forms = allowed ? [reactionRestrictionsForm(allowed)] : [];
  // The bare JID is also a PEP service (avatars, vCard4), as a real account's is.
  const identities = [
    { category: "client", type: "pc" },
    { category: "pubsub", type: "pep" },
  ];
  return { identities, features, forms };
}

/**
 * Capabilities per distinct feature set: contacts of one class nearly always share one, so the
 * hash is computed once per set, not per contact or per presence.
 */
export class CapabilitiesCache {
  private readonly byVerification = new Map<string, EntityCapabilities>();

  async of(chat: ChatFeatures): Promise<EntityCapabilities> {
    const info = await puppetDiscoInfo(chat);
    const key = `${info.features.join("\n")}\n${(info.forms ?? []).map(String).join("\n")}`;
    let caps = this.byVerification.get(key);
    if (!caps) {
      caps = entityCapabilities(CAPS_NODE, info);
      this.byVerification.set(key, caps);
    }
    return caps;
  }
}
