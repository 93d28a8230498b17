import { EventEmitter } from "node:events";
import type { SendRecord } from "./network-journal.js";
import {
  type DemoAccount,
  type LoggedMessage,
  newAccount,
  type OwnAvatar,
  type OwnPresence,
  REMEMBERED_MESSAGES,
  REPLAYABLE_MESSAGES,
  readState,
  type SentMessage,
  StateFile,
  type StateFileOptions,
} from "./network-state.js";

export {
  DEMO_STATE_FILE,
  type DemoAccount,
  DemoStateError,
  REMEMBERED_MESSAGES,
  REPLAYABLE_MESSAGES,
} from "./network-state.js";

/**
 * An in-process stand-in for a legacy chat network's client library. It has the shape real
 * ones have (log in, list contacts, send, events for what the other side does), so the gateway
 * code on top of it is what a network author writes for a real network.
 */

export type DemoPresence = "online" | "away" | "offline";
export type DemoChatState = "composing" | "paused";

export interface DemoContactInfo {
  id: string;
  name: string;
  presence: DemoPresence;
  status?: string;
  /** Profile details, as a network's "about" page has them. */
  profile?: { email?: string; note?: string };
  /** A PNG, as a network serves profile pictures. */
  avatar?: Uint8Array;
}

// 32×32 single-colour PNGs: small enough to inline, real enough for every client to show.
const RED =
  "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAAKklEQVR42mN4kFNKU8QwasGoBaMWjFowasGoBaMWjFowasGoBaMWDBULAHZUBGo5aP2oAAAAAElFTkSuQmCC";
const BLUE =
  "iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAIAAAD8GO2jAAAAKklEQVR42mOwbvpGU8QwasGoBaMWjFowasGoBaMWjFowasGoBaMWDBULAEoszFtSHu65AAAAAElFTkSuQmCC";

export const DEMO_CONTACTS: readonly DemoContactInfo[] = [
  { id: "echo", name: "Echo Bot", presence: "online", status: "I repeat everything" },
  {
    id: "alice",
    name: "Alice Demo",
    presence: "away",
    profile: { email: "alice@demo.invalid", note: "Never answers, but has a nice picture." },
    avatar: Buffer.from(RED, "base64"),
  },
  {
    id: "bob",
    name: "Bob Demo",
    presence: "offline",
    profile: { email: "bob@demo.invalid", note: "Mostly offline." },
    avatar: Buffer.from(BLUE, "base64"),
  },
];

export class DemoAuthError extends Error {
  override readonly name = "DemoAuthError";
}

/**
 * A message from a contact. `seq` places it in the account's history (a gateway saves it as its
 * replay cursor); `replayed` marks one delivered again by `replay()`, with `at` its first delivery.
 */
export interface DemoMessageEvent {
  from: string;
  id: string;
  text: string;
  replyTo?: string;
  seq: number;
  at: number;
  replayed?: boolean;
}

export interface DemoEvents {
  message: [DemoMessageEvent];
  correction: [{ from: string; id: string; text: string }];
  retraction: [{ from: string; id: string }];
  reaction: [{ from: string; id: string; emojis: string[] }];
  received: [{ from: string; id: string }];
  displayed: [{ from: string; id: string }];
  chatState: [{ from: string; state: DemoChatState }];
}

/**
 * Unique per process. The saved `nextId` alone keeps ids apart across runs, but a kill can come
 * before the last save: the gateway's id map may then hold ids the state file never saw.
 */
const RUN = Date.now().toString(36);

/** `/delay <seconds> <text>` to echo: echo answers after that long (at most a minute). */
const DELAYED = /^\/delay (\d{1,2}) ([\s\S]*)$/;

/** One logged-in demo account. Echo answers asynchronously, as a remote peer would. */
export class DemoClient extends EventEmitter<DemoEvents> {
  private loggedIn = true;
  private readonly sent: Map<string, SentMessage>;
  private readonly echoReplies: Map<string, string>;

  /** `changed` is told of every change to `account`, which the network saves. */
  constructor(
    readonly username: string,
    private readonly account: DemoAccount = newAccount(),
    private readonly changed: () => void = () => {},
    /** Puts a send on disk before `sendMessage` returns (see network-journal.ts). */
    private readonly stored: (record: SendRecord) => void = () => {},
  ) {
    super();
    this.sent = account.sent;
    this.echoReplies = account.echoReplies;
  }

  contacts(): readonly DemoContactInfo[] {
    return DEMO_CONTACTS;
  }

  /** Case-insensitive search on names and ids. */
  search(fragment: string): DemoContactInfo[] {
    const needle = fragment.toLowerCase();
    return DEMO_CONTACTS.filter((c) => c.name.toLowerCase().includes(needle) || c.id.includes(needle));
  }

