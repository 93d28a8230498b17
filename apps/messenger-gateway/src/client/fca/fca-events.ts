import type {
  MessengerAttachment,
  MessengerEvents,
  MessengerMention,
  MessengerMessage,
  MessengerThread,
  MessengerThreadUpdate,
} from "../port.js";
import type {
  FcaAttachment,
  FcaEvent,
  FcaMessageEvent,
  FcaMessageReplyEvent,
  FcaThreadEvent,
  FcaThreadListItem,
} from "./fca-types.js";

/** A port event, ready to emit: its name and arguments. */
export type PortEvent = {
  [K in keyof MessengerEvents]: { name: K; args: MessengerEvents[K] };
}[keyof MessengerEvents];

/** How many recent message ids per thread are kept to turn a read receipt's time into a message. */
const RECENT_PER_THREAD = 100;

/**
 * Maps the library's `listenMqtt` events to the port's, keeping the little state the mapping needs:
 * the account's own id (its messages are carbons), the admins of each group thread (the library
 * reports one admin added or removed, the port the whole list), and the recent messages of each
 * thread (the library's read receipts carry a time, the port's the last message read).
 */
export class FcaEventMapper {
  private readonly admins = new Map<string, Set<string>>();
  private readonly recent = new Map<string, { messageId: string; timestampMs: number }[]>();

  constructor(private readonly selfId: string) {}

  /** The admins of a group thread as listed (getThreads), the base for later admin changes. */
  setAdmins(threadId: string, adminIds: readonly string[]): void {
    this.admins.set(threadId, new Set(adminIds));
  }

  /** An admin change in a thread whose admins are not known yet (getThreads did not list it). */
  needsAdmins(raw: unknown): boolean {
    if (typeof raw !== "object" || raw === null) return false;
    const e = raw as { type?: unknown; logMessageType?: unknown; threadID?: unknown };
    return e.type === "event" && e.logMessageType === "log:thread-admins" && !this.admins.has(id(e.threadID));
  }

  /** A message of `threadId` at `timestampMs`, received or sent, for later read receipts. */
  noteMessage(threadId: string, messageId: string, timestampMs: number): void {
    const list = this.recent.get(threadId) ?? [];
    list.push({ messageId, timestampMs });
    list.sort((a, b) => a.timestampMs - b.timestampMs);
    if (list.length > RECENT_PER_THREAD) list.splice(0, list.length - RECENT_PER_THREAD);
    this.recent.set(threadId, list);
  }

  /** The port events one library event makes (none for kinds the port has no use for). */
  map(raw: unknown): PortEvent[] {
    if (typeof raw !== "object" || raw === null || !("type" in raw)) return [];
    const event = raw as FcaEvent;
    switch (event.type) {
      case "message":
      case "message_reply":
        return [{ name: "message", args: [this.message(event)] }];
      case "message_reaction":
        // Messenger keeps one reaction per person: an empty one is the removal of theirs.
        return [
          {
            name: "reaction",
            args: [
              {
                threadId: id(event.threadID),
                messageId: id(event.messageID),
                actorId: id(event.userID),
                reaction: event.reaction ? event.reaction : null,
              },
            ],
          },
        ];
      case "message_unsend":
        return [
          {
            name: "messageUnsend",
            args: [
              { threadId: id(event.threadID), messageId: id(event.messageID), senderId: id(event.senderID) },
            ],
          },
        ];
      case "typ":
        // The user's own typing (in the official app) is not something to show them.
        if (id(event.from) === this.selfId) return [];
        return [
          {
            name: "typing",
            args: [{ threadId: id(event.threadID), senderId: id(event.from), isTyping: event.isTyping }],
          },
        ];
      case "read_receipt":
        return this.readUpTo(id(event.threadID), id(event.reader), Number(event.time));
      case "read":
        // The user read the thread in the official app: their own receipt, shown as a carbon.
        return this.readUpTo(id(event.threadID), this.selfId, Number(event.time));
      case "presence": {
        // DOCS.md: 2 is "online" and 0 "idle"; anything but 2 shows as not active.
        const active = event.statuses === 2;
        const lastActiveMs = Number(event.timestamp);
        return [
          {
            name: "presence",
            args: [
              {
                userId: id(event.userID),
                active,
                ...(!active && Number.isFinite(lastActiveMs) && lastActiveMs > 0 && { lastActiveMs }),
              },
            ],
          },
        ];
      }
      case "event": {
        const update = this.threadUpdate(event);
        return update ? [{ name: "threadUpdate", args: [update] }] : [];
      }
      default:
        return [];
    }
  }

