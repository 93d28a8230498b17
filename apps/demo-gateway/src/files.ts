import { Readable } from "node:stream";
import type { IncomingFile, LegacyChat, Logger } from "@gangway/core";
import { PNG } from "pngjs";
import type { DemoClient } from "./network.js";

/**
 * Files on the demo network: echo sends back every file it gets, re-uploaded ("echo: <name>" as
 * its caption), `/photo` to any contact makes alice send a picture, `/album` two pictures in one
 * message (an album, one caption). What a network author
 * writes for a real network: `onFile` streams the user's upload to the network, `sendFile`
 * shows the network's files.
 */

/** The text that makes alice send a photo. */
export const PHOTO_COMMAND = "/photo";
export const PHOTO_CAPTION = "A picture from Alice: the sky over the demo network";
export const PHOTO_SIZE = { width: 96, height: 64 } as const;
/** The text that makes alice send an album: two pictures in one message, with one caption. */
export const ALBUM_COMMAND = "/album";
export const ALBUM_CAPTION = "Day and night over the demo network";
/** `/file <MiB>`: alice sends a made-up file that large (large-file tests and benches). */
export const FILE_COMMAND = /^\/file (\d{1,4})$/;
const MIB = 1024 * 1024;

/**
 * The user sent `file` to `chat` (a contact). Echo downloads it and sends the same bytes back as
 * its answer, mapped as its text answers are (edits, retractions and reactions of the user's file
 * reach echo's); other contacts just take it. Returns the file message's network id.
 */
export async function receiveFile(client: DemoClient, chat: LegacyChat, file: IncomingFile): Promise<string> {
  const { id, replyId } = client.sendFile(chat.legacyId);
  if (replyId === undefined) return id;
  // Streamed through: the download feeds the upload, never the whole file in memory.
  const body = await file.stream();
  await chat.sendFile(
    {
      name: file.name,
      type: file.type,
      ...(file.size !== undefined && { size: file.size }),
      stream: body,
      // A voice message comes back as one: the network's voice type, then the user's again.
      ...(file.kind && { kind: file.kind }),
      caption: `echo: ${file.name}`,
    },
    { id: replyId },
  );
  // Echo's receipt, once the gateway has mapped the user's message to `id` (right after this returns).
  setImmediate(() => void chat.received(id).catch(() => undefined));
  return id;
}

/** `/photo`, `/album` and `/file <MiB>` (to any contact): alice sends files, after the command went out. */
export function fileCommand(
  client: DemoClient,
  body: string,
  alice: () => Promise<LegacyChat>,
  log: Logger,
): void {
  const text = body.trim();
  const size = FILE_COMMAND.exec(text)?.[1];
  if (text !== PHOTO_COMMAND && text !== ALBUM_COMMAND && size === undefined) return;
  void alice()
    .then((chat) =>
      size !== undefined
        ? sendMadeUpFile(client, chat, Number(size))
        : text === ALBUM_COMMAND
          ? sendAlbum(client, chat)
          : sendPhoto(client, chat),
    )
    .catch((err: unknown) => log.error({ err }, "alice could not send her file"));
}

/** `/photo`: alice sends a picture with a caption (a PNG made here, as a network would serve one). */
export function sendPhoto(client: DemoClient, alice: LegacyChat): Promise<void> {
  const png = demoPhoto();
  return alice.sendFile(
    {
      name: "sky.png",
      type: "image/png",
      size: png.byteLength,
      stream: Readable.from([png]),
      ...PHOTO_SIZE,
      caption: PHOTO_CAPTION,
    },
    { id: client.incomingId() },
  );
}

/** `/album`: alice sends two pictures in one message (day, then night) with one caption. */
export function sendAlbum(client: DemoClient, alice: LegacyChat): Promise<void> {
  const picture = (name: string, png: Buffer) => ({
    name,
    type: "image/png",
    size: png.byteLength,
    stream: Readable.from([png]),
    ...PHOTO_SIZE,
  });
  return alice.sendFiles(
    [picture("day.png", demoPhoto()), picture("night.png", demoPhoto({ night: true }))],
    {
      id: client.incomingId(),
      caption: ALBUM_CAPTION,
    },
  );
}

/**
 * `/file <MiB>`: alice sends `data-<n>MiB.bin`, made as it is read (never whole in memory); its
 * bytes are `demoFileBytes`. Over `--max-file-bytes`, the user gets the core's text instead.
 */
export function sendMadeUpFile(client: DemoClient, alice: LegacyChat, mebibytes: number): Promise<void> {
  return alice.sendFile(
    {
      name: `data-${mebibytes}MiB.bin`,
      type: "application/octet-stream",
      size: mebibytes * MIB,
      stream: Readable.from(demoFileChunks(mebibytes)),
      link: `https://demo.invalid/files/data-${mebibytes}MiB.bin`,
    },
    { id: client.incomingId() },
  );
}

/** The bytes of `/file <MiB>`, one MiB at a time: byte i of MiB m is (i + m) mod 251. */
export function* demoFileChunks(mebibytes: number): Generator<Buffer> {
  for (let m = 0; m < mebibytes; m++) {
    const chunk = Buffer.allocUnsafe(MIB);
    for (let i = 0; i < MIB; i++) chunk[i] = (i + m) % 251;
    yield chunk;
  }
}

/** A sky-to-grass gradient with a sun (or a night sky with a moon), as a PNG (a few KiB). */
export function demoPhoto({ night = false } = {}): Buffer {
  const { width, height } = PHOTO_SIZE;
  const png = new PNG({ width, height, colorType: 2 });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sun = (x - 70) ** 2 + (y - 16) ** 2 < 100;
      const grass = y > height * 0.7;
      const sky = night ? [10, 20, 60 + y] : [90 + y, 150 + y, 255];
      const ground = night ? [10, 40 + (y % 8) * 2, 20] : [40, 140 + (y % 8) * 4, 50];
      const rgb = sun ? (night ? [235, 235, 220] : [255, 220, 60]) : grass ? ground : sky;
      png.data.set([...rgb, 255], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(png, { colorType: 2 });
}
