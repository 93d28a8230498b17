import { EventEmitter } from "node:events";

/**
 * The demo network's group `lobby`, as a legacy client library would show it: members, a topic,
 * messages, and events for what the others do. echo answers every message "echo: X" and mirrors
 * corrections, retractions and reactions, as it does 1:1; `/alice-leave` and `/alice-join` make
 * alice leave and come back, so presence changes can be tried from any client.
 */

export const LOBBY_ID = "lobby";
export const LOBBY_NAME = "Lobby";
export const LOBBY_TOPIC = "Say something: echo repeats it. /alice-leave and /alice-join move alice.";
export const LOBBY_MEMBERS = ["echo", "alice", "bob"] as const;

export interface LobbyEvents {
  message: [{ from: string; id: string; text: string; replyTo?: string }];
  correction: [{ from: string; id: string; text: string }];
  retraction: [{ from: string; id: string }];
  reaction: [{ from: string; id: string; emojis: string[] }];
  joined: [{ member: string }];
  left: [{ member: string }];
}

const COMMANDS: Readonly<Record<string, { member: string; joins: boolean }>> = {
  "/alice-leave": { member: "alice", joins: false },
  "/alice-join": { member: "alice", joins: true },
};

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

  /** The user says `text` in the lobby; returns the message's id. */
  send(text: string, options: { replyTo?: string } = {}): string {
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
    if (!this.members.has("echo")) return id;
    const answer = this.newId();
    this.answers.set(id, answer);
    this.answered.set(answer, id);
    const replyTo = options.replyTo === undefined ? undefined : this.answers.get(options.replyTo);
    setImmediate(() =>
      this.emit("message", { from: "echo", id: answer, text: `echo: ${text}`, ...(replyTo && { replyTo }) }),
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

  /** Reacting to echo's answer makes echo react the same on the message it answered. */
  react(id: string, emojis: string[]): void {
    const original = this.answered.get(id);
    if (original) setImmediate(() => this.emit("reaction", { from: "echo", id: original, emojis }));
  }
}
