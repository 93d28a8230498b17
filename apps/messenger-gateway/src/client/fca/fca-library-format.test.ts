/**
 * The library's own formatters (utils.js of @xaviabot/fca-unofficial, which listenMqtt.js runs on
 * every /t_ms delta) fed with raw deltas, and their output through the adapter's mapper: proves
 * the event fields the adapter reads are the ones the library's code writes, not only the ones
 * its documentation names. Pure functions: no login, no network.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { libraryLogin } from "./fca-client.js";
import { FcaEventMapper } from "./fca-events.js";
import { ALICE, BOB, FAMILY, fixture, SELF } from "./fixtures/fake-api.js";

interface LibraryUtils {
  formatDeltaMessage(m: unknown): unknown;
  formatDeltaEvent(delta: unknown): unknown;
  formatDeltaReadReceipt(delta: unknown): unknown;
}

const utils = createRequire(import.meta.url)("@xaviabot/fca-unofficial/utils.js") as LibraryUtils;
const deltas = fixture<Record<string, { delta?: unknown }>>("deltas.json");

describe("the library's formatted events through the adapter's mapper", () => {
  it("a new message with a picture, a voice clip, a file, a sticker and a mention", () => {
    const mapper = new FcaEventMapper(SELF);
    const [event] = mapper.map(utils.formatDeltaMessage(deltas.newMessage));
    expect(event).toEqual({
      name: "message",
      args: [
        {
          threadId: FAMILY,
          messageId: "mid.$gAAAAAdelta",
          senderId: BOB,
          text: "photo for @Alice",
          timestampMs: 1764750020000,
          mentions: [{ id: ALICE, offset: 10, length: 6 }],
          fromMe: false,
          attachments: [
            {
              id: "3001",
              kind: "image",
              url: "https://scontent.xx.fbcdn.net/l3001.jpg",
              fileName: "image-3001.jpg",
            },
            {
              id: "3002",
              kind: "voice",
              url: "https://cdn.fbsbx.com/v/3002.mp4",
              fileName: "audioclip-3002.mp4",
              durationMs: 4200,
            },
            {
              id: "3003",
              kind: "file",
              url: "https://cdn.fbsbx.com/v/notes.txt",
              fileName: "notes.txt",
              mimeType: "text/plain",
            },
            {
              id: "369239263222822",
              kind: "sticker",
              url: "https://scontent.xx.fbcdn.net/like.png",
              description: "Like, thumbs up",
            },
          ],
        },
      ],
    });
  });

  it("thread name, a member who left and a new admin", () => {
    const mapper = new FcaEventMapper(SELF);
    mapper.setAdmins(FAMILY, [ALICE]);
    const updates = [deltas.threadName, deltas.participantLeft, deltas.adminAdded].flatMap((delta) =>
      mapper.map(utils.formatDeltaEvent(delta)),
    );
    expect(updates.map((u) => u.args[0])).toEqual([
      { threadId: FAMILY, actorId: ALICE, name: "Cousins" },
      { threadId: FAMILY, actorId: ALICE, removed: [BOB] },
      { threadId: FAMILY, actorId: ALICE, adminIds: [ALICE, BOB] },
    ]);
  });

  it("a read receipt in a group: the reader and the last message by then", () => {
    const mapper = new FcaEventMapper(SELF);
    mapper.noteMessage(FAMILY, "mid.$older", 1764750010000);
    mapper.noteMessage(FAMILY, "mid.$newer", 1764750040000);
    expect(mapper.map(utils.formatDeltaReadReceipt(deltas.readReceipt))).toEqual([
      {
        name: "readReceipt",
        args: [
          { threadId: FAMILY, readerId: ALICE, lastReadMessageId: "mid.$older", timestampMs: 1764750030000 },
        ],
      },
    ]);
  });

  it("the default login is the library's exported function", () => {
    expect(typeof libraryLogin()).toBe("function");
    expect(libraryLogin().name).toBe("login");
  });
});
