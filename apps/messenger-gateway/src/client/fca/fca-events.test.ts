import { describe, expect, it } from "vitest";
import type { MessengerEvents } from "../port.js";
import { FcaMessengerClient } from "./fca-client.js";
import { mentionsOf, unwrapFacebookRedirect } from "./fca-events.js";
import { FcaCheckpoints } from "./fca-login.js";
import { ALICE, BOB, FAMILY, fakeApi, fixture, SELF } from "./fixtures/fake-api.js";

const events = fixture<Record<string, unknown>>("events.json");
const EVENT_NAMES: (keyof MessengerEvents)[] = [
  "message",
  "messageEdit",
  "messageUnsend",
  "reaction",
  "typing",
  "readReceipt",
  "presence",
  "threadUpdate",
  "friendUpdate",
  "connection",
];

/** A client logged in through a fake `login`, and what it emits (sessionChanged left out). */
async function listening() {
  const fake = fakeApi();
  const client = new FcaMessengerClient({ login: async () => fake.api, checkpoints: new FcaCheckpoints() });
  await client.login({ email: "me@example.org", password: "secret" });
  const seen: { name: string; args: unknown[] }[] = [];
  for (const name of EVENT_NAMES)
    (client.on as (n: string, l: (...a: unknown[]) => void) => void)(name, (...args) =>
      seen.push({ name, args }),
    );
  const deliver = (...names: string[]) => {
    for (const name of names) fake.deliver(events[name]);
  };
  return { fake, client, seen, deliver };
}

