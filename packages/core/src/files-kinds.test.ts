import { createHash } from "node:crypto";
import { type AddressInfo, createServer } from "node:net";
import { Readable } from "node:stream";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import type { IncomingFile } from "./inbound-file.js";
import { BaseSession } from "./session.js";
import {
  type LoopbackUploadHttp,
  type StoredUploads,
  startLoopbackUploadHttp,
  startTestGateway,
} from "./testing/index.js";

/**
 * Albums (several files in one legacy message), voice notes, stickers and GIFs, and the gateway's
 * own file endpoint for a server without an upload service, on the memory transport with a real
 * HTTP server on loopback as the upload service's HTTP side.
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const UPLOAD = "upload.localhost";
const SFS = "urn:xmpp:sfs:0";
const META = "urn:xmpp:file:metadata:0";

/** The upload service's HTTP side, on loopback. */
let upload: LoopbackUploadHttp;
let base: string;
let stored: StoredUploads;
beforeAll(async () => {
  upload = await startLoopbackUploadHttp();
  ({ base, stored } = upload);
});
afterAll(() => upload.close());

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");
const png = (name: string, caption?: string) => ({
  name,
  type: "image/png",
  size: PNG.length,
  stream: Readable.from([PNG]),
  ...(caption && { caption }),
});

const received: string[] = [];

class KindSession extends BaseSession<KindGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    received.push(`message ${message.body}`);
  }
  override async onFile(_chat: LegacyContact, file: IncomingFile) {
    received.push(`file ${file.name} ${file.type} ${file.kind}`);
  }
}

class KindGateway extends BaseGateway<BaseSession<KindGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<KindGateway, LegacyContact> = KindSession;
  override async validate(_jid: string, _form: FormValues) {}
}

async function answerSlot(transport: MemoryTransport, path: string): Promise<Element> {
  const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === UPLOAD);
  await transport.inject(
    `<iq type="result" id="${iq.attrs.id}" from="${UPLOAD}" to="${GW}"><slot xmlns="urn:xmpp:http:upload:0">
      <put url="${base}${path}"/><get url="${base}${path}"/></slot></iq>`,
  );
  return iq;
}

