import { createHash } from "node:crypto";
import type { Element } from "@gangway/core";
import {
  drain,
  type LoopbackUploadHttp,
  type StoredUploads,
  startLoopbackUploadHttp,
} from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import { fakePng, fakeVoiceOgg, PICTURE_SIZE } from "./client/fake-media.js";
import type { MessengerGateway } from "./gateway.js";
import { ALICE_JID, GW, ROMEO, startWithRomeoLoggedIn } from "./test-support/gateway.js";

const UPLOAD = "upload.localhost";
const SFS = "urn:xmpp:sfs:0";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");

let upload: LoopbackUploadHttp;
let base: string;
let stored: StoredUploads;
beforeAll(async () => {
  upload = await startLoopbackUploadHttp();
  ({ base, stored } = upload);
});
afterAll(() => upload.close());

/**
 * Attachments both ways through the core's file API: alice.fb's files (on request: /photo,
 * /album, /sticker, /voice) reach the user uploaded to their server; the user's files reach
 * Messenger, and alice.fb answers "seen: <name>" with the same file back.
 */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MessengerGateway;

  beforeEach(async () => {
    stored.clear();
    store = await driver.openStore();
    ({ gateway, transport } = await startWithRomeoLoggedIn(store, [
      "--upload-service",
      UPLOAD,
      "--allow-file-host",
      new URL(base).host,
    ]));
    drain(transport);
  });
  afterEach(async () => {
    await gateway.stop();
  });

  /** Answers the gateway's next upload slot request with `path` on the loopback server. */
  async function answerSlot(path: string): Promise<Element> {
    const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === UPLOAD);
    await transport.inject(
      `<iq type="result" id="${iq.attrs.id}" from="${UPLOAD}" to="${GW}"><slot xmlns="urn:xmpp:http:upload:0">
        <put url="${base}${path}"/><get url="${base}${path}"/></slot></iq>`,
    );
    return iq;
  }

  const fromAlice = () =>
    transport.waitForSent(
      (s) => s.is("message") && s.attrs.from === `${ALICE_JID}/gangway` && s.getChild("body") !== undefined,
    );
  const metadataOf = (message: Element) => message.getChild("file-sharing", SFS)!.getChild("file")!;

  async function say(text: string): Promise<void> {
    await transport.inject(
      `<message type="chat" id="c-${text.slice(1)}" from="${ROMEO}/pc" to="${ALICE_JID}"><body>${text}</body></message>`,
    );
  }

  it("/photo: alice.fb's picture is uploaded with its hash, then her text as its caption", async () => {
    await say("/photo");
    const slot = await answerSlot("/alice/photo.png");
    const png = fakePng("photo.png", PICTURE_SIZE);
    expect(slot.getChild("request")!.attrs).toMatchObject({
      filename: "photo.png",
      "content-type": "image/png",
    });
    const file = await fromAlice();
    expect(file.getChildText("body")).toBe(`${base}/alice/photo.png`);
    expect(file.getChild("x", "jabber:x:oob")!.getChildText("url")).toBe(`${base}/alice/photo.png`);
    expect(metadataOf(file).getChildText("hash")).toBe(sha256(png));
    expect(stored.get("/alice/photo.png")!.body.equals(png)).toBe(true);
    expect((await fromAlice()).getChildText("body")).toBe("A photo from Alice");
  });

  it("/album: two pictures, one message each, and one caption after them", async () => {
    await say("/album");
    await answerSlot("/alice/day.png");
    await answerSlot("/alice/night.png");
    const bodies = [await fromAlice(), await fromAlice(), await fromAlice()].map((m) =>
      m.getChildText("body"),
    );
    expect(bodies).toEqual([`${base}/alice/day.png`, `${base}/alice/night.png`, "Day and night"]);
    expect(stored.get("/alice/day.png")!.body.equals(fakePng("day.png", PICTURE_SIZE))).toBe(true);
    expect(stored.get("/alice/night.png")!.body.equals(fakePng("night.png", PICTURE_SIZE))).toBe(true);
  });

  it("/sticker and /voice: a sticker with its emoji as description, a voice message as Ogg audio", async () => {
    await say("/sticker");
    await answerSlot("/alice/sticker.png");
    const sticker = await fromAlice();
    expect(metadataOf(sticker).getChildText("desc")).toBe("👋");
    expect(metadataOf(sticker).getChildText("media-type")).toBe("image/png");

    await say("/voice");
    const slot = await answerSlot("/alice/voice.ogg");
    expect(slot.getChild("request")!.attrs).toMatchObject({
      filename: "voice.ogg",
      "content-type": "audio/ogg",
    });
    const voice = await fromAlice();
    expect(metadataOf(voice).getChildText("media-type")).toBe("audio/ogg");
    expect(metadataOf(voice).getChildText("length")).toBe("1000");
    const ogg = stored.get("/alice/voice.ogg")!.body;
    expect(ogg.equals(fakeVoiceOgg())).toBe(true);
    expect(ogg.subarray(0, 4).toString("ascii")).toBe("OggS");
  });

  it("the user's file goes to Messenger; alice.fb answers 'seen: <name>' with the same bytes, as a reply", async () => {
    const png = fakePng("the user's cat", PICTURE_SIZE);
    stored.set("/mine/cat.png", { type: "image/png", body: png });
    const url = `${base}/mine/cat.png`;
    const sent = vi.spyOn(gateway.sessionFor(ROMEO)!.client, "sendAttachments");
    await transport.inject(
      `<message type="chat" id="f1" from="${ROMEO}/pc" to="${ALICE_JID}"><body>${url}</body>
        <x xmlns="jabber:x:oob"><url>${url}</url></x></message>`,
    );
    await answerSlot("/alice/cat.png");
    const file = await fromAlice();
    expect(file.getChildText("body")).toBe(`${base}/alice/cat.png`);
    expect(file.getChild("reply", "urn:xmpp:reply:0")!.attrs.id).toBe("f1");
    expect(stored.get("/alice/cat.png")!.body.equals(png)).toBe(true);
    expect((await fromAlice()).getChildText("body")).toBe("seen: cat.png");
    expect(sent.mock.calls[0]![1].map((f) => [f.fileName, f.mimeType, f.kind])).toEqual([
      ["cat.png", "image/png", "image"],
    ]);
  });

  it("the user's Ogg audio goes as a voice message, and comes back as one", async () => {
    const ogg = fakeVoiceOgg();
    stored.set("/mine/note.oga", { type: "audio/ogg", body: ogg });
    const url = `${base}/mine/note.oga`;
    const sent = vi.spyOn(gateway.sessionFor(ROMEO)!.client, "sendAttachments");
    await transport.inject(
      `<message type="chat" id="v1" from="${ROMEO}/pc" to="${ALICE_JID}"><body>${url}</body>
        <x xmlns="jabber:x:oob"><url>${url}</url></x></message>`,
    );
    const slot = await answerSlot("/alice/note.oga");
    expect(slot.getChild("request")!.attrs).toMatchObject({ "content-type": "audio/ogg" });
    await fromAlice();
    expect(stored.get("/alice/note.oga")!.body.equals(ogg)).toBe(true);
    expect(sent.mock.calls[0]![1][0]!.kind).toBe("voice");
  });
});
