import type { SharedFile } from "@gangway/xmpp";
import { type LegacyFile, shareFile } from "./file-share.js";
import type { GatewayHost } from "./host.js";

/** One XMPP message of a legacy file message: a file (body = its URL), a notice, or a caption. */
export interface FileMessagePart {
  body: string;
  attachment?: SharedFile;
}

/**
 * The XMPP messages that show one legacy message carrying `files` (an album when several): each
 * file as its own message (its URL alone as body, so clients show it inline), or the text that
 * says why it could not come, followed by that file's own caption; then `caption`, once, for the
 * whole. Uploads go one after the other: an album never holds more than one file's chunks.
 */
export async function fileMessageParts(
  host: GatewayHost,
  userJid: string,
  files: readonly LegacyFile[],
  caption: string | undefined,
): Promise<FileMessagePart[]> {
  const parts: FileMessagePart[] = [];
  for (const file of files) {
    const outcome = await shareFile(host, userJid, file);
    parts.push(
      "shared" in outcome
        ? { body: outcome.shared.url, attachment: outcome.shared }
        : { body: outcome.notice },
    );
    if (file.caption) parts.push({ body: file.caption });
  }
  if (caption) parts.push({ body: caption });
  return parts;
}