/** Answers the gateway's disco of the server: no upload service there. */
async function noUploadService(transport: MemoryTransport): Promise<void> {
  for (let i = 0; i < 2; i++) {
    const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === "localhost");
    await transport.inject(
      `<iq type="result" id="${iq.attrs.id}" from="localhost" to="${GW}"><query xmlns="${iq.getChild("query")!.attrs.xmlns}"/></iq>`,
    );
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const metadata = (message: Element) => message.getChild("file-sharing", SFS)!.getChild("file", META)!;

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: KindGateway;

  async function start(args: string[] = ["--upload-service", UPLOAD]) {
    ({ gateway, transport } = await startTestGateway(KindGateway, store, {
      domain: GW,
      args: ["--allow-file-host", new URL(base).host, ...args],
    }));
  }
  const alice = () => gateway.sessionFor(USER)!.contacts.byLegacyId("alice");

  beforeEach(async () => {
    received.length = 0;
    stored.clear();
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  it("an album: one message per file (each with its own caption), the album's caption once; a reaction goes to the first, a retraction to all", async () => {
    await start();
    const contact = await alice();
    const sent = contact.sendFiles([png("a.png", "the first"), png("b.png")], {
      id: "A1",
      caption: "two dots",
    });
    await answerSlot(transport, "/a/a.png");
    await answerSlot(transport, "/a/b.png");
    await sent;
    const messages = [transport.nextSent(), transport.nextSent(), transport.nextSent(), transport.nextSent()];
    expect(messages.map((m) => m.getChildText("body"))).toEqual([
      `${base}/a/a.png`,
      "the first",
      `${base}/a/b.png`,
      "two dots",
    ]);
    expect(messages.map((m) => m.getChild("file-sharing", SFS) !== undefined)).toEqual([
      true,
      false,
      true,
      false,
    ]);
    transport.expectNothingSent();

    await contact.react("A1", ["❤"]);
    expect(transport.nextSent().getChild("reactions")!.attrs.id).toBe(messages[0]!.attrs.id);
    await contact.retract("A1");
    const retracted = messages.map(() => transport.nextSent().getChild("retract")!.attrs.id);
    expect(retracted).toEqual(messages.map((m) => m.attrs.id));
  });

  it("a voice note goes as Ogg audio with its duration, a sticker as an image with its emoji, a GIF as image/gif", async () => {
    await start();
    const contact = await alice();
    const voice = contact.sendFile({
      name: "voice-message",
      type: "audio/ogg; codecs=opus",
      kind: "voice",
      duration: 3.25,
      size: 4,
      stream: Readable.from([Buffer.from("OggS")]),
    });
    const voiceSlot = await answerSlot(transport, "/v/voice-message.ogg");
    expect(voiceSlot.getChild("request")!.attrs).toMatchObject({
      filename: "voice-message.ogg",
      "content-type": "audio/ogg; codecs=opus",
    });
    await voice;
    const voiceMeta = metadata(transport.nextSent());
    expect(voiceMeta.getChildText("length")).toBe("3250");
    expect(voiceMeta.getChildText("media-type")).toBe("audio/ogg; codecs=opus");

    const sticker = contact.sendFile({ ...png("cat"), kind: "sticker", description: "😺" });
    expect((await answerSlot(transport, "/s/cat.png")).getChild("request")!.attrs.filename).toBe("cat.png");
    await sticker;
    const stickerMessage = transport.nextSent();
    expect(stickerMessage.getChild("file-sharing", SFS)!.attrs.disposition).toBe("inline");
    expect(metadata(stickerMessage).getChildText("desc")).toBe("😺");

    const gif = contact.sendFile({
      name: "dance",
      type: "application/octet-stream",
      kind: "gif",
      size: 3,
      stream: Readable.from([Buffer.from("GIF")]),
    });
    expect((await answerSlot(transport, "/g/dance.gif")).getChild("request")!.attrs).toMatchObject({
      filename: "dance.gif",
      "content-type": "image/gif",
    });
    await gif;
    expect(metadata(transport.nextSent()).getChildText("media-type")).toBe("image/gif");
  });

  it("a voice message from Conversations (OOB only, .oga) reaches onFile as kind voice; a picture has no kind", async () => {
    await start();
    const send = (url: string, id: string) =>
      transport.inject(
        `<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}"><body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x></message>`,
      );
    await send(`${base}/up/2026-12-03_0815.oga`, "m1");
    await send(`${base}/up/p.png`, "m2");
    expect(received).toEqual(["file 2026-12-03_0815.oga audio/ogg voice", "file p.png image/png undefined"]);
  });

  it("without an upload service, --file-http-port serves the file itself at a signed link (and an album's files)", async () => {
    const port = await freePort();
    await start(["--file-http-port", String(port), "--file-http-url", `http://127.0.0.1:${port}/files`]);
    const contact = await alice();
    const sent = contact.sendFiles([png("one.png"), png("two.png")], {
      id: "A2",
      caption: "from the gateway",
    });
    await noUploadService(transport);
    await sent;
    const [one, two, caption] = [transport.nextSent(), transport.nextSent(), transport.nextSent()];
    expect(caption.getChildText("body")).toBe("from the gateway");
    for (const [message, name] of [
      [one, "one.png"],
      [two, "two.png"],
    ] as const) {
      const url = message.getChildText("body")!;
      expect(url).toMatch(
        new RegExp(`^http://127\\.0\\.0\\.1:${port}/files/[\\w-]{22}/\\d+/[\\w-]{43}/${name}$`),
      );
      expect(message.getChild("x", "jabber:x:oob")!.getChildText("url")).toBe(url);
      expect(metadata(message).getChild("hash")!.text()).toBe(sha256(PNG));
      const response = await fetch(url);
      expect(response.headers.get("content-type")).toBe("image/png");
      expect(Buffer.from(await response.arrayBuffer()).equals(PNG)).toBe(true);
    }
    // The gateway may fetch its own links back (a user forwarding the file to another contact).
    await transport.inject(
      `<message type="chat" id="f1" from="${USER}/pc" to="bob@${GW}"><body>${one.getChildText("body")}</body><x xmlns="jabber:x:oob"><url>${one.getChildText("body")}</url></x></message>`,
    );
    expect(received).toEqual(["file one.png image/png undefined"]);
  });
});
