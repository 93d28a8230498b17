import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import type { MemoryTransport } from "@gangway/testing";
import type { Element, FormValues } from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { LegacyContact } from "./contact.js";
import { BaseGateway } from "./gateway.js";
import { LegacyRoom } from "./room.js";
import { BaseSession } from "./session.js";
import { drain, startTestGateway } from "./testing/index.js";

/** A participant's file in a room: groupchat with OOB and SFS, kept so in the room's archive. */

const GW = "net.localhost";
const USER = "romeo@localhost";
const ROOM = `lobby@${GW}`;
const UPLOAD = "upload.localhost";

let http: Server;
let base: string;
beforeAll(async () => {
  http = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.writeHead(201).end());
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});
afterAll(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
});

class Room extends LegacyRoom {
  override async updateInfo() {
    this.name = "Lobby";
    this.userNick = "romeo";
    this.addParticipant("alice");
  }
}

class Session extends BaseSession<RoomGateway, LegacyContact> {
  static override Contact = LegacyContact;
  static override Room = Room;
  override async *listRooms() {
    yield this.rooms.byLegacyId("lobby");
  }
}

class RoomGateway extends BaseGateway<BaseSession<RoomGateway, LegacyContact>> {
  static override COMPONENT_TYPE = "test";
  static override GROUPS = true;
  readonly Session: typeof BaseSession<RoomGateway, LegacyContact> = Session;
  override async validate(_jid: string, _form: FormValues) {}
}

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: RoomGateway;

  beforeEach(async () => {
    store = await driver.openStore();
    await store.users.create({ jid: USER, registration: {} });
    ({ gateway, transport } = await startTestGateway(RoomGateway, store, {
      domain: GW,
      args: ["--upload-service", UPLOAD],
    }));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  const join = async (resource: string, history = "") => {
    await transport.inject(
      `<presence id="j-${resource}" from="${USER}/${resource}" to="${ROOM}/romeo"><x xmlns="http://jabber.org/protocol/muc">${history}</x></presence>`,
    );
    return drain(transport);
  };
  const isFile = (stanza: Element, url: string) =>
    stanza.getChildText("body") === url &&
    stanza.getChild("x", "jabber:x:oob")?.getChildText("url") === url &&
    stanza.getChild("file-sharing", "urn:xmpp:sfs:0")?.getChild("file")?.getChildText("name") === "dot.png";

  it("participant.sendFile: a groupchat file message from room/nick, then its caption; history keeps both", async () => {
    await join("pc");
    const room = gateway.sessionFor(USER)!.rooms.known("lobby")!;
    const bytes = Buffer.from("not really a png");
    const sent = room.participants.get("alice")!.sendFile(
      {
        name: "dot.png",
        type: "image/png",
        size: bytes.length,
        stream: Readable.from([bytes]),
        caption: "look",
      },
      { id: "L1" },
    );
    const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === UPLOAD);
    const url = `${base}/f/dot.png`;
    await transport.inject(
      `<iq type="result" id="${iq.attrs.id}" from="${UPLOAD}" to="${GW}"><slot xmlns="urn:xmpp:http:upload:0">
        <put url="${url}"/><get url="${url}"/></slot></iq>`,
    );
    await sent;
    const [file, caption] = drain(transport);
    expect(file!.attrs).toMatchObject({ type: "groupchat", from: `${ROOM}/alice`, to: `${USER}/pc` });
    expect(isFile(file!, url)).toBe(true);
    expect(caption!.getChildText("body")).toBe("look");

    const history = (await join("phone", `<history maxstanzas="5"/>`)).filter((s) => s.is("message"));
    const replayed = history.filter((s) => s.getChild("delay", "urn:xmpp:delay"));
    expect(replayed.map((s) => s.getChildText("body"))).toEqual([url, "look"]);
    expect(isFile(replayed[0]!, url)).toBe(true);
  });

  it("participant.sendFiles: an album in a room, one groupchat message per file and the caption; retracting it retracts each", async () => {
    await join("pc");
    const room = gateway.sessionFor(USER)!.rooms.known("lobby")!;
    const alice = room.participants.get("alice")!;
    const file = (text: string) => ({
      name: "dot.png",
      type: "image/png",
      size: text.length,
      stream: Readable.from([Buffer.from(text)]),
    });
    const sent = alice.sendFiles([file("one"), file("two")], { id: "A1", caption: "both" });
    for (const path of ["/a/1.png", "/a/2.png"]) {
      const iq = await transport.waitForSent((s) => s.is("iq") && s.attrs.to === UPLOAD);
      await transport.inject(
        `<iq type="result" id="${iq.attrs.id}" from="${UPLOAD}" to="${GW}"><slot xmlns="urn:xmpp:http:upload:0">
          <put url="${base}${path}"/><get url="${base}${path}"/></slot></iq>`,
      );
    }
    await sent;
    const parts = drain(transport);
    expect(parts.map((s) => [s.attrs.from, s.attrs.type, s.getChildText("body")])).toEqual([
      [`${ROOM}/alice`, "groupchat", `${base}/a/1.png`],
      [`${ROOM}/alice`, "groupchat", `${base}/a/2.png`],
      [`${ROOM}/alice`, "groupchat", "both"],
    ]);
    expect(isFile(parts[0]!, `${base}/a/1.png`) && isFile(parts[1]!, `${base}/a/2.png`)).toBe(true);
    await alice.retract("A1");
    const retractions = drain(transport).map(
      (s) => s.getChild("retract", "urn:xmpp:message-retract:1")?.attrs.id,
    );
    // A room's messages carry their id as stanza-id too: the retractions name each, in order.
    expect(retractions).toEqual(parts.map((s) => s.attrs.id));
    expect(new Set(retractions).size).toBe(3);
  });
});
