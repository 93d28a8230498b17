import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { OutgoingMessage } from "./chat.js";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { ENCRYPTED_FILE_TEXT, type IncomingFile } from "./inbound-file.js";
import { BaseSession } from "./session.js";
import {
  type LoopbackUploadHttp,
  type StoredUploads,
  startLoopbackUploadHttp,
  startTestGateway,
} from "./testing/index.js";

/**
 * Files both ways on the memory transport, with a real HTTP server on loopback standing in for
 * the upload service's HTTP side (the test answers its XEP-0363 slot requests).
 */

const GW = "net.localhost";
const USER = "romeo@localhost";
const UPLOAD = "upload.localhost";
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

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

const received: string[] = [];

class FileSession extends BaseSession<FileGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    received.push(`message ${message.body}`);
    return `L-${message.xmppId}`;
  }
  override async onFile(_chat: LegacyContact, file: IncomingFile, message: OutgoingMessage) {
    const bytes = await buffer(await file.stream());
    received.push(`file ${file.name} ${file.type} ${file.size} ${sha256(bytes)}`);
    return `F-${message.xmppId}`;
  }
  override async onRetract(_chat: LegacyContact, legacyId: string) {
    received.push(`retract ${legacyId}`);
  }
}

class TextSession extends BaseSession<FileGateway, LegacyContact> {
  static override Contact = LegacyContact;
  override async onMessage(_chat: LegacyContact, message: OutgoingMessage) {
    received.push(`message ${message.body}`);
  }
}

class FileGateway extends BaseGateway<BaseSession<FileGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  readonly Session: typeof BaseSession<FileGateway, LegacyContact> = FileSession;
  override async validate(_jid: string, _form: FormValues) {}
}

class TextGateway extends FileGateway {
  override readonly Session = TextSession;
}

