import { describe, expect, it } from "vitest";
import type { MessengerEvents } from "../port.js";
import { FcaMessengerClient } from "./fca-client.js";
import { FcaCheckpoints } from "./fca-login.js";
import type { FcaCallback, FcaSendResult } from "./fca-types.js";
import { ALICE, FAMILY, fakeApi, fixture, SELF } from "./fixtures/fake-api.js";

const events = fixture<Record<string, Record<string, unknown>>>("events.json");

/** The library's report of a message the account sent (selfListen): id and text as given. */
function ownMessage(messageID: string, body: string, threadID = ALICE) {
  return { ...events.text, threadID, messageID, senderID: SELF, body, mentions: {} };
}

async function listening() {
  const fake = fakeApi();
  const client = new FcaMessengerClient({ login: async () => fake.api, checkpoints: new FcaCheckpoints() });
  await client.login({ email: "me@example.org", password: "secret" });
  const messages: MessengerEvents["message"][0][] = [];
  const others: string[] = [];
  client.on("message", (m) => messages.push(m));
  client.on("reaction", (r) => others.push(`reaction ${r.messageId} ${r.reaction}`));
  client.on("messageUnsend", (u) => others.push(`unsend ${u.messageId}`));
  client.on("threadUpdate", (u) => others.push(`rename ${u.name}`));
  return { fake, client, messages, others };
}

describe("the adapter's own actions, echoed by the library, are not reported back", () => {
  it("a message the gateway sent is dropped; one the user sent from the official app is theirs", async () => {
    const { fake, client, messages } = await listening();
    const sent = await client.sendMessage(ALICE, { text: "from XMPP" });
    fake.deliver(ownMessage(sent, "from XMPP"));
    fake.deliver(ownMessage("mid.$fromPhone", "from the phone"));
    expect(messages.map((m) => [m.messageId, m.fromMe])).toEqual([["mid.$fromPhone", true]]);
  });

  it("an echo that arrives before the send's answer is held, then dropped; the user's other message waits for it", async () => {
    const { fake, client, messages } = await listening();
    let answer: FcaCallback<FcaSendResult> | undefined;
    fake.api.sendMessage = (_message, threadID, callback) => {
      answer = callback;
      return threadID;
    };
    const sending = client.sendMessage(ALICE, { text: "from XMPP" });
    fake.deliver(ownMessage("mid.$early", "from XMPP"));
    fake.deliver(ownMessage("mid.$fromPhone", "from the phone"));
    fake.deliver(ownMessage("mid.$inFamily", "elsewhere", FAMILY)); // no send under way there
    expect(messages.map((m) => m.messageId)).toEqual(["mid.$inFamily"]);
    answer?.(undefined, { threadID: ALICE, messageID: "mid.$early", timestamp: 1764750300000 });
    expect(await sending).toBe("mid.$early");
    expect(messages.map((m) => m.messageId)).toEqual(["mid.$inFamily", "mid.$fromPhone"]);
  });

  it("reactions, unsends and renames the gateway made are dropped once; the user's later ones pass", async () => {
    const { fake, client, others } = await listening();
    await client.sendReaction(FAMILY, "mid.$cAAAAAmine", "😆");
    await client.unsendMessage("mid.$sent9");
    await client.renameThread(FAMILY, "Family 2026");
    const ownReaction = { ...events.reactionAdded, userID: SELF };
    fake.deliver(ownReaction); // echo
    fake.deliver(ownReaction); // the user again, from the phone
    fake.deliver({ ...events.unsend, messageID: "mid.$sent9", senderID: SELF });
    fake.deliver({ ...events.threadName, author: SELF }); // echo of "Family 2026"
    fake.deliver({ ...events.threadName, author: SELF, logMessageData: { name: "Renamed on the phone" } });
    fake.deliver(events.reactionAdded); // alice's own reaction
    expect(others).toEqual([
      "reaction mid.$cAAAAAmine 😆",
      "rename Renamed on the phone",
      "reaction mid.$cAAAAAmine 😆",
    ]);
  });
});
