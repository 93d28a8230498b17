import { once } from "node:events";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempDir } from "@gangway/core/testing";
import { describe, expect, it } from "vitest";
import { FakeMessengerClient } from "./fake-client.js";
import { ALICE, BOB, FAKE_CLOUD_FILE, FAMILY, FakeCloud, FakeCloudStateError } from "./fake-cloud.js";
import { type MessengerCredentials, type MessengerEvents, MessengerLoginError } from "./port.js";

const ME = { email: "romeo@example.org", password: "pw" };

async function loggedIn(cloud = new FakeCloud(), credentials: MessengerCredentials = ME) {
  const client = new FakeMessengerClient(cloud);
  await client.login(credentials);
  return client;
}

/** Collects every event `client` emits, in order, as `[name, payload]`. */
function recorder(client: FakeMessengerClient) {
  const seen: [keyof MessengerEvents, unknown][] = [];
  for (const name of [
    "message",
    "messageEdit",
    "messageUnsend",
    "reaction",
    "typing",
    "readReceipt",
    "presence",
  ] as const)
    client.on(name, (payload: unknown) => seen.push([name, payload]));
  return seen;
}

/** Lets the fake's setImmediate events arrive. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

async function loginError(cloud: FakeCloud, credentials: MessengerCredentials) {
  const err = await new FakeMessengerClient(cloud).login(credentials).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(MessengerLoginError);
  return (err as MessengerLoginError).reason;
}

describe("the fake Messenger cloud's login", () => {
  it("lets any email in, except with the password `wrong`", async () => {
    const cloud = new FakeCloud();
    expect(await new FakeMessengerClient(cloud).login(ME)).toBe("romeo@example.org");
    expect(await loginError(cloud, { ...ME, password: "wrong" })).toBe("bad-credentials");
    expect(await loginError(cloud, { email: " ", password: "pw" })).toBe("bad-credentials");
  });

  it("asks an email starting with `checkpoint` for the code 123456, once", async () => {
    const cloud = new FakeCloud();
    const juliet = { email: "checkpoint.juliet@example.org", password: "pw" };
    expect(await loginError(cloud, juliet)).toBe("checkpoint-required");
    expect(await loginError(cloud, { ...juliet, checkpointCode: "000000" })).toBe("wrong-checkpoint-code");
    expect(await loginError(cloud, { ...juliet, password: "wrong", checkpointCode: "123456" })).toBe(
      "bad-credentials",
    );
    await new FakeMessengerClient(cloud).login({ ...juliet, checkpointCode: "123456" });
    // This "device" is trusted now: no code the next time.
    await new FakeMessengerClient(cloud).login(juliet);
  });
});

describe("the fake Messenger cloud's world", () => {
  it("has alice.fb (active), bob.fb (inactive) and the group Family with both", async () => {
    const client = await loggedIn();
    expect(await client.getFriends()).toEqual([
      { id: ALICE, name: "Alice Facebook", active: true, avatarUrl: "fake://pictures/alice.fb/1.png" },
      { id: BOB, name: "Bob Facebook", active: false, avatarUrl: "fake://pictures/bob.fb/1.png" },
    ]);
    expect((await client.getThreads()).find((t) => t.id === FAMILY)).toEqual({
      id: FAMILY,
      name: "Family",
      isGroup: true,
      participantIds: [ALICE, BOB],
      adminIds: [ALICE],
      imageUrl: "fake://pictures/family/1.png",
    });
    expect((await client.searchFriends("ALICE")).map((f) => f.id)).toEqual([ALICE]);
    expect((await client.searchFriends("facebook")).map((f) => f.id)).toEqual([ALICE, BOB]);
    expect(await client.searchFriends("carol")).toEqual([]);
  });

  it("alice.fb reads every message X and answers 'seen: X' as a reply to it, a turn later", async () => {
    const client = await loggedIn();
    const seen = recorder(client);
    const id = await client.sendMessage(ALICE, { text: "hi" });
    expect(seen).toEqual([]);
    const [answer] = (await once(client, "message")) as MessengerEvents["message"];
    expect(seen.map(([name]) => name)).toEqual(["readReceipt", "message"]);
    expect(seen[0]![1]).toMatchObject({ threadId: ALICE, readerId: ALICE, lastReadMessageId: id });
    expect(answer).toMatchObject({
      threadId: ALICE,
      senderId: ALICE,
      text: "seen: hi",
      replyTo: id,
      mentions: [],
      fromMe: false,
    });
    expect(answer.messageId).not.toBe(id);
  });

  it("alice.fb answers in Family too; bob.fb never answers", async () => {
    const client = await loggedIn();
    const seen = recorder(client);
    await client.sendMessage(BOB, { text: "hi bob" });
    await nextTurn();
    expect(seen).toEqual([]);
    const id = await client.sendMessage(FAMILY, { text: "hi all" });
    await nextTurn();
    expect(seen[1]![1]).toMatchObject({
      threadId: FAMILY,
      senderId: ALICE,
      text: "seen: hi all",
      replyTo: id,
    });
    await expect(client.sendMessage("nobody", { text: "x" })).rejects.toThrow("no such Messenger thread");
  });

  it("alice.fb mirrors edits, unsends, reactions to her answer and typing", async () => {
    const client = await loggedIn();
    const id = await client.sendMessage(ALICE, { text: "hi" });
    const [answer] = (await once(client, "message")) as MessengerEvents["message"];
    const seen = recorder(client);
    await client.editMessage(id, "hello");
    await client.sendReaction(ALICE, answer.messageId, "👍");
    await client.sendReaction(ALICE, id, "😮"); // on the user's own message: nothing to mirror
    await client.sendTypingIndicator(ALICE, true);
    await client.unsendMessage(id);
    await nextTurn();
    expect(seen).toEqual([
      [
        "messageEdit",
        { threadId: ALICE, messageId: answer.messageId, senderId: ALICE, newText: "seen: hello" },
      ],
      ["reaction", { threadId: ALICE, messageId: id, actorId: ALICE, reaction: "👍" }],
      ["typing", { threadId: ALICE, senderId: ALICE, isTyping: true }],
      ["messageUnsend", { threadId: ALICE, messageId: answer.messageId, senderId: ALICE }],
    ]);
  });

  it("sends nothing after a logout, and refuses actions", async () => {
    const client = await loggedIn();
    const seen = recorder(client);
    await client.sendMessage(ALICE, { text: "hi" });
    await client.logout();
    await nextTurn();
    expect(seen).toEqual([]);
    await expect(client.sendMessage(ALICE, { text: "x" })).rejects.toThrow("not logged in");
  });
});

describe("the fake Messenger cloud on disk", () => {
  it("survives a reopen: alice.fb still follows an edit, the checkpoint stays passed", async () => {
    const file = join(tempDir(), FAKE_CLOUD_FILE);
    const cloud = new FakeCloud({ stateFile: file });
    const client = await loggedIn(cloud);
    const id = await client.sendMessage(ALICE, { text: "hi" });
    const [answer] = (await once(client, "message")) as MessengerEvents["message"];
    await loggedIn(cloud, { email: "checkpoint.x@example.org", password: "pw", checkpointCode: "123456" });
    cloud.close();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8")).not.toContain("hi"); // ids, never text

    const reopened = new FakeCloud({ stateFile: file });
    const again = await loggedIn(reopened);
    await again.editMessage(id, "hello");
    const [edit] = (await once(again, "messageEdit")) as MessengerEvents["messageEdit"];
    expect(edit).toEqual({
      threadId: ALICE,
      messageId: answer.messageId,
      senderId: ALICE,
      newText: "seen: hello",
    });
    // A new id never repeats an old one.
    expect(await again.sendMessage(BOB, { text: "x" })).not.toBe(id);
    await loggedIn(reopened, { email: "checkpoint.x@example.org", password: "pw" });
    reopened.close();
  });

  it("names the file when it cannot read it back", () => {
    const file = join(tempDir(), FAKE_CLOUD_FILE);
    writeFileSync(file, "{not json");
    expect(() => new FakeCloud({ stateFile: file })).toThrow(FakeCloudStateError);
    writeFileSync(file, JSON.stringify({ version: 9, accounts: {} }));
    expect(() => new FakeCloud({ stateFile: file })).toThrow(`${file}: has format version 9`);
  });
});
