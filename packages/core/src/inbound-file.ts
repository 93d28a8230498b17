import type { Readable } from "node:stream";
import { type ChatMessage, type Element, sanitizeXmlText, sharedFileOf, XmppError } from "@gangway/xmpp";
import { openDownload } from "./file-download.js";
import { filesOf } from "./file-share.js";
import type { GatewayHost } from "./host.js";

/** A file the user sent to a chat, as the session's `onFile` hook receives it. */
export interface IncomingFile {
  /** The name the message declared, else the URL's last path segment. */
  name: string;
  /** The MIME type the message declared, else the server's Content-Type once `stream()` opened, else a guess. */
  type: string;
  /** In bytes: declared, else the server's Content-Length once `stream()` opened, when it sent one. */
  size: number | undefined;
  /** Where the user's client uploaded it (for networks that take links). */
  url: string;
  /**
   * `"voice"` for Ogg/Opus audio (audio/ogg, audio/opus): what Conversations and other clients
   * record voice messages as, so a network can send it as its voice note type. Else undefined.
   */
  kind: "voice" | undefined;
  /**
   * Downloads it: resolves once the server answered, with the body as a stream bounded by
   * `--max-file-bytes` and `--file-timeout`. Rejects (and the stream fails) with an XmppError the
   * user sees as the error of their message: unreachable, too large, not the declared type, on a
   * private address.
   */
  stream(): Promise<Readable>;
}

export const ENCRYPTED_FILE_TEXT =
  "Encrypted files (aesgcm://, OMEMO) cannot be passed on: the gateway cannot read them. Send the file unencrypted.";

const BY_EXTENSION: Readonly<Record<string, string>> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  svg: "image/svg+xml",
  mp4: "video/mp4",
  webm: "video/webm",
  ogg: "audio/ogg",
  opus: "audio/ogg",
  oga: "audio/ogg",
  m4a: "audio/mp4",
  mp3: "audio/mpeg",
  pdf: "application/pdf",
  txt: "text/plain",
  zip: "application/zip",
};

/**
 * The file a user's message to `chat` shares (its body is the URL of its OOB data or XEP-0447
 * source), or undefined for a text. Throws for an encrypted file: it cannot be passed on, and
 * sending its URL as text would give the legacy network its key.
 */
export function incomingFileOf(
  host: GatewayHost,
  parsed: ChatMessage,
  stanza: Element,
): IncomingFile | undefined {
  const declared = sharedFileOf(stanza, parsed);
  if (!declared) return undefined;
  if (declared.encrypted) throw new XmppError("not-acceptable", ENCRYPTED_FILE_TEXT);
  const { fileBytes, fileIdleMs } = host.config.limits;
  const name = declared.name ?? nameIn(declared.url);
  const extension = /\.([a-z0-9]{1,5})$/i.exec(name)?.[1]?.toLowerCase();
  const type = declared.mediaType ?? (extension && BY_EXTENSION[extension]) ?? "application/octet-stream";
  const file: IncomingFile = {
    name,
    type,
    kind: kindOf(type),
    size: declared.size,
    url: declared.url,
    async stream() {
      if (declared.size !== undefined && declared.size > fileBytes) {
        throw new XmppError(
          "not-acceptable",
          `The file could not be passed on: it is larger than this gateway passes on (${fileBytes} bytes).`,
        );
      }
      const download = await openDownload(declared.url, {
        maxBytes: fileBytes,
        idleMs: fileIdleMs,
        allowedHosts: await filesOf(host).allowedHosts(),
        expectedType: declared.mediaType,
      });
      if (declared.mediaType === undefined && download.type) {
        file.type = download.type;
        file.kind = kindOf(download.type);
      }
      file.size ??= download.size;
      return download.body;
    },
  };
  return file;
}

/** Voice messages as XMPP clients record them: Ogg (Opus) audio. */
export function kindOf(type: string): IncomingFile["kind"] {
  return /^audio\/(ogg|opus)$/.test(type.split(";")[0]!.trim().toLowerCase()) ? "voice" : undefined;
}

/** The URL's last path segment, decoded, or `file`. */
function nameIn(url: string): string {
  const segment = new URL(url).pathname.split("/").pop() ?? "";
  let name = segment;
  try {
    name = decodeURIComponent(segment);
  } catch {
    // A malformed escape: the raw segment is still a name.
  }
  name = sanitizeXmlText(name).replace(/[/\\]/g, "").replace(/\s+/g, " ").trim();
  return name === "" ? "file" : name;
}