  private newId(): string {
    return `demo-${this.username}-${RUN}-${this.account.nextId++}`;
  }

  private assertContact(id: string): void {
    if (!this.loggedIn) throw new Error("not logged in");
    if (!DEMO_CONTACTS.some((c) => c.id === id)) throw new Error(`no such demo contact: ${id}`);
  }

  /** Sends a text; returns its network id. `replyTo` is the network id of a message being answered. */
  sendMessage(to: string, text: string, options: { replyTo?: string } = {}): string {
    this.assertContact(to);
    const id = this.newId();
    const record: SentMessage = { to };
    this.sent.set(id, record);
    this.forgetOldest();
    let logged: LoggedMessage | undefined;
    if (to === "echo") {
      const replyId = this.newId();
      record.replyId = replyId;
      this.echoReplies.set(replyId, id);
      const answersReply = options.replyTo !== undefined && this.echoReplies.has(options.replyTo);
      // A delayed answer lets a test (or a curious user) make echo speak while the gateway is away.
      const delayed = DELAYED.exec(text);
      const answer = {
        from: "echo",
        id: replyId,
        text: `echo: ${delayed ? delayed[2] : text}`,
        ...(answersReply && { replyTo: id }),
      };
      // The answer is in the log with the message (stored together), and comes a turn later.
      logged = delayed ? undefined : this.log(answer);
      setImmediate(() => {
        this.emit("received", { from: "echo", id });
        this.emit("displayed", { from: "echo", id });
        if (logged) this.deliver(logged);
      });
      if (delayed)
        setTimeout(() => this.deliver(this.log(answer)), Math.min(Number(delayed[1]), 60) * 1000).unref();
    }
    // Sent means stored, as on a real network: a gateway killed after this has passed it on.
    this.stored({
      u: this.username,
      id,
      to,
      ...(record.replyId !== undefined && { replyId: record.replyId }),
      nextId: this.account.nextId,
      ...(logged && { answer: logged }),
    });
    return id;
  }

  /**
   * The user sent a file to `to`; returns its network id and, for echo, the id of
   * echo's answer (the same file back), mapped like a text's answer: editing, retracting or
   * reacting to the one reaches the other.
   */
  sendFile(to: string): { id: string; replyId?: string } {
    this.assertContact(to);
    const id = this.newId();
    const record: SentMessage = { to };
    this.sent.set(id, record);
    this.forgetOldest();
    if (to !== "echo") return { id };
    const replyId = this.newId();
    record.replyId = replyId;
    this.echoReplies.set(replyId, id);
    // The demo network keeps no files: echo answers with the bytes the gateway streams to it.
    return { id, replyId };
  }

  /** A new network id for a message a contact sends (the files the demo makes up, e.g. `/photo`). */
  incomingId(): string {
    return this.newId();
  }

  /**
   * A message toward the user, logged with the next sequence number (even with nobody listening,
   * as a real network keeps it for the next sync) until the gateway acknowledges it.
   */
  private log(message: Omit<LoggedMessage, "seq" | "at">): LoggedMessage {
    const logged: LoggedMessage = { ...message, seq: this.account.nextSeq++, at: Date.now() };
    this.account.log.push(logged);
    if (this.account.log.length > REPLAYABLE_MESSAGES) this.account.log.shift();
    this.changed();
    return logged;
  }

  private deliver(logged: LoggedMessage): void {
    if (this.loggedIn) this.emit("message", { ...logged });
  }

  /**
   * Delivers again, in order, the logged messages after `cursor` (a `seq` the gateway saved; none:
   * all it still has), marked `replayed`. Asynchronous, as a network's sync is.
   */
  replay(cursor: string | undefined): void {
    const after = cursor === undefined ? 0 : Number(cursor);
    const due = this.account.log.filter((logged) => Number.isNaN(after) || logged.seq > after);
    setImmediate(() => {
      for (const logged of due) if (this.loggedIn) this.emit("message", { ...logged, replayed: true });
    });
  }

  /**
   * The gateway stored its cursor at `cursor`: the messages up to it reached the user and leave
   * the log, as a real network drops what a device confirmed. So the state file keeps what was said
   * only while it is on its way.
   */
  acknowledge(cursor: string): void {
    const upTo = Number(cursor);
    const { log } = this.account;
    let done = 0;
    while (done < log.length && log[done]!.seq <= upTo) done++;
    if (done === 0) return;
    log.splice(0, done);
    this.changed();
  }

  private forgetOldest(): void {
    if (this.sent.size <= REMEMBERED_MESSAGES) return;
    const [oldest, record] = this.sent.entries().next().value!;
    this.sent.delete(oldest);
    if (record.replyId !== undefined) this.echoReplies.delete(record.replyId);
  }

