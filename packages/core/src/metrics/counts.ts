/**
 * The counters on the gateway's hot paths, as plain numbers: a stanza or a legacy event costs one
 * increment, no label lookup, no allocation. prom-client's counters hash their labels on every
 * `inc()`, so they are brought up to these numbers when Prometheus scrapes (see registry.ts).
 */

/** The stanza kinds counted; anything else (a nonza) is not a stanza. */
export const STANZA_KINDS = ["message", "presence", "iq"] as const;
export type StanzaKind = (typeof STANZA_KINDS)[number];

export class StanzaCounts {
  message = 0;
  presence = 0;
  iq = 0;

  /** Counts `name` when it is a stanza's: a switch on three constants, nothing else. */
  count(name: string): void {
    switch (name) {
      case "message":
        this.message++;
        return;
      case "presence":
        this.presence++;
        return;
      case "iq":
        this.iq++;
        return;
    }
  }
}

/**
 * What a session relays from the legacy network to the user, by kind: each is one action a chat,
 * a room or a contact is asked for (a message of several parts counts once).
 */
export const LEGACY_EVENT_KINDS = [
  "message",
  "file",
  "correction",
  "retraction",
  "reaction",
  "receipt",
  "displayed",
  "chat-state",
  "presence",
  "avatar",
] as const;
export type LegacyEventKind = (typeof LEGACY_EVENT_KINDS)[number];

/**
 * Where the errors counted happen:
 * - `store`: a store call the gateway made failed;
 * - `login`: a session's login to the legacy network failed;
 * - `reconnect`: an attempt to reconnect a session failed;
 * - `legacy-event`: relaying a legacy event to the user failed;
 * - `stanza-reply`: the gateway answered a user's stanza with an XMPP error.
 */
export const ERROR_PLACES = ["store", "login", "reconnect", "legacy-event", "stanza-reply"] as const;
export type ErrorPlace = (typeof ERROR_PLACES)[number];

/** Counts by a fixed set of keys, each a plain number. */
export class KeyedCounts<K extends string> {
  readonly #counts: Record<K, number>;

  constructor(keys: readonly K[]) {
    this.#counts = Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>;
  }

  count(key: K): void {
    this.#counts[key]++;
  }

  get(key: K): number {
    return this.#counts[key];
  }
}

/** Every hot-path count of one gateway. Always kept (they cost nothing); read only by a scrape. */
export class GatewayCounts {
  readonly stanzasIn = new StanzaCounts();
  readonly stanzasOut = new StanzaCounts();
  readonly legacyEvents = new KeyedCounts(LEGACY_EVENT_KINDS);
  readonly errors = new KeyedCounts(ERROR_PLACES);
}
