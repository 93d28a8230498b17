import { EventEmitter } from "node:events";

/**
 * The demo network's group `lobby`, as a legacy client library would show it: members, a topic,
 * messages, and events for what the others do. echo answers every message "echo: X" and mirrors
 * corrections, retractions and reactions, as it does 1:1; a message that mentions echo gets an
 * answer that mentions its author, one that mentions alice gets her read marker. `/alice-leave`
 * and `/alice-join` (and the same for bob and echo) move members, so presence changes can be
 * tried from any client. The user runs the lobby: they may delete anyone's message, remove a
 * member, and change the topic.
 */

export const LOBBY_ID = "lobby";
export const LOBBY_NAME = "Lobby";
export const LOBBY_TOPIC = "Say something: echo repeats it. /alice-leave and /alice-join move alice.";
export const LOBBY_MEMBERS = ["echo", "alice", "bob"] as const;

/** Someone named in a lobby message: a member's name and where it is in the text. */
export interface LobbyMention {
  nick: string;
  begin: number;
  end: number;
}

export interface LobbyEvents {
  message: [{ from: string; id: string; text: string; replyTo?: string; mentions?: LobbyMention[] }];
  correction: [{ from: string; id: string; text: string }];
  retraction: [{ from: string; id: string }];
  reaction: [{ from: string; id: string; emojis: string[] }];
  read: [{ from: string; id: string }];
  moderated: [{ id: string; by: string; reason?: string }];
  topic: [{ text: string; by: string }];
  joined: [{ member: string }];
  left: [{ member: string; kicked?: boolean; reason?: string }];
}

const COMMANDS: Readonly<Record<string, { member: string; joins: boolean }>> = Object.fromEntries(
  LOBBY_MEMBERS.flatMap((member) => [
    [`/${member}-leave`, { member, joins: false }],
    [`/${member}-join`, { member, joins: true }],
  ]),
);

/** One account's view of the lobby. Events come on a later turn of the event loop, as from a server. */
export class DemoLobby extends EventEmitter<LobbyEvents> {
  readonly members = new Set<string>(LOBBY_MEMBERS);
  /** The user's message id → echo's answer id, and back. */
  private readonly answers = new Map<string, string>();
  private readonly answered = new Map<string, string>();
  private nextId = 1;

  constructor(private readonly run = Date.now().toString(36)) {
    super();
  }

  private newId(): string {
    return `lobby-${this.run}-${this.nextId++}`;
  }

  /** The user (`nick`) says `text` in the lobby, naming `mentions`; returns the message's id. */
  send(
    text: string,
    options: { replyTo?: string; nick?: string; mentions?: readonly LobbyMention[] } = {},
  ): string {
    const id = this.newId();
    const command = COMMANDS[text.trim()];
    if (command) {
      const present = this.members.has(command.member);
      if (present !== command.joins) {
        if (command.joins) this.members.add(command.member);
        else this.members.delete(command.member);
        const event = command.joins ? "joined" : "left";
        setImmediate(() => this.emit(event, { member: command.member }));
      }
      return id;
    }
    const named = new Set(options.mentions?.map((m) => m.nick));
    if (named.has("alice") && this.members.has("alice")) {
      setImmediate(() => this.emit("read", { from: "alice", id }));
    }
    if (!this.members.has("echo")) return id;
    const answer = this.newId();
    this.answers.set(id, answer);
    this.answered.set(answer, id);
    const replyTo = options.replyTo === undefined ? undefined : this.answers.get(options.replyTo);
    // Named, echo names its author back: "romeo: echo: hi echo".
    const author = named.has("echo") ? options.nick : undefined;
    const reply = author === undefined ? `echo: ${text}` : `${author}: echo: ${text}`;
    const mentions = author === undefined ? [] : [{ nick: author, begin: 0, end: author.length }];
    setImmediate(() =>
      this.emit("message", {
        from: "echo",
        id: answer,
        text: reply,
        ...(replyTo && { replyTo }),
        ...(mentions.length > 0 && { mentions }),
      }),
    );
    return id;
  }

  correct(id: string, text: string): void {
    const answer = this.answers.get(id);
    if (answer)
      setImmediate(() => this.emit("correction", { from: "echo", id: answer, text: `echo: ${text}` }));
  }

  retract(id: string): void {
    const answer = this.answers.get(id);
    if (answer) setImmediate(() => this.emit("retraction", { from: "echo", id: answer }));
  }

  /** The admin deletes any message for everyone. */
  moderate(id: string, by: string, reason?: string): void {
    setImmediate(() => this.emit("moderated", { id, by, ...(reason !== undefined && { reason }) }));
  }

  /** The admin removes a member (back with `/<member>-join`). */
  kick(member: string, reason?: string): void {
    if (!this.members.delete(member)) return;
    setImmediate(() => this.emit("left", { member, kicked: true, ...(reason !== undefined && { reason }) }));
  }

  setTopic(text: string, by: string): void {
    setImmediate(() => this.emit("topic", { text, by }));
  }

  /** Reacting to echo's answer makes echo react the same on the message it answered. */
  react(id: string, emojis: string[]): void {
    const original = this.answered.get(id);
    if (original) setImmediate(() => this.emit("reaction", { from: "echo", id: original, emojis }));
  }
}
