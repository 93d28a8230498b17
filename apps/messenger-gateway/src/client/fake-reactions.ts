import type { FakeCloud, FakeLogin } from "./fake-cloud.js";
import {
  ALICE,
  BOB,
  FAMILY,
  type FamilyCommand,
  FILE_COMMANDS,
  familyThread,
  friendOf,
  parseFamilyCommand,
  parseProfileCommand,
  pictureUrl,
} from "./fake-world.js";
import type { MessengerAttachment, MessengerEvents, MessengerThread } from "./port.js";

/** Emits an event to the account's client, on a later turn. */
type Emit = <K extends keyof MessengerEvents>(event: K, ...args: MessengerEvents[K]) => void;

/**
 * How the fake world answers what the user does. alice.fb reads every message in her threads
 * (her 1:1 chat and Family) and answers X with "seen: X" as a reply to it (a file with
 * "seen: <name>" and the same file back); she follows the user's edits and unsends of that
 * message and reacts as the user reacted to her answer. Commands instead of an answer: to alice,
 * `/photo`, `/album`, `/sticker` and `/voice` (she sends them), `/rename <name>` and `/picture`
 * (her profile); in Family, the commands of `parseFamilyCommand`.
 */
export class FakeWorld {
  constructor(
    private readonly cloud: FakeCloud,
    private readonly login: FakeLogin,
    private readonly emit: Emit,
  ) {}

  private get account() {
    return this.login.account;
  }

  thread(threadId: string): MessengerThread {
    if (threadId === FAMILY) return familyThread(this.account.family);
    if (threadId === ALICE || threadId === BOB)
      return {
        id: threadId,
        name: this.account.profiles.get(threadId)!.name,
        isGroup: false,
        participantIds: [threadId],
      };
    throw new Error("no such Messenger thread");
  }

  /** The user sent `text` to `threadId`: alice.fb reads it, then answers or does what it asks. */
  userSent(threadId: string, text: string): string {
    const thread = this.thread(threadId);
    const messageId = this.cloud.newId(this.account);
    if (!thread.participantIds.includes(ALICE)) {
      this.cloud.remember(this.account, messageId, { threadId });
      return messageId;
    }
    this.read(threadId, messageId);
    if (this.command(threadId, text)) {
      this.cloud.remember(this.account, messageId, { threadId });
      return messageId;
    }
    return this.answer(threadId, messageId, `seen: ${text}`, []);
  }

  /** The user sent files: alice.fb answers "seen: <names>" with the same files. */
  userSentFiles(threadId: string, files: Omit<MessengerAttachment, "id">[], _caption: string): string {
    const thread = this.thread(threadId);
    const messageId = this.cloud.newId(this.account);
    if (!thread.participantIds.includes(ALICE)) {
      this.cloud.remember(this.account, messageId, { threadId });
      return messageId;
    }
    this.read(threadId, messageId);
    const names = files.map((f) => f.fileName ?? "a file").join(", ");
    return this.answer(threadId, messageId, `seen: ${names}`, files);
  }

  private read(threadId: string, messageId: string): void {
    this.emit("readReceipt", {
      threadId,
      readerId: ALICE,
      lastReadMessageId: messageId,
      timestampMs: Date.now(),
    });
  }

  /** alice.fb's answer to `messageId`, remembered with it so edits, unsends and reactions follow. */
  private answer(
    threadId: string,
    messageId: string,
    text: string,
    files: readonly Omit<MessengerAttachment, "id">[],
  ): string {
    const answerId = this.cloud.newId(this.account);
    this.cloud.remember(this.account, messageId, { threadId, answerId });
    this.emit("message", {
      threadId,
      messageId: answerId,
      senderId: ALICE,
      text,
      timestampMs: Date.now(),
      replyTo: messageId,
      mentions: [],
      fromMe: false,
      attachments: files.map((file, index) => ({ ...file, id: `${answerId}.${index}` })),
    });
    return messageId;
  }

  userEdited(messageId: string, newText: string): void {
    const record = this.account.sent.get(messageId);
    if (record?.answerId === undefined) return;
    this.emit("messageEdit", {
      threadId: record.threadId,
      messageId: record.answerId,
      senderId: ALICE,
      newText: `seen: ${newText}`,
    });
  }

  userUnsent(messageId: string): void {
    const record = this.account.sent.get(messageId);
    if (!record) return;
    this.cloud.forget(this.account, messageId);
    if (record.answerId !== undefined)
      this.emit("messageUnsend", { threadId: record.threadId, messageId: record.answerId, senderId: ALICE });
  }

  /** A reaction to one of alice.fb's answers: she reacts the same on the message it answered. */
  userReacted(threadId: string, messageId: string, reaction: string | null): void {
    const answered = this.account.answered.get(messageId);
    if (answered === undefined) return;
    this.emit("reaction", { threadId, messageId: answered, actorId: ALICE, reaction });
  }

  /** The user renamed a group (from XMPP): the network tells every member, the user too. */
  userRenamed(threadId: string, name: string): void {
    if (!this.thread(threadId).isGroup) throw new Error("only group threads have a name to change");
    this.account.family.name = name;
    this.cloud.changed();
    this.emit("threadUpdate", { threadId, actorId: this.login.userId, name });
  }

  /** Does what `text` asks, if it is a command here; true when it was one. */
  private command(threadId: string, text: string): boolean {
    if (threadId === FAMILY) {
      const command = parseFamilyCommand(text);
      if (command) this.familyCommand(command);
      return command !== undefined;
    }
    const files = FILE_COMMANDS[text.trim()];
    if (files) {
      const messageId = this.cloud.newId(this.account);
      this.emit("message", {
        threadId,
        messageId,
        senderId: ALICE,
        text: files.text,
        timestampMs: Date.now(),
        mentions: [],
        fromMe: false,
        attachments: files.files.map((file, index) => ({ ...file, id: `${messageId}.${index}` })),
      });
      return true;
    }
    const profile = parseProfileCommand(text);
    if (!profile) return false;
    const alice = this.account.profiles.get(ALICE)!;
    if (profile.kind === "name") alice.name = profile.name;
    else alice.picture++;
    this.cloud.changed();
    this.emit("friendUpdate", friendOf(ALICE, alice));
    return true;
  }

  private familyCommand(command: FamilyCommand): void {
    const family = this.account.family;
    const update = (
      actorId: string,
      change: Omit<MessengerEvents["threadUpdate"][0], "threadId" | "actorId">,
    ) => {
      this.cloud.changed();
      this.emit("threadUpdate", { threadId: FAMILY, actorId, ...change });
    };
    switch (command.kind) {
      case "rename":
        family.name = command.name;
        update(BOB, { name: command.name });
        return;
      case "picture":
        family.picture++;
        update(BOB, { imageUrl: pictureUrl(FAMILY, family.picture) });
        return;
      case "kick-bob":
        if (!family.participantIds.includes(BOB)) return;
        family.participantIds = family.participantIds.filter((id) => id !== BOB);
        family.adminIds = family.adminIds.filter((id) => id !== BOB);
        update(ALICE, { removed: [BOB] });
        return;
      case "add-bob":
        if (family.participantIds.includes(BOB)) return;
        family.participantIds = [...family.participantIds, BOB];
        update(ALICE, { added: [BOB] });
        return;
      case "admin-bob":
        if (!family.participantIds.includes(BOB) || family.adminIds.includes(BOB)) return;
        family.adminIds = [...family.adminIds, BOB];
        update(ALICE, { adminIds: [...family.adminIds] });
        return;
    }
  }
}