describe("fca events → port events", () => {
  it("a message: text, mentions as offsets, time, not from the user", async () => {
    const { seen, deliver } = await listening();
    deliver("text");
    expect(seen).toEqual([
      {
        name: "message",
        args: [
          {
            threadId: ALICE,
            messageId: "mid.$cAAAAAtext",
            senderId: ALICE,
            text: "Hi @Bob Smith, see you",
            timestampMs: 1764750000000,
            mentions: [{ id: BOB, offset: 3, length: 10 }],
            fromMe: false,
            attachments: [],
          },
        ],
      },
    ]);
  });

  it("the user's own message (from the official app) is fromMe; a reply names what it answers", async () => {
    const { seen, deliver } = await listening();
    deliver("fromMe", "reply");
    expect(seen.map((e) => e.args[0])).toMatchObject([
      { threadId: FAMILY, messageId: "mid.$cAAAAAmine", senderId: SELF, fromMe: true },
      {
        threadId: FAMILY,
        messageId: "mid.$cAAAAAreply",
        senderId: BOB,
        fromMe: false,
        replyTo: "mid.$cAAAAAmine",
      },
    ]);
    expect(seen[0]?.args[0]).not.toHaveProperty("replyTo");
  });

  it("attachments: each kind mapped, shares and locations as links in the text, unknown ones dropped", async () => {
    const { seen, deliver } = await listening();
    deliver("attachments");
    const message = seen[0]?.args[0] as MessengerEvents["message"][0];
    expect(message.text).toBe(
      "https://example.org/article?id=7\nhttps://www.bing.com/maps/default.aspx?v=2&pc=FACEBK&mid=8100&where1=48.8583%2C%202.2945",
    );
    expect(message.timestampMs).toBe(1764750003000);
    expect(message.attachments).toEqual([
      { id: "1001", kind: "image", url: "https://scontent.xx.fbcdn.net/l.jpg", fileName: "image-1001" },
      { id: "1002", kind: "gif", url: "https://scontent.xx.fbcdn.net/g.gif", fileName: "gif-1002" },
      {
        id: "1003",
        kind: "video",
        url: "https://video.xx.fbcdn.net/v.mp4",
        fileName: "video-1003.mp4",
        durationMs: 12000,
      },
      {
        id: "1004",
        kind: "voice",
        url: "https://cdn.fbsbx.com/v/voice.mp4",
        fileName: "audioclip-1004.mp4",
        durationMs: 3500,
      },
      {
        id: "1005",
        kind: "audio",
        url: "https://cdn.fbsbx.com/v/song.mp3",
        fileName: "song.mp3",
        durationMs: 180000,
      },
      {
        id: "1006",
        kind: "file",
        url: "https://cdn.fbsbx.com/v/report.pdf",
        fileName: "report.pdf",
        mimeType: "application/pdf",
      },
      {
        id: "369239263222822",
        kind: "sticker",
        url: "https://scontent.xx.fbcdn.net/like.png",
        description: "Like, thumbs up",
      },
    ]);
  });

  it("reactions: one per person, an empty one is a removal", async () => {
    const { seen, deliver } = await listening();
    deliver("reactionAdded", "reactionRemoved");
    expect(seen).toEqual([
      {
        name: "reaction",
        args: [{ threadId: FAMILY, messageId: "mid.$cAAAAAmine", actorId: ALICE, reaction: "😆" }],
      },
      {
        name: "reaction",
        args: [{ threadId: FAMILY, messageId: "mid.$cAAAAAmine", actorId: ALICE, reaction: null }],
      },
    ]);
  });

  it("unsend, and typing (the user's own typing is not shown to them)", async () => {
    const { seen, deliver } = await listening();
    deliver("unsend", "typing", "ownTyping");
    expect(seen).toEqual([
      { name: "messageUnsend", args: [{ threadId: ALICE, messageId: "mid.$cAAAAAtext", senderId: ALICE }] },
      { name: "typing", args: [{ threadId: ALICE, senderId: ALICE, isTyping: true }] },
    ]);
  });

  it("read receipts name the last message sent by their time; the user's own reading is theirs", async () => {
    const { seen, deliver, client } = await listening();
    deliver("readReceiptTooEarly"); // before any message of the thread is known: nothing to mark
    deliver("text");
    const sent = await client.sendMessage(ALICE, { text: "later" });
    deliver("readReceipt", "ownRead");
    expect(seen.filter((e) => e.name === "readReceipt").map((e) => e.args[0])).toEqual([
      { threadId: ALICE, readerId: ALICE, lastReadMessageId: "mid.$cAAAAAtext", timestampMs: 1764750000500 },
      { threadId: ALICE, readerId: SELF, lastReadMessageId: sent, timestampMs: 1764750200000 },
    ]);
  });

  it("presence: status 2 is active; anything else is inactive since the time reported", async () => {
    const { seen, deliver, client } = await listening();
    deliver("presenceActive", "presenceIdle");
    expect(seen).toEqual([
      { name: "presence", args: [{ userId: ALICE, active: true }] },
      { name: "presence", args: [{ userId: BOB, active: false, lastActiveMs: 1764740000000 }] },
    ]);
    // Friends listed later carry what presence said.
    const friends = await client.getFriends();
    expect(friends.map((f) => [f.id, f.active, f.lastActiveMs])).toEqual([
      [ALICE, true, undefined],
      [BOB, false, 1764740000000],
    ]);
  });

  it("thread events: name, picture, members in and out; other log events are ignored", async () => {
    const { seen, deliver } = await listening();
    deliver("threadName", "threadImage", "subscribe", "unsubscribe", "threadColor");
    expect(seen.map((e) => [e.name, e.args[0]])).toEqual([
      ["threadUpdate", { threadId: FAMILY, actorId: ALICE, name: "Family 2026" }],
      [
        "threadUpdate",
        { threadId: FAMILY, actorId: ALICE, imageUrl: "https://scontent.xx.fbcdn.net/group.jpg" },
      ],
      ["threadUpdate", { threadId: FAMILY, actorId: ALICE, added: ["100004444444444"] }],
      ["threadUpdate", { threadId: FAMILY, actorId: BOB, removed: [BOB] }],
    ]);
  });

  it("admin changes become the whole admin list, from the listed thread's admins", async () => {
    const { seen, deliver, client, fake } = await listening();
    await client.getThreads(); // Family's admin: alice
    deliver("adminAdded", "adminRemoved");
    expect(seen.map((e) => e.args[0])).toEqual([
      { threadId: FAMILY, actorId: ALICE, adminIds: [ALICE, BOB] },
      { threadId: FAMILY, actorId: ALICE, adminIds: [BOB] },
    ]);
    expect(fake.argsOf("getThreadInfo")).toEqual([]);
  });

  it("an admin change in a thread not listed yet asks the library for the thread's admins first", async () => {
    const { seen, deliver, fake } = await listening();
    deliver("adminRemoved");
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.argsOf("getThreadInfo")).toEqual([[FAMILY]]);
    expect(seen.map((e) => e.args[0])).toEqual([{ threadId: FAMILY, actorId: ALICE, adminIds: [BOB] }]);
  });

  it("connection reports: ready is connected, 'Not logged in' and a stopped listener are logged out", async () => {
    const { seen, fake } = await listening();
    fake.deliverError({ type: "ready", error: null });
    fake.deliverError({ type: "parse_error", error: "Problem parsing message object.", detail: {} });
    fake.deliverError({ error: "Not logged in", res: {} });
    fake.deliverError({ type: "stop_listen", error: "Connection refused: Server unavailable" });
    expect(seen).toEqual([
      { name: "connection", args: [{ state: "connected" }] },
      { name: "connection", args: [{ state: "logged-out", reason: "Facebook ended the session" }] },
      { name: "connection", args: [{ state: "logged-out", reason: "the connection to Messenger was lost" }] },
    ]);
  });

  it("after logout nothing more is emitted, and the library stops listening", async () => {
    const { seen, fake, client } = await listening();
    await client.logout();
    fake.deliver(events.text);
    expect(fake.stopped).toBe(true);
    expect(seen).toEqual([]);
  });
});

describe("mapping helpers", () => {
  it("mentions are found in text order, repeated names included", () => {
    expect(mentionsOf("@Al and @Al again", { "1": "@Al", "2": "@Al" })).toEqual([
      { id: "1", offset: 0, length: 3 },
      { id: "2", offset: 8, length: 3 },
    ]);
    expect(mentionsOf("no mention here", { "1": "@Zed" })).toEqual([]);
  });

  it("Facebook's link redirects are unwrapped; other links are kept as they are", () => {
    expect(unwrapFacebookRedirect("https://l.facebook.com/l.php?u=https%3A%2F%2Fexample.org%2F&h=x")).toBe(
      "https://example.org/",
    );
    expect(unwrapFacebookRedirect("https://example.org/l.php?u=https%3A%2F%2Fevil.example")).toBe(
      "https://example.org/l.php?u=https%3A%2F%2Fevil.example",
    );
    expect(unwrapFacebookRedirect("not a url")).toBe("not a url");
  });
});