  correctMessage(to: string, id: string, text: string): void {
    this.assertContact(to);
    const replyId = this.sent.get(id)?.replyId;
    if (to === "echo" && replyId) {
      setImmediate(() => this.emit("correction", { from: "echo", id: replyId, text: `echo: ${text}` }));
    }
  }

  retractMessage(to: string, id: string): void {
    this.assertContact(to);
    const replyId = this.sent.get(id)?.replyId;
    if (to === "echo" && replyId) setImmediate(() => this.emit("retraction", { from: "echo", id: replyId }));
  }

  /** Reacting to one of echo's messages makes echo react the same on the message it answered. */
  react(to: string, id: string, emojis: string[]): void {
    this.assertContact(to);
    const answered = this.echoReplies.get(id);
    if (to === "echo" && answered)
      setImmediate(() => this.emit("reaction", { from: "echo", id: answered, emojis }));
  }

  setChatState(to: string, state: DemoChatState): void {
    this.assertContact(to);
    if (to === "echo") setImmediate(() => this.emit("chatState", { from: "echo", state }));
  }

  /** The user's own status on the demo network, as `setOwnPresence` last set it. */
  get ownPresence(): OwnPresence {
    return this.account.presence;
  }

  setOwnPresence(show: string, status?: string): void {
    const { presence } = this.account;
    // Clients resend the same presence often: only a real change is worth a write.
    if (presence.show === show && presence.status === status) return;
    this.account.presence = { show, ...(status !== undefined && { status }) };
    this.changed();
  }

  /** The user's profile picture on the demo network (type and size are all it keeps). */
  get ownAvatar(): OwnAvatar | null {
    return this.account.avatar;
  }

  setOwnAvatar(avatar: OwnAvatar | null): void {
    const current = this.account.avatar;
    if (
      current === avatar ||
      (current && avatar && current.type === avatar.type && current.bytes === avatar.bytes)
    )
      return;
    this.account.avatar = avatar && { type: avatar.type, bytes: avatar.bytes };
    this.changed();
  }

  logout(): void {
    this.loggedIn = false;
    this.removeAllListeners();
  }
}

export interface DemoNetworkOptions extends StateFileOptions {
  /**
   * Where the accounts' state lives; the gateway uses `<home-dir>/demo-network.json`
   * (DEMO_STATE_FILE). Read at construction, a missing file being an empty network, and saved
   * shortly after each change. Without it the network forgets everything with the process.
   */
  stateFile?: string;
}

/** The demo "cloud": any username logs in with any password except the literal `wrong`. */
export class DemoNetwork {
  /** How long after a QR code is shown the demo network pretends the phone scanned it. */
  qrScanDelayMs = 2000;

  private readonly accounts: Map<string, DemoAccount>;
  private readonly state: StateFile | undefined;

  /** Throws a DemoStateError naming the file when it exists but cannot be read back. */
  constructor(options: DemoNetworkOptions = {}) {
    const { stateFile } = options;
    this.accounts = stateFile === undefined ? new Map() : readState(stateFile);
    this.state = stateFile === undefined ? undefined : new StateFile(stateFile, this.accounts, options);
  }

  login(username: string, password: string): DemoClient {
    if (password === "wrong") throw new DemoAuthError("Wrong password");
    if (!username) throw new DemoAuthError("A username is required");
    let account = this.accounts.get(username);
    if (!account) {
      // Not saved yet: an account with nothing in it is the same as none.
      account = newAccount();
      this.accounts.set(username, account);
    }
    return new DemoClient(
      username,
      account,
      () => this.state?.changed(),
      (record) => this.state?.sent(record),
    );
  }

  /** Writes pending changes now (they are otherwise written within 100 ms). */
  flush(): void {
    this.state?.flush();
  }

  /** Writes pending changes; later ones are not saved. For the gateway's shutdown. */
  close(): void {
    this.state?.close();
  }

  /** The text a QR code carries for this user (`--registration qr`). */
  qrText(username: string): string {
    return `gangway-demo:${username}`;
  }

  /** Pretends a phone scans the code `qrScanDelayMs` after it was shown, as a real network would report. */
  scanLater(qrText: string, onScanned: (qrText: string) => void): void {
    setTimeout(() => onScanned(qrText), this.qrScanDelayMs).unref();
  }

  /** A pairing code to show as a QR code; `onScanned` runs once a phone has "scanned" it. */
  startPairing(username: string, onScanned: () => void): string {
    const text = this.qrText(username);
    this.scanLater(text, onScanned);
    return text;
  }

  /** The one-time code the demo network accepts (`--registration 2fa`). */
  readonly twoFactorCode = "123456";
}
