import { existsSync, type ReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { FCA_REACTIONS, FcaMessengerClient } from "./fca-client.js";
import { FcaCheckpoints } from "./fca-login.js";
import type { FcaMessageObject } from "./fca-types.js";
import { ALICE, BOB, FAMILY, fakeApi, fixture } from "./fixtures/fake-api.js";

const callback = expect.any(Function);

async function loggedIn() {
  const fake = fakeApi();
  const client = new FcaMessengerClient({ login: async () => fake.api, checkpoints: new FcaCheckpoints() });
  await client.login({ email: "me@example.org", password: "secret" });
  return {
    fake,
    client,
    callsOf: (method: string) => fake.calls.filter((c) => c.method === method).map((c) => c.args),
  };
}

describe("port actions → library calls", () => {
  it("sendMessage: the library's sendMessage({ body }, threadID, callback, replyTo, isGroup), resolving to its message id", async () => {
    const { client, callsOf } = await loggedIn();
    expect(await client.sendMessage(ALICE, { text: "hello" })).toBe("mid.$sent1");
    await client.getThreads(); // now the adapter knows which threads are groups
    expect(await client.sendMessage(FAMILY, { text: "yes", replyToId: "mid.$cAAAAAreply" })).toBe(
      "mid.$sent2",
    );
    await client.sendMessage(ALICE, { text: "again" });
    expect(callsOf("sendMessage")).toEqual([
      [{ body: "hello" }, ALICE, callback, undefined, undefined],
      [{ body: "yes" }, FAMILY, callback, "mid.$cAAAAAreply", true],
      [{ body: "again" }, ALICE, callback, undefined, false],
    ]);
  });

  it("a thread's messages tell whether it is a group, for threads not listed", async () => {
    const { client, callsOf, fake } = await loggedIn();
    fake.deliver(fixture<Record<string, unknown>>("events.json").reply); // in Family, a group
    await client.sendMessage(FAMILY, { text: "ok" });
    expect(callsOf("sendMessage")).toEqual([[{ body: "ok" }, FAMILY, callback, undefined, true]]);
  });

  it("a refusal of the library rejects with what failed, the library's error as the cause", async () => {
    const { client, fake } = await loggedIn();
    const refusal = { error: "Send message failed.", res: {} };
    fake.failNext("sendMessage", refusal);
    const err = (await client
      .sendMessage(ALICE, { text: "private words" })
      .catch((e: unknown) => e)) as Error;
    expect(err.message).toBe("Messenger could not send the message");
    expect(err.message).not.toContain("private words");
    expect(err.cause).toBe(refusal);
  });

  it("sendAttachments: files as named streams in one sendMessage, with caption and reply; the spool is removed", async () => {
    const { client, callsOf, fake } = await loggedIn();
    let spooled: { name: string; bytes: string; dir: string }[] = [];
    fake.api.sendMessage = (message, threadID, cb, replyTo, isGroup) => {
      fake.calls.push({ method: "sendMessage", args: [message, threadID, cb, replyTo, isGroup] });
      const streams = (message as FcaMessageObject).attachment as ReadStream[];
      void Promise.all(
        streams.map(async (s) => ({
          name: basename(String(s.path)),
          bytes: await readFile(String(s.path), "utf8"),
          dir: dirname(dirname(String(s.path))),
        })),
      ).then((found) => {
        spooled = found;
        cb?.(undefined, { threadID, messageID: "mid.$album", timestamp: 1 });
      });
    };
    const file = (fileName: string, content: string) => ({
      stream: Readable.from([Buffer.from(content)]),
      fileName,
      mimeType: "image/jpeg",
      kind: "image" as const,
    });
    const id = await client.sendAttachments(
      ALICE,
      [file("cat.jpg", "meow"), file("../../etc/cat.jpg", "purr")],
      {
        text: "two cats",
        replyToId: "mid.$cAAAAAtext",
      },
    );
    expect(id).toBe("mid.$album");
    const [call = []] = callsOf("sendMessage");
    expect(call.slice(1)).toEqual([ALICE, callback, "mid.$cAAAAAtext", undefined]);
    expect((call[0] as FcaMessageObject).body).toBe("two cats");
    expect(spooled.map(({ name, bytes }) => [name, bytes])).toEqual([
      ["cat.jpg", "meow"],
      ["cat.jpg", "purr"],
    ]);
    expect(existsSync(spooled[0]?.dir ?? "/nonexistent")).toBe(false);
  });

  it("editMessage: the library's editMessage(text, messageID); not connected is an error", async () => {
    const { client, fake, callsOf } = await loggedIn();
    await client.editMessage("mid.$sent1", "fixed");
    expect(callsOf("editMessage")).toEqual([["fixed", "mid.$sent1", undefined]]);
    fake.failNext("editMessage", new Error("Not connected to MQTT"));
    await expect(client.editMessage("mid.$sent1", "again")).rejects.toThrow(/not connected/);
  });

  it("unsendMessage and renameThread: unsendMessage(messageID) and setTitle(name, threadID)", async () => {
    const { client, callsOf } = await loggedIn();
    await client.unsendMessage("mid.$sent1");
    await client.renameThread(FAMILY, "Family 2026");
    expect(callsOf("unsendMessage")).toEqual([["mid.$sent1", callback]]);
    expect(callsOf("setTitle")).toEqual([["Family 2026", FAMILY, callback]]);
  });

  it("sendReaction: setMessageReaction(emoji, messageID), empty to remove; emojis the library refuses are refused first", async () => {
    const { client, callsOf } = await loggedIn();
    await client.sendReaction(ALICE, "mid.1", "❤️");
    await client.sendReaction(ALICE, "mid.1", "👍");
    await client.sendReaction(ALICE, "mid.1", null);
    await expect(client.sendReaction(ALICE, "mid.1", "🦄")).rejects.toThrow(FCA_REACTIONS.join(" "));
    expect(callsOf("setMessageReaction")).toEqual([
      ["❤", "mid.1", callback],
      ["👍", "mid.1", callback],
      ["", "mid.1", callback],
    ]);
  });

  it("typing: sendTypingIndicator(threadID, callback, isGroup) starts it, its end() stops it", async () => {
    const { client, callsOf, fake } = await loggedIn();
    await client.getThreads();
    await client.sendTypingIndicator(FAMILY, true);
    await client.sendTypingIndicator(FAMILY, false);
    await client.sendTypingIndicator(FAMILY, false); // nothing running: nothing to send
    expect(fake.calls.map((c) => c.method).filter((m) => m.startsWith("sendTyping"))).toEqual([
      "sendTypingIndicator",
      "sendTypingIndicator:end",
    ]);
    expect(callsOf("sendTypingIndicator")).toEqual([[FAMILY, callback, true]]);
  });

  it("markAsRead: markAsRead(threadID, true); the error it resolves to is a rejection", async () => {
    const { client, callsOf, fake } = await loggedIn();
    await client.markAsRead(ALICE, "mid.$cAAAAAtext");
    expect(callsOf("markAsRead")).toEqual([[ALICE, true, undefined]]);
    fake.failNext("markAsRead", { error: "You can only use this function after you start listening." });
    await expect(client.markAsRead(ALICE, "mid.$cAAAAAtext")).rejects.toThrow(
      "Messenger could not mark the thread read",
    );
  });

  it("nothing is sent before login or after logout", async () => {
    const { client, fake } = await loggedIn();
    await client.logout();
    const before = fake.calls.length;
    await expect(client.sendMessage(ALICE, { text: "x" })).rejects.toThrow("Not logged in");
    await expect(client.exportSession()).rejects.toThrow("Not logged in");
    expect(fake.calls.length).toBe(before);
  });
});

describe("queries", () => {
  it("getFriends: the friends list with names and pictures, inactive until presence says otherwise", async () => {
    const { client, callsOf } = await loggedIn();
    expect(await client.getFriends()).toEqual([
      {
        id: ALICE,
        name: "Alice Facebook",
        avatarUrl: "https://scontent.xx.fbcdn.net/alice.jpg",
        active: false,
      },
      { id: BOB, name: "Bob Facebook", avatarUrl: "https://scontent.xx.fbcdn.net/bob.jpg", active: false },
    ]);
    expect(callsOf("getFriendsList")).toEqual([[callback]]);
  });

  it("searchFriends: by a fragment of the name, case-insensitive, from the recent friends list", async () => {
    const { client, callsOf } = await loggedIn();
    expect((await client.searchFriends(" ALI ")).map((f) => f.id)).toEqual([ALICE]);
    expect((await client.searchFriends("facebook")).map((f) => f.id)).toEqual([ALICE, BOB]);
    expect(await client.searchFriends("  ")).toEqual([]);
    expect(callsOf("getFriendsList")).toHaveLength(1);
  });

  it("getThreads: getThreadList(limit, null, ['INBOX']); a 1:1 thread is the friend's id and name", async () => {
    const { client, callsOf } = await loggedIn();
    expect(await client.getThreads()).toEqual([
      { id: ALICE, name: "Alice Facebook", isGroup: false, participantIds: ["100001111111111", ALICE] },
      {
        id: FAMILY,
        name: "Family",
        isGroup: true,
        participantIds: ["100001111111111", ALICE, BOB],
        adminIds: [ALICE],
        imageUrl: "https://scontent.xx.fbcdn.net/family.jpg",
      },
    ]);
    expect(callsOf("getThreadList")).toEqual([[100, null, ["INBOX"], callback]]);
  });
});
