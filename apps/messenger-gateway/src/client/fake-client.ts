import { EventEmitter } from "node:events";
import { Readable } from "node:stream";
import { FakeCloud, type FakeLink, type FakeLogin, MAX_UPLOAD_BYTES } from "./fake-cloud.js";
import { AVATAR_SIZE, fakePng, fakeVoiceOgg, PICTURE_SIZE } from "./fake-media.js";
import { FakeWorld } from "./fake-reactions.js";
import { ALICE, BOB, FAMILY, familyThread, friendOf, parseMediaUrl, parsePictureUrl } from "./fake-world.js";
import type {
  MessengerAttachment,
  MessengerClient,
  MessengerCredentials,
  MessengerEvents,
  MessengerOutgoingFile,
  MessengerThread,
  MessengerUser,
} from "./port.js";

/**
 * The `fake` backend's client: one account on the FakeCloud. What the world does in answer to the
 * user (alice.fb's answers, the commands) is in fake-reactions.ts; this is the port's side: login
 * and sessions, actions, queries and downloads. Every event comes on a later turn of the event
 * loop, as from a server, and only while the client is still logged in.
 */
export class FakeMessengerClient extends EventEmitter<MessengerEvents> implements MessengerClient, FakeLink {
  private current: FakeLogin | undefined;
  private world: FakeWorld | undefined;

  constructor(private readonly cloud: FakeCloud) {
    super();
  }

  async login(credentials: MessengerCredentials): Promise<string> {
    return this.connect(this.cloud.login(credentials));
  }

  async resume(session: string): Promise<string> {
    return this.connect(this.cloud.resume(session));
  }

  private connect(login: FakeLogin): string {
    if (this.current) this.cloud.detach(this.current.userId, this);
    this.current = login;
    this.world = new FakeWorld(this.cloud, login, (event, ...args) => this.later(event, ...args));
    this.cloud.attach(login.userId, this);
    return login.userId;
  }

  async exportSession(): Promise<string> {
    return FakeCloud.exportSession(this.requireLogin());
  }

  async logout(): Promise<void> {
    if (this.current) this.cloud.detach(this.current.userId, this);
    this.current = undefined;
    this.world = undefined;
    this.removeAllListeners();
  }

  // ---- what the cloud's test hooks make happen (FakeLink) ----

  sessionRefreshed(token: string): void {
    if (!this.current) return;
    this.current.token = token;
    this.later("sessionChanged");
  }

  /** The connection drops, and comes back two turns later: the client reconnects by itself. */
  connectionDropped(): void {
    this.later("connection", { state: "reconnecting", reason: "Lost the connection to Messenger" });
    setImmediate(() => this.later("connection", { state: "connected" }));
  }

  loggedOut(reason: string): void {
    this.later("connection", { state: "logged-out", reason });
  }

  // ---- helpers ----

  private requireLogin(): FakeLogin {
    if (!this.current) throw new Error("not logged in to the fake Messenger cloud");
    return this.current;
  }

  private requireWorld(): FakeWorld {
    this.requireLogin();
    return this.world!;
  }

  /** Emits on a later turn, and only while still logged in (a logout drops what was on its way). */
  private later<K extends keyof MessengerEvents>(event: K, ...args: MessengerEvents[K]): void {
    setImmediate(() => {
      if (this.current) (this.emit as (e: K, ...a: MessengerEvents[K]) => boolean)(event, ...args);
    });
  }

  // ---- actions ----

  async sendMessage(threadId: string, message: { text: string; replyToId?: string }): Promise<string> {
    return this.requireWorld().userSent(threadId, message.text);
  }

  async editMessage(messageId: string, newText: string): Promise<void> {
    this.requireWorld().userEdited(messageId, newText);
  }

  async unsendMessage(messageId: string): Promise<void> {
    this.requireWorld().userUnsent(messageId);
  }

  async sendReaction(threadId: string, messageId: string, reaction: string | null): Promise<void> {
    this.requireWorld().userReacted(threadId, messageId, reaction);
  }

  async sendTypingIndicator(threadId: string, isTyping: boolean): Promise<void> {
    const world = this.requireWorld();
    if (world.thread(threadId).participantIds.includes(ALICE))
      this.later("typing", { threadId, senderId: ALICE, isTyping });
  }

  /** The fake cloud keeps no read state: accepting it is all there is to do. */
  async markAsRead(threadId: string, _upToMessageId: string): Promise<void> {
    this.requireWorld().thread(threadId);
  }

  /**
   * Uploads the files (each read whole: the cloud keeps them, in memory, up to Messenger's 25 MB
   * per file) and sends them as one message; alice.fb answers with the same files.
   */
  async sendAttachments(
    threadId: string,
    files: MessengerOutgoingFile[],
    options: { text?: string; replyToId?: string },
  ): Promise<string> {
    const world = this.requireWorld();
    world.thread(threadId);
    const uploaded: Omit<MessengerAttachment, "id">[] = [];
    for (const file of files) {
      const bytes = await readBounded(file.stream, MAX_UPLOAD_BYTES);
      const url = this.cloud.storeUpload(file.fileName, file.mimeType, bytes);
      uploaded.push({
        kind: file.kind,
        url,
        fileName: file.fileName,
        mimeType: file.mimeType,
        size: bytes.length,
      });
    }
    return world.userSentFiles(threadId, uploaded, options.text ?? "");
  }

  async renameThread(threadId: string, name: string): Promise<void> {
    this.requireWorld().userRenamed(threadId, name);
  }

  // ---- queries ----

  async getFriends(): Promise<MessengerUser[]> {
    const { account } = this.requireLogin();
    return [ALICE, BOB].map((id) => friendOf(id, account.profiles.get(id)!));
  }

  async searchFriends(query: string): Promise<MessengerUser[]> {
    const needle = query.trim().toLowerCase();
    const friends = await this.getFriends();
    if (!needle) return [];
    return friends.filter((f) => f.name.toLowerCase().includes(needle) || f.id.includes(needle));
  }

  async getThreads(): Promise<MessengerThread[]> {
    const { account } = this.requireLogin();
    const oneToOne = (id: string): MessengerThread => ({
      id,
      name: account.profiles.get(id)!.name,
      isGroup: false,
      participantIds: [id],
    });
    return [oneToOne(ALICE), oneToOne(BOB), familyThread(account.family)];
  }

  async downloadAttachment(attachment: MessengerAttachment): Promise<Readable> {
    this.requireLogin();
    const media = parseMediaUrl(attachment.url);
    if (media === "voice.ogg") return Readable.from([fakeVoiceOgg()]);
    if (media) return Readable.from([fakePng(media, PICTURE_SIZE)]);
    const upload = this.cloud.upload(attachment.url);
    if (!upload) throw new Error("This attachment is no longer on the fake Messenger cloud.");
    return Readable.from([upload.bytes]);
  }

  /** The cloud's pictures: deterministic PNGs per id and version (Family's larger than a face). */
  async downloadImage(url: string): Promise<Uint8Array | null> {
    this.requireLogin();
    const picture = parsePictureUrl(url);
    if (!picture) return null;
    return fakePng(`${picture.id}/${picture.version}`, picture.id === FAMILY ? PICTURE_SIZE : AVATAR_SIZE);
  }
}

/** A stream's bytes, refused past `max` (as Messenger refuses a larger attachment). */
async function readBounded(stream: Readable, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
    size += buffer.length;
    if (size > max) {
      stream.destroy();
      throw new Error(`Messenger takes attachments up to ${max / (1024 * 1024)} MB.`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