  private message(event: FcaMessageEvent | FcaMessageReplyEvent): MessengerMessage {
    const threadId = id(event.threadID);
    const messageId = id(event.messageID);
    const senderId = id(event.senderID);
    const parsedTime = Number(event.timestamp);
    const timestampMs = Number.isFinite(parsedTime) && parsedTime > 0 ? parsedTime : Date.now();
    this.noteMessage(threadId, messageId, timestampMs);
    const attachments: MessengerAttachment[] = [];
    const links: string[] = [];
    (event.attachments ?? []).forEach((attachment, index) => {
      const mapped = mapAttachment(attachment, `${messageId}:${index}`);
      if (typeof mapped === "string") links.push(mapped);
      else if (mapped) attachments.push(mapped);
    });
    const body = event.body ?? "";
    const text = [body, ...links].filter((part) => part !== "").join("\n");
    const replyTo = event.type === "message_reply" ? event.messageReply?.messageID : undefined;
    return {
      threadId,
      messageId,
      senderId,
      text,
      timestampMs,
      ...(replyTo !== undefined && { replyTo: id(replyTo) }),
      mentions: mentionsOf(body, event.mentions ?? {}),
      fromMe: senderId === this.selfId,
      attachments,
    };
  }

  /** A read receipt at `timeMs`: the last message of the thread sent by then, if we saw one. */
  private readUpTo(threadId: string, readerId: string, timeMs: number): PortEvent[] {
    const list = this.recent.get(threadId);
    if (!list || !Number.isFinite(timeMs)) return [];
    const last = list.filter((m) => m.timestampMs <= timeMs).at(-1);
    if (!last) return [];
    return [
      {
        name: "readReceipt",
        args: [{ threadId, readerId, lastReadMessageId: last.messageId, timestampMs: timeMs }],
      },
    ];
  }

  private threadUpdate(event: FcaThreadEvent): MessengerThreadUpdate | undefined {
    const base = { threadId: id(event.threadID), actorId: id(event.author) };
    switch (event.logMessageType) {
      case "log:thread-name":
        return { ...base, name: event.logMessageData.name ?? "" };
      case "log:thread-image": {
        const url = event.logMessageData.image?.url;
        return { ...base, imageUrl: url ? url : null };
      }
      case "log:subscribe":
        return { ...base, added: (event.logMessageData.addedParticipants ?? []).map((p) => id(p.userFbId)) };
      case "log:unsubscribe":
        return { ...base, removed: [id(event.logMessageData.leftParticipantFbId)] };
      case "log:thread-admins": {
        const data = event.logMessageData;
        const admins = this.admins.get(base.threadId) ?? new Set<string>();
        if (data.ADMIN_EVENT === "add_admin") admins.add(id(data.TARGET_ID));
        else admins.delete(id(data.TARGET_ID));
        this.admins.set(base.threadId, admins);
        return { ...base, adminIds: [...admins] };
      }
      default:
        return undefined;
    }
  }
}

/** Ids arrive as strings or (in places the library forgets to convert) numbers; the port wants strings. */
function id(value: unknown): string {
  return typeof value === "string" ? value : value === undefined || value === null ? "" : String(value);
}