/** Answers the gateway's next slot request with a slot on the loopback server. */
async function answerSlot(transport: MemoryTransport, path: string): Promise<Element> {
  const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === UPLOAD);
  await transport.inject(
    `<iq type="result" id="${iq.attrs.id}" from="${UPLOAD}" to="${GW}"><slot xmlns="urn:xmpp:http:upload:0">
      <put url="${base}${path}"><header name="Authorization">Bearer t</header></put><get url="${base}${path}"/></slot></iq>`,
  );
  return iq;
}

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: FileGateway;

  async function start(args: string[] = ["--upload-service", UPLOAD], Gateway = FileGateway) {
    ({ gateway, transport } = await startTestGateway(Gateway, store, {
      domain: GW,
      args: ["--allow-file-host", new URL(base).host, ...args],
    }));
  }
  const alice = () => gateway.sessionFor(USER)!.contacts.byLegacyId("alice");
  const send = (inner: string, id: string) =>
    transport.inject(`<message type="chat" id="${id}" from="${USER}/pc" to="alice@${GW}">${inner}</message>`);
  const errorText = (id: string) => {
    const reply = transport.nextSent();
    expect(reply.attrs).toMatchObject({ type: "error", id });
    return reply.getChild("error")!.getChildText("text", STANZAS);
  };

  beforeEach(async () => {
    received.length = 0;
    stored.clear();
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
  });
  afterEach(async () => {
    await gateway.stop();
  });

  describe("legacy → XMPP: chat.sendFile", () => {
    it("uploads the stream, sends body = URL with OOB and SFS metadata, then the caption; reactions find the file", async () => {
      await start();
      const contact = await alice();
      const sent = contact.sendFile(
        {
          name: "dot.png",
          type: "image/png",
          size: PNG.length,
          stream: Readable.from([PNG]),
          width: 1,
          height: 1,
          caption: "a dot",
        },
        { id: "L1" },
      );
      const iq = await answerSlot(transport, "/s1/dot.png");
      expect(iq.getChild("request")!.attrs).toMatchObject({
        filename: "dot.png",
        size: String(PNG.length),
        "content-type": "image/png",
      });
      await sent;
      expect(stored.get("/s1/dot.png")?.body.equals(PNG)).toBe(true);
      const file = transport.nextSent();
      const url = `${base}/s1/dot.png`;
      expect(file.attrs).toMatchObject({ from: `alice@${GW}/gangway`, to: USER, type: "chat" });
      expect(file.getChildText("body")).toBe(url);
      expect(file.getChild("x", "jabber:x:oob")!.getChildText("url")).toBe(url);
      const sfs = file.getChild("file-sharing", "urn:xmpp:sfs:0")!;
      const metadata = sfs.getChild("file", "urn:xmpp:file:metadata:0")!;
      expect(metadata.getChildText("size")).toBe(String(PNG.length));
      expect(metadata.getChildText("width")).toBe("1");
      expect(metadata.getChild("hash")!.text()).toBe(sha256(PNG));
      expect(sfs.getChild("sources")!.getChild("url-data")!.attrs.target).toBe(url);
      const caption = transport.nextSent();
      expect(caption.getChildText("body")).toBe("a dot");
      expect(caption.getChild("x", "jabber:x:oob")).toBeUndefined();

      await contact.react("L1", ["👍"]);
      expect(transport.nextSent().getChild("reactions")!.attrs.id).toBe(file.attrs.id);
    });

    it("learns the size of a stream without one on disk, and hashes what it uploads", async () => {
      await start();
      const contact = await alice();
      const chunks = [PNG.subarray(0, 10), PNG.subarray(10)];
      const sent = contact.sendFile({ name: "dot.png", type: "image/png", stream: Readable.from(chunks) });
      expect((await answerSlot(transport, "/s2/dot.png")).getChild("request")!.attrs.size).toBe(
        String(PNG.length),
      );
      await sent;
      const file = transport.nextSent();
      expect(file.getChild("file-sharing")!.getChild("file")!.getChild("hash")!.text()).toBe(sha256(PNG));
    });

    it("tells the user of a file over --max-file-bytes, with its legacy link, without uploading it", async () => {
      await start(["--upload-service", UPLOAD, "--max-file-bytes", "1048576"]);
      const contact = await alice();
      await contact.sendFile(
        {
          name: "big.bin",
          type: "application/octet-stream",
          size: 2 * 1024 * 1024,
          link: "https://net.example/f/9",
        },
        { id: "L2" },
      );
      const notice = transport.nextSent();
      expect(notice.getChildText("body")).toBe(
        "big.bin (2 MiB) is larger than this gateway passes on (at most 1 MiB): https://net.example/f/9",
      );
      transport.expectNothingSent();
      await contact.retract("L2");
      expect(transport.nextSent().getChild("retract")!.attrs.id).toBe(notice.attrs.id);
    });

    it("without --upload-service, asks the server (disco) once, and says when it has no upload service", async () => {
      await start([]);
      const contact = await alice();
      const sent = contact.sendFile({
        name: "dot.png",
        type: "image/png",
        size: PNG.length,
        stream: Readable.from([PNG]),
      });
      const info = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === "localhost");
      expect(info.getChild("query")!.attrs.xmlns).toBe("http://jabber.org/protocol/disco#info");
      await transport.inject(
        `<iq type="result" id="${info.attrs.id}" from="localhost" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
      );
      const items = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === "localhost");
      await transport.inject(`<iq type="result" id="${items.attrs.id}" from="localhost" to="${GW}">
        <query xmlns="http://jabber.org/protocol/disco#items"><item jid="${UPLOAD}"/></query></iq>`);
      const uploadInfo = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === UPLOAD);
      await transport.inject(`<iq type="result" id="${uploadInfo.attrs.id}" from="${UPLOAD}" to="${GW}">
        <query xmlns="http://jabber.org/protocol/disco#info"><feature var="urn:xmpp:http:upload:0"/></query></iq>`);
      await answerSlot(transport, "/s3/dot.png");
      await sent;
      expect(transport.nextSent().getChildText("body")).toBe(`${base}/s3/dot.png`);
      // The service found is kept: the next file asks for a slot straight away.
      const again = contact.sendFile({
        name: "dot.png",
        type: "image/png",
        size: PNG.length,
        stream: Readable.from([PNG]),
      });
      await answerSlot(transport, "/s4/dot.png");
      await again;
      expect(transport.nextSent().getChildText("body")).toBe(`${base}/s4/dot.png`);
    });

    it("a server without an upload service: a text naming the file and its link", async () => {
      await start([]);
      const contact = await alice();
      const sent = contact.sendFile({
        name: "dot.png",
        type: "image/png",
        size: PNG.length,
        stream: Readable.from([PNG]),
        link: "https://net.example/p/1",
      });
      for (let i = 0; i < 2; i++) {
        const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === "localhost");
        await transport.inject(
          `<iq type="result" id="${iq.attrs.id}" from="localhost" to="${GW}"><query xmlns="${iq.getChild("query")!.attrs.xmlns}"/></iq>`,
        );
      }
      await sent;
      expect(transport.nextSent().getChildText("body")).toBe(
        `dot.png (${PNG.length} bytes): this gateway cannot pass files on; https://net.example/p/1`,
      );
    });
  });

  describe("XMPP → legacy: onFile", () => {
    const oob = (url: string) => `<body>${url}</body><x xmlns="jabber:x:oob"><url>${url}</url></x>`;

    it("hands the session a file it downloads on demand; retracting the message finds its legacy id", async () => {
      await start();
      stored.set("/up/photo.png", { type: "image/png", body: PNG });
      await send(oob(`${base}/up/photo.png`), "m1");
      expect(received).toEqual([`file photo.png image/png ${PNG.length} ${sha256(PNG)}`]);
      await send(`<retract xmlns="urn:xmpp:message-retract:1" id="m1"/>`, "m2");
      expect(received.at(-1)).toBe("retract F-m1");
    });

    it("answers the sender's message with a clear error when the download fails (wrong type, missing)", async () => {
      await start();
      stored.set("/up/page.png", { type: "text/html", body: Buffer.from("<html/>") });
      const url = `${base}/up/page.png`;
      await send(
        `<body>${url}</body><file-sharing xmlns="urn:xmpp:sfs:0"><file xmlns="urn:xmpp:file:metadata:0">
        <media-type>image/png</media-type></file><sources><url-data xmlns="http://jabber.org/protocol/url-data" target="${url}"/></sources></file-sharing>`,
        "m1",
      );
      expect(errorText("m1")).toBe(
        "The file could not be passed on: its server gives it another type than the message declared.",
      );
      await send(oob(`${base}/up/gone.png`), "m2");
      expect(errorText("m2")).toBe("The file could not be passed on: its server answered HTTP 404.");
      expect(received).toEqual([]);
    });

    it("refuses an encrypted (aesgcm://) file, and gives a session without onFile the URL as text", async () => {
      await start();
      await send("<body>aesgcm://h.example/x.png#00ff</body>", "m1");
      expect(errorText("m1")).toBe(ENCRYPTED_FILE_TEXT);
      await gateway.stop();
      await start(["--upload-service", UPLOAD], TextGateway);
      await send(oob(`${base}/up/photo.png`), "m2");
      expect(received).toEqual([`message ${base}/up/photo.png`]);
    });

    it("advertises OOB and SFS on puppets only when the session takes files", async () => {
      const features = async () => {
        await transport.inject(
          `<iq type="get" id="d" from="${USER}/pc" to="alice@${GW}"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>`,
        );
        return transport
          .nextSent()
          .getChild("query")!
          .getChildren("feature")
          .map((f) => f.attrs.var);
      };
      await start();
      expect(await features()).toEqual(expect.arrayContaining(["jabber:x:oob", "urn:xmpp:sfs:0"]));
      await gateway.stop();
      await start(["--upload-service", UPLOAD], TextGateway);
      expect(await features()).not.toContain("jabber:x:oob");
    });
  });
});
