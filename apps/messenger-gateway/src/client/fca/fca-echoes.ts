import type { PortEvent } from "./fca-events.js";

/** How many of the adapter's own recent actions are remembered to recognise their echoes. */
const REMEMBERED = 500;

/**
 * With `selfListen` on (needed for what the user does in the official app), the library also
 * reports what the gateway itself just did: its sent messages, reactions, unsends and renames come
 * back as the user's own events. The gateway already knows those, so their echoes are dropped
 * here; what the user did elsewhere passes. A message's echo can arrive (over the socket) before
 * the send's own answer (over HTTP) names its id, so the user's messages in a thread with a send
 * under way are held until the send settles.
 */
export class FcaEchoFilter {
  private readonly sentIds = new Set<string>();
  private readonly sendsUnderWay = new Map<string, number>();
  private readonly held = new Map<string, PortEvent[]>();
  /** What the adapter just asked for, by kind and target: the echo it expects. */
  private readonly expected = new Map<string, string>();

  constructor(
    private readonly selfId: string,
    private readonly emit: (event: PortEvent) => void,
  ) {}

  /** Runs a send in `threadId`; its echo is recognised by the id it resolves to. */
  async sending(threadId: string, send: () => Promise<string>): Promise<string> {
    this.sendsUnderWay.set(threadId, (this.sendsUnderWay.get(threadId) ?? 0) + 1);
    try {
      const messageId = await send();
      remember(this.sentIds, messageId);
      return messageId;
    } finally {
      const left = (this.sendsUnderWay.get(threadId) ?? 1) - 1;
      if (left > 0) this.sendsUnderWay.set(threadId, left);
      else {
        this.sendsUnderWay.delete(threadId);
        const held = this.held.get(threadId) ?? [];
        this.held.delete(threadId);
        for (const event of held) this.pass(event);
      }
    }
  }

  /** The adapter is about to react, unsend or rename: the matching echo will be dropped. */
  expect(kind: "reaction" | "unsend" | "rename", target: string, value: string): void {
    const key = `${kind}\u0000${target}`;
    this.expected.delete(key);
    this.expected.set(key, value);
    if (this.expected.size > REMEMBERED) this.expected.delete(this.expected.keys().next().value as string);
  }

  /** An event from the library: emitted, held or (an echo) dropped. */
  pass(event: PortEvent): void {
    if (!this.isEcho(event)) this.emit(event);
  }

  private isEcho(event: PortEvent): boolean {
    switch (event.name) {
      case "message": {
        const [message] = event.args;
        if (!message.fromMe) return false;
        if (this.sentIds.has(message.messageId)) return true;
        if (!this.sendsUnderWay.has(message.threadId)) return false;
        const held = this.held.get(message.threadId) ?? [];
        held.push(event);
        this.held.set(message.threadId, held);
        return true;
      }
      case "reaction": {
        const [reaction] = event.args;
        return (
          reaction.actorId === this.selfId &&
          this.consume("reaction", reaction.messageId, reaction.reaction ?? "")
        );
      }
      case "messageUnsend": {
        const [unsend] = event.args;
        return unsend.senderId === this.selfId && this.consume("unsend", unsend.messageId, "");
      }
      case "threadUpdate": {
        const [update] = event.args;
        return (
          update.actorId === this.selfId &&
          update.name !== undefined &&
          Object.keys(update).length === 3 &&
          this.consume("rename", update.threadId, update.name)
        );
      }
      default:
        return false;
    }
  }

  private consume(kind: string, target: string, value: string): boolean {
    const key = `${kind}\u0000${target}`;
    if (this.expected.get(key) !== value) return false;
    this.expected.delete(key);
    return true;
  }
}

function remember(set: Set<string>, value: string): void {
  set.add(value);
  if (set.size > REMEMBERED) set.delete(set.values().next().value as string);
}
