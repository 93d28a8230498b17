import type { MessageIdPair } from "./drivers/driver.js";

/**
 * The most recently used id pairs of each user, both ways, so the message path (a receipt, a
 * correction, a reaction to a recent message) finds them without a query. Bounded per user: a
 * Map keeps insertion order, so re-inserting on use and dropping from the front is an LRU.
 */
export class IdMapCache {
  private readonly users = new Map<number, Map<string, MessageIdPair | string>>();
  hits = 0;
  misses = 0;

  /** `perUser` pairs, i.e. twice as many keys (one per direction). */
  constructor(private readonly perUser: number) {}

  /**
   * Remembers a pair. The legacy → XMPP side keeps the first XMPP id seen for a legacy message
   * (the one corrections and reactions must name); the XMPP → legacy side keeps the latest.
   */
  remember(userId: number, pair: MessageIdPair): void {
    const entries = this.entriesOf(userId);
    const byLegacy = legacyKey(pair.chat, pair.legacyId);
    if (!entries.has(byLegacy)) this.put(entries, byLegacy, pair);
    this.put(entries, xmppKey(pair.chat, pair.xmppId), pair.legacyId);
  }

  first(userId: number, chat: string, legacyId: string): MessageIdPair | undefined {
    return this.take(userId, legacyKey(chat, legacyId)) as MessageIdPair | undefined;
  }

  legacyId(userId: number, chat: string, xmppId: string): string | undefined {
    return this.take(userId, xmppKey(chat, xmppId)) as string | undefined;
  }

  /** Fills in what a query found (a miss). */
  learnFirst(userId: number, pair: MessageIdPair): void {
    this.put(this.entriesOf(userId), legacyKey(pair.chat, pair.legacyId), pair);
  }

  learnLegacyId(userId: number, chat: string, xmppId: string, legacyId: string): void {
    this.put(this.entriesOf(userId), xmppKey(chat, xmppId), legacyId);
  }

  forgetUser(userId: number): void {
    this.users.delete(userId);
  }

  /** Keys held, over all users. */
  get size(): number {
    let total = 0;
    for (const entries of this.users.values()) total += entries.size;
    return total;
  }

  private take(userId: number, key: string): MessageIdPair | string | undefined {
    const entries = this.users.get(userId);
    const found = entries?.get(key);
    if (found === undefined || !entries) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    entries.delete(key);
    entries.set(key, found);
    return found;
  }

  private entriesOf(userId: number): Map<string, MessageIdPair | string> {
    let entries = this.users.get(userId);
    if (!entries) {
      entries = new Map();
      this.users.set(userId, entries);
    }
    return entries;
  }

  private put(
    entries: Map<string, MessageIdPair | string>,
    key: string,
    value: MessageIdPair | string,
  ): void {
    entries.delete(key);
    entries.set(key, value);
    if (entries.size > 2 * this.perUser) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
    }
  }
}

// The chat's length keeps any two (chat, id) pairs apart whatever characters legacy ids hold;
// the prefix keeps the two directions apart.
const legacyKey = (chat: string, legacyId: string) => `l${chat.length}:${chat}${legacyId}`;
const xmppKey = (chat: string, xmppId: string) => `x${chat.length}:${chat}${xmppId}`;
