import { createHash } from "node:crypto";
import type { Element } from "@gangway/core";
import { type LoopbackUploadHttp, type StoredUploads, startLoopbackUploadHttp } from "@gangway/core/testing";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ALBUM_CAPTION, demoFileChunks, demoPhoto, PHOTO_CAPTION, PHOTO_SIZE } from "./files.js";
import type { DemoGateway } from "./gateway.js";
import { GW, startTestGateway } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const UPLOAD = "upload.localhost";
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");

/** The upload service's HTTP side, on loopback. */
let upload: LoopbackUploadHttp;
let base: string;
let stored: StoredUploads;
beforeAll(async () => {
  upload = await startLoopbackUploadHttp();
  ({ base, stored } = upload);
});
afterAll(() => upload.close());

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;

  beforeEach(async () => {
    stored.clear();
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: { username: "romeo", password: "pw" } });
    ({ gateway, transport } = await startTestGateway(store, [
      "--upload-service",
      UPLOAD,
      "--allow-file-host",
      new URL(base).host,
    ]));
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
    while (transport.uncheckedCount > 0) transport.nextSent();
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
  const messageFrom = (from: string, withBody = true) =>
    transport.waitForSent(
      (s) =>
        s.is("message") &&
        s.attrs.from === `${from}/gangway` &&
        (!withBody || s.getChild("body") !== undefined),
    );

  describe("echo sends back any file it gets", () => {
    it("re-uploads the same bytes with OOB and SFS, then 'echo: <name>'; retracting the file retracts echo's", async () => {
      const bytes = demoPhoto();
      stored.set("/mine/cat.png", { type: "image/png", body: bytes });
      const url = `${base}/mine/cat.png`;
      const inject = transport.inject(
        `<message type="chat" id="f1" from="${USER}/pc" to="echo@${GW}"><body>${url}</body>
          <x xmlns="jabber:x:oob"><url>${url}</url></x><request xmlns="urn:xmpp:receipts"/></message>`,
      );
      const slot = await answerSlot("/echo/cat.png");
      expect(slot.getChild("request")!.attrs).toMatchObject({
        filename: "cat.png",
        size: String(bytes.length),
      });
      await inject;
      const file = await messageFrom(`echo@${GW}`);
      expect(file.getChildText("body")).toBe(`${base}/echo/cat.png`);
      expect(file.getChild("x", "jabber:x:oob")!.getChildText("url")).toBe(`${base}/echo/cat.png`);
      const metadata = file.getChild("file-sharing", "urn:xmpp:sfs:0")!.getChild("file")!;
      expect(metadata.getChildText("hash")).toBe(sha256(bytes));
      expect(metadata.getChildText("media-type")).toBe("image/png");
      expect(stored.get("/echo/cat.png")!.body.equals(bytes)).toBe(true);
      expect((await messageFrom(`echo@${GW}`)).getChildText("body")).toBe("echo: cat.png");
      // Echo's receipt for the user's file message.
      const receipt = await messageFrom(`echo@${GW}`, false);
      expect(receipt.getChild("received", "urn:xmpp:receipts")!.attrs.id).toBe("f1");

      await transport.inject(
        `<message type="chat" id="r1" from="${USER}/pc" to="echo@${GW}"><retract xmlns="urn:xmpp:message-retract:1" id="f1"/></message>`,
      );
      const retraction = await transport.waitForSent((s) => s.getChild("retract") !== undefined);
      expect(retraction.getChild("retract")!.attrs.id).toBe(file.attrs.id);
    });
  });

  describe("voice messages", () => {
    it("a voice message (Ogg, .oga) comes back from echo as a voice note: audio/ogg under its own name", async () => {
      const ogg = Buffer.concat([Buffer.from("OggS"), Buffer.alloc(60, 1)]);
      stored.set("/mine/voice.oga", { type: "audio/ogg", body: ogg });
      const url = `${base}/mine/voice.oga`;
      const inject = transport.inject(
        `<message type="chat" id="v1" from="${USER}/pc" to="echo@${GW}"><body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x></message>`,
      );
      const slot = await answerSlot("/echo/voice.oga");
      expect(slot.getChild("request")!.attrs).toMatchObject({
        filename: "voice.oga",
        "content-type": "audio/ogg",
      });
      await inject;
      const file = await messageFrom(`echo@${GW}`);
      expect(
        file.getChild("file-sharing", "urn:xmpp:sfs:0")!.getChild("file")!.getChildText("media-type"),
      ).toBe("audio/ogg");
      expect(stored.get("/echo/voice.oga")!.body.equals(ogg)).toBe(true);
    });
  });

  describe("/album", () => {
    it("makes alice send two pictures, one message each, and one caption after them", async () => {
      await transport.inject(
        `<message type="chat" id="a1" from="${USER}/pc" to="alice@${GW}"><body>/album</body></message>`,
      );
      await answerSlot("/alice/day.png");
      await answerSlot("/alice/night.png");
      const day = await messageFrom(`alice@${GW}`);
      const night = await messageFrom(`alice@${GW}`);
      const caption = await messageFrom(`alice@${GW}`);
      expect([day, night, caption].map((m) => m.getChildText("body"))).toEqual([
        `${base}/alice/day.png`,
        `${base}/alice/night.png`,
        ALBUM_CAPTION,
      ]);
      expect(stored.get("/alice/day.png")!.body.equals(demoPhoto())).toBe(true);
      expect(stored.get("/alice/night.png")!.body.equals(demoPhoto({ night: true }))).toBe(true);
      expect(demoPhoto({ night: true }).equals(demoPhoto())).toBe(false);
    });
  });

  describe("/file <MiB>", () => {
    it("over --max-file-bytes: the user gets a text naming the file and its link, nothing is uploaded", async () => {
      await gateway.stop();
      ({ gateway, transport } = await startTestGateway(store, [
        "--upload-service",
        UPLOAD,
        "--max-file-bytes",
        "1048576",
      ]));
      await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");
      while (transport.uncheckedCount > 0) transport.nextSent();
      await transport.inject(
        `<message type="chat" id="b1" from="${USER}/pc" to="alice@${GW}"><body>/file 2</body></message>`,
      );
      expect((await messageFrom(`alice@${GW}`)).getChildText("body")).toBe(
        "data-2MiB.bin (2 MiB) is larger than this gateway passes on (at most 1 MiB): https://demo.invalid/files/data-2MiB.bin",
      );
      expect(stored.size).toBe(0);
    });

    it("streams a made-up file of that size, its hash in the SFS metadata", async () => {
      await transport.inject(
        `<message type="chat" id="b2" from="${USER}/pc" to="alice@${GW}"><body>/file 3</body></message>`,
      );
      await answerSlot("/alice/data.bin");
      const file = await messageFrom(`alice@${GW}`);
      const uploaded = stored.get("/alice/data.bin")!.body;
      expect(uploaded.length).toBe(3 * 1024 * 1024);
      expect(uploaded.equals(Buffer.concat([...demoFileChunks(3)]))).toBe(true);
      const metadata = file.getChild("file-sharing", "urn:xmpp:sfs:0")!.getChild("file")!;
      expect(metadata.getChildText("hash")).toBe(sha256(uploaded));
    });
  });

  describe("/photo", () => {
    it("makes alice send a PNG with its caption", async () => {
      await transport.inject(
        `<message type="chat" id="p1" from="${USER}/pc" to="alice@${GW}"><body>/photo</body></message>`,
      );
      await answerSlot("/alice/sky.png");
      const photo = await messageFrom(`alice@${GW}`);
      const png = demoPhoto();
      expect(stored.get("/alice/sky.png")!.body.equals(png)).toBe(true);
      expect(png.subarray(1, 4).toString("ascii")).toBe("PNG");
      const metadata = photo.getChild("file-sharing", "urn:xmpp:sfs:0")!.getChild("file")!;
      expect(metadata.getChildText("width")).toBe(String(PHOTO_SIZE.width));
      expect(metadata.getChildText("height")).toBe(String(PHOTO_SIZE.height));
      expect((await messageFrom(`alice@${GW}`)).getChildText("body")).toBe(PHOTO_CAPTION);
    });
  });
});