/**
 * One library attachment: a port attachment, a link to put in the text (shares and locations), or
 * nothing (what the library could not parse).
 */
export function mapAttachment(
  attachment: FcaAttachment,
  fallbackId: string,
): MessengerAttachment | string | undefined {
  const attachmentId = attachment.ID ? id(attachment.ID) : fallbackId;
  const common = (kind: MessengerAttachment["kind"], url: string | undefined, fileName?: string) =>
    url ? { id: attachmentId, kind, url, ...(fileName && { fileName }) } : undefined;
  switch (attachment.type) {
    case "photo":
      return common(
        "image",
        attachment.url || attachment.largePreviewUrl || attachment.previewUrl,
        attachment.filename,
      );
    case "animated_image":
      return common("gif", attachment.url || attachment.previewUrl, attachment.filename);
    case "video": {
      const video = common("video", attachment.url, attachment.filename);
      return video && { ...video, ...durationOf(attachment.duration) };
    }
    case "audio": {
      // Messenger's voice clips are audio the library marks as voice mail (or of type VOICE_MESSAGE).
      const voice = attachment.isVoiceMail === true || attachment.audioType === "VOICE_MESSAGE";
      const audio = common(voice ? "voice" : "audio", attachment.url, attachment.filename);
      return audio && { ...audio, ...durationOf(attachment.duration) };
    }
    case "file": {
      const file = common("file", attachment.url, attachment.filename);
      return file && { ...file, ...(attachment.contentType && { mimeType: attachment.contentType }) };
    }
    case "sticker": {
      const sticker = common("sticker", attachment.url);
      const description = attachment.description || attachment.caption;
      return sticker && { ...sticker, ...(description && { description }) };
    }
    case "share":
      return attachment.url ? unwrapFacebookRedirect(attachment.url) : undefined;
    case "location":
      return attachment.url ? unwrapFacebookRedirect(attachment.url) : undefined;
    default:
      return undefined;
  }
}

function durationOf(duration: number | undefined): { durationMs?: number } {
  return typeof duration === "number" && Number.isFinite(duration) && duration > 0
    ? { durationMs: duration }
    : {};
}

/** Facebook wraps shared links as `l.facebook.com/l.php?u=<link>`; the user wants the link. */
export function unwrapFacebookRedirect(url: string): string {
  try {
    const parsed = new URL(url);
    const target = parsed.searchParams.get("u");
    if (/^l[m]?\.facebook\.com$/.test(parsed.hostname) && parsed.pathname === "/l.php" && target)
      return target;
  } catch {
    // not a URL: keep it as it came
  }
  return url;
}

/**
 * The library reports mentions as `{ id: text }`; the port wants offsets. Each mention's text is
 * searched in the body after the previous one (mentions come in text order).
 */
export function mentionsOf(body: string, mentions: { [id: string]: string }): MessengerMention[] {
  const result: MessengerMention[] = [];
  let from = 0;
  for (const [userId, text] of Object.entries(mentions)) {
    if (!text) continue;
    let offset = body.indexOf(text, from);
    if (offset < 0) offset = body.indexOf(text);
    if (offset < 0) continue;
    result.push({ id: userId, offset, length: text.length });
    from = offset + text.length;
  }
  return result.sort((a, b) => a.offset - b.offset);
}

/** A thread of `getThreadList`. A 1:1 thread has no name of its own: it is the friend's (so is its id). */
export function threadOf(item: FcaThreadListItem): MessengerThread {
  const threadId = id(item.threadID);
  const participants = item.participants ?? [];
  const other = participants.find((p) => id(p.userID) === threadId);
  return {
    id: threadId,
    name: item.name || other?.name || threadId,
    isGroup: item.isGroup,
    participantIds: participants.map((p) => id(p.userID)),
    ...(item.isGroup && { adminIds: (item.adminIDs ?? []).map(id) }),
    ...(item.imageSrc && { imageUrl: item.imageSrc }),
  };
}
