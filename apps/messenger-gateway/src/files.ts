import type { Readable } from "node:stream";
import type { FileKind, IncomingFile, LegacyFile } from "@gangway/core";
import type {
  MessengerAttachment,
  MessengerAttachmentKind,
  MessengerClient,
  MessengerOutgoingFile,
} from "./client/port.js";

/**
 * Attachments both ways, through the core's file API: the network's files become `LegacyFile`s
 * whose bytes are downloaded only when the core streams them to the upload service (never whole
 * in memory); the user's uploads become `MessengerOutgoingFile`s streamed to `sendAttachments`.
 */

/** The type a file of each kind most likely has, when the network did not say. */
const DEFAULT_TYPES: Readonly<Record<MessengerAttachmentKind, string>> = {
  image: "image/jpeg",
  gif: "image/gif",
  video: "video/mp4",
  audio: "audio/mpeg",
  voice: "audio/mp4",
  sticker: "image/png",
  file: "application/octet-stream",
};

/** What the core calls the kinds it treats apart from documents. */
const CORE_KINDS: Partial<Record<MessengerAttachmentKind, FileKind>> = {
  voice: "voice",
  sticker: "sticker",
  gif: "gif",
};

/** One network attachment as the core's file, its bytes fetched from the network when read. */
export function legacyFileOf(
  client: Pick<MessengerClient, "downloadAttachment">,
  attachment: MessengerAttachment,
): LegacyFile {
  const kind = CORE_KINDS[attachment.kind];
  return {
    name: attachment.fileName ?? `${attachment.kind}-${attachment.id}`,
    type: attachment.mimeType ?? DEFAULT_TYPES[attachment.kind],
    ...(attachment.size !== undefined && { size: attachment.size }),
    stream: lazyDownload(() => client.downloadAttachment(attachment)),
    // Where the user can find it when it cannot be passed on (too large, no upload service).
    ...(attachment.url.startsWith("https://") && { link: attachment.url }),
    ...(kind && { kind }),
    ...(attachment.description !== undefined && { description: attachment.description }),
    ...(attachment.durationMs !== undefined && { duration: attachment.durationMs / 1000 }),
  };
}

/** The download starts when the core first reads: an album's files are fetched one after the other. */
async function* lazyDownload(open: () => Promise<Readable>): AsyncIterable<Uint8Array> {
  const stream = await open();
  for await (const chunk of stream) yield chunk as Uint8Array;
}

/** The kind Messenger gives a file of this MIME type. */
export function kindOfType(type: string): MessengerAttachmentKind {
  const essence = type.split(";")[0]!.trim().toLowerCase();
  if (essence === "image/gif") return "gif";
  if (essence.startsWith("image/")) return "image";
  if (essence.startsWith("video/")) return "video";
  if (essence.startsWith("audio/")) return "audio";
  return "file";
}

/**
 * The user's upload, downloaded (bounded by the core) and streamed on: Ogg/Opus audio, what XMPP
 * clients record voice messages as, goes as Messenger's voice message.
 */
export async function outgoingFileOf(file: IncomingFile): Promise<MessengerOutgoingFile> {
  const stream = await file.stream(); // first: it may correct `type` and `size` from the server's answer
  return {
    stream,
    fileName: file.name,
    mimeType: file.type,
    ...(file.size !== undefined && { size: file.size }),
    kind: file.kind === "voice" ? "voice" : kindOfType(file.type),
  };
}
