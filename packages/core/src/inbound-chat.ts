import { checkChatMessage, type Element, MESSAGE_LIMITS, parseChatMessage, XmppError } from "@gangway/xmpp";
import type { LegacyChat, OutgoingMessage } from "./chat.js";
import type { GatewayMeta } from "./host.js";
import { incomingFileOf } from "./inbound-file.js";
import type { AnySession } from "./session.js";
import { messageNotSent } from "./store-outage.js";

export const UNKNOWN_MESSAGE_TEXT =
  "The gateway does not know the message you refer to (it may be older than your registration).";

/**
 * A message from the user to a chat, turned into the session's chat hooks: text, correction,
 * retraction, reactions, read marker, chat state. Hooks throw XmppError to refuse; the caller
 * turns that into an error reply to the user's message.
 *
 * The user's messages to one chat reach the hooks one after the other, in the order they
 * arrived: a correction sent right after a message finds the message's legacy id.
 */
export async function dispatchToChat(session: AnySession, chat: LegacyChat, stanza: Element): Promise<void> {
  const progress: HookProgress = { handedOver: false };
  const { ack } = await chat
    .fromUser(() => runHooks(session, chat, stanza, progress))
    .catch((error: unknown) => {
      // A store failure before the hook ran (an id lookup) means the message went nowhere: say so.
      throw progress.handedOver ? error : messageNotSent(error);
    });
  await ack;
}

/** Whether the message reached the session's hook (and so maybe the legacy network). */
interface HookProgress {
  handedOver: boolean;
}

async function runHooks(
  session: AnySession,
  chat: LegacyChat,
  stanza: Element,
  progress: HookProgress,
): Promise<{ ack?: Promise<void> }> {
  // What is too big, or malformed in a way the lenient parser would misread (a correction without
  // its target as a new message, an invalid reaction as "remove all"), is refused before any hook.
  const { bodyBytes, reactions } = session.gateway.config.limits;
  checkChatMessage(stanza, { ...MESSAGE_LIMITS, bodyBytes, reactions });
  const parsed = parseChatMessage(stanza);
  const meta: GatewayMeta = session.gateway.meta;
  // XEP-0308 and XEP-0333 refer to the stanza id, XEP-0424 and XEP-0444 often to the origin-id;
  // clients usually make both equal, but both are kept when they are not.
  const xmppIds = [...new Set([parsed.id, parsed.originId].filter((id): id is string => !!id))];
  const lookup = async (xmppId: string): Promise<string> => {
    const legacyId = await chat.legacyIdOf(xmppId);
    if (legacyId === undefined) throw new XmppError("item-not-found", UNKNOWN_MESSAGE_TEXT);
    return legacyId;
  };
  // Lookups see the ids at once (the network's receipt may follow right away).
  const remember = (legacyId: string | undefined | void) => {
    if (legacyId) for (const id of xmppIds) chat.mapMessage(legacyId, id, "out");
  };

  if (parsed.retraction !== undefined) {
    const retracted = await lookup(parsed.retraction);
    progress.handedOver = true;
    await session.onRetract(chat, retracted);
    return {};
  }
  if (parsed.reactions) {
    const legacyId = await lookup(parsed.reactions.id);
    const allowed = await chat.availableReactions(legacyId);
    const refused = allowed ? parsed.reactions.emojis.filter((emoji) => !allowed.has(emoji)) : [];
    if (allowed && refused.length > 0) {
      throw new XmppError(
        "not-acceptable",
        `This network does not have the reaction ${refused.join(" ")}. Available: ${[...allowed].join(" ")}`,
      );
    }
    progress.handedOver = true;
    await session.onReact(chat, legacyId, parsed.reactions.emojis);
    return {};
  }

  let ack: Promise<void> | undefined;

  if (parsed.body !== undefined && parsed.body !== "") {
    const replyLegacyId = parsed.replyTo ? await chat.legacyIdOf(parsed.replyTo.id) : undefined;
    const message: OutgoingMessage = {
      xmppId: parsed.originId ?? parsed.id,
      body: parsed.body,
      replyTo: replyLegacyId === undefined ? undefined : { legacyId: replyLegacyId },
      mentions: chat.mentionsIn(parsed.body, stanza),
      parsed,
      stanza,
    };
    let sentAs: string | undefined | void;
    if (parsed.correction !== undefined) {
      const corrected = await lookup(parsed.correction);
      progress.handedOver = true;
      sentAs = (await session.onCorrect(chat, corrected, parsed.body, message)) ?? corrected;
    } else {
      // A file's URL as body (XEP-0066/0447) goes to onFile, when the session takes files.
      const file = incomingFileOf(session.gateway, parsed, stanza);
      progress.handedOver = true;
      sentAs =
        file && chat.supports("onFile")
          ? await session.onFile(chat, file, message)
          : await session.onMessage(chat, message);
    }
    remember(sentAs);
    // Networks without delivery reports: a send the network accepted is as delivered as we can
    // tell. Like every action, the receipt waits for the id map's commit.
    if (!meta.PROPER_RECEIPTS && (parsed.requestsReceipt || parsed.markable) && parsed.id) {
      ack = chat.acknowledge(parsed.id);
    }
  }

  if (parsed.displayed !== undefined) await markDisplayed(session, chat, parsed.displayed);

  if (parsed.chatState) {
    // A chat state riding along with content is a courtesy: only a bare one asks for the hook.
    if (chat.supports("onChatState")) await session.onChatState(chat, parsed.chatState);
    else if (!parsed.hasContent) await session.onChatState(chat, parsed.chatState);
  }
  return { ack };
}

/** XEP-0333 "displayed" means read up to there; MARK_ALL_MESSAGES networks want every message marked. */
async function markDisplayed(session: AnySession, chat: LegacyChat, xmppId: string): Promise<void> {
  const legacyId = await chat.legacyIdOf(xmppId);
  // A marker for a message the gateway never mapped (from before a registration) has nothing to mark.
  if (legacyId === undefined) return;
  const unread = chat.unreadLegacyIds;
  const upTo = unread.indexOf(legacyId);
  const markAll = session.gateway.meta.MARK_ALL_MESSAGES;
  const toMark = markAll && upTo >= 0 ? unread.slice(0, upTo + 1) : [legacyId];
  if (upTo >= 0) unread.splice(0, upTo + 1);
  for (const id of toMark) await session.onDisplayed(chat, id);
}
