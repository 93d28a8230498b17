import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderQrPng } from "@gangway/registration";
import type { ProsodyServer } from "@gangway/testing";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runFileClient } from "./files-support.js";
import { ALICE, type MessengerStack, startWithCarol } from "./messenger-support.js";
import { Cleanups, tempDataDir } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * Attachments both ways through the real `gangway-messenger --backend fake`, a real Prosody with
 * mod_http_file_share and slixmpp's XEP-0363 client (scripts/file_client.py): alice.fb's photo,
 * album, sticker and voice message arrive as files the gateway uploaded to the server (SFS
 * metadata whose hash matches the bytes downloaded); a picture the user uploads and sends to
 * alice.fb comes back from her with the same bytes.
 */

const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;
  let dir: string;
  const client = (steps: Parameters<typeof runFileClient>[3]) =>
    runFileClient(stack.server as ProsodyServer, "carol@localhost", "pw", steps);

  beforeAll(async () => {
    stack = await startWithCarol(cleanups, driver);
    dir = await tempDataDir(cleanups);
  }, 150_000);
  afterAll(() => cleanups.run());

  it("alice.fb's /photo, /album, /sticker and /voice arrive through the server's upload service", async () => {
    const run = await client([
      { say: "/photo", to: ALICE, expect: "file", caption: true },
      { say: "/album", to: ALICE, expect: "file", files: 2, caption: true },
      { say: "/sticker", to: ALICE, expect: "file" },
      { say: "/voice", to: ALICE, expect: "file" },
    ]);
    expect(run.error, run.stderr + stack.gateway.output()).toBeUndefined();
    const [photo, album, sticker, voice] = run.steps;
    expect(photo!.sfs).toMatchObject({ name: "photo.png", media_type: "image/png" });
    expect(photo!.caption).toBe("A photo from Alice");
    expect(album!.album!.map((file) => [file.sfs!.name, file.sfs!.media_type])).toEqual([
      ["day.png", "image/png"],
      ["night.png", "image/png"],
    ]);
    expect(album!.caption).toBe("Day and night");
    expect(sticker!.sfs).toMatchObject({ name: "sticker.png", media_type: "image/png" });
    expect(voice!.sfs).toMatchObject({ name: "voice.ogg", media_type: "audio/ogg" });
    for (const file of [photo!, ...album!.album!, sticker!, voice!]) {
      // The bytes downloaded from the server's upload service are the ones the metadata describes.
      expect(file.sha256).toBe(file.sfs!.hash);
      expect(file.size).toBe(Number(file.sfs!.size));
      expect(file.body).toBe(file.sfs!.source); // the body is the upload URL (clients show it inline)
    }
    expect(new Set([photo, ...album!.album!].map((file) => file!.sha256)).size).toBe(3);
  }, 180_000);

  it("a picture sent to alice.fb comes back from her with the same bytes", async () => {
    const png = await renderQrPng("a picture for alice.fb");
    const path = join(dir, "picture.png");
    await writeFile(path, png);
    const run = await client([{ upload: path, type: "image/png", to: ALICE, expect: "file", caption: true }]);
    expect(run.error, run.stderr + stack.gateway.output()).toBeUndefined();
    const [back] = run.steps;
    expect(back!.oob).not.toBe(back!.sent_url); // uploaded again by the gateway, not the user's URL
    expect(back!.sfs).toMatchObject({
      name: "picture.png",
      media_type: "image/png",
      size: String(png.length),
    });
    expect(back!.sha256).toBe(sha256(png));
    expect(back!.caption).toBe("seen: picture.png");
  }, 180_000);
});
