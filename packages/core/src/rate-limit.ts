import { type Element, XmppError } from "@gangway/xmpp";
import type { Logger } from "pino";
import type { GatewayLimits } from "./config/limits.js";

/** How often a JID that keeps being refused is logged again. */
const LOG_EVERY_MS = 60_000;
/** Buckets held at most: past it the oldest is forgotten (that JID starts again with a full bucket). */
const DEFAULT_MAX_BUCKETS = 100_000;

export interface RateLimiterOptions {
  /** Tokens added per second, i.e. the sustained rate; must be > 0. */
  perSecond: number;
  /** Bucket size: what a quiet JID may send at once. */
  burst: number;
  /** Clock in ms; tests pass a fake one. */
  now?: () => number;
  maxBuckets?: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
}

/** What `take` decided; `log` is set on the first refusal of a key in a minute. */
export type Admission = { admitted: true } | { admitted: false; log?: { refusedSinceLastLog: number } };

const ADMITTED: Admission = Object.freeze({ admitted: true });

/**
 * One token bucket per key (a bare JID): each stanza takes a token, tokens come back at
 * `perSecond`, up to `burst`. Memory stays bounded under a flood from many keys: a bucket that has
 * refilled is indistinguishable from no bucket, so such buckets are swept out, and the map is
 * capped (the oldest bucket is forgotten first: that key is treated as quiet, never refused
 * wrongly because of someone else).
 */
export class RateLimiter {
  readonly perSecond: number;
  readonly burst: number;
  private readonly now: () => number;
  private readonly maxBuckets: number;
  private readonly buckets = new Map<string, Bucket>();
  /** Per refused key: when it was last logged and how many refusals since. */
  private readonly logged = new Map<string, { at: number; refused: number }>();
  private lastSweep: number;

  constructor(options: RateLimiterOptions) {
    if (!(options.perSecond > 0)) throw new RangeError("perSecond must be > 0");
    if (!(options.burst >= 1)) throw new RangeError("burst must be at least 1");
    this.perSecond = options.perSecond;
    this.burst = options.burst;
    this.now = options.now ?? Date.now;
    this.maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    this.lastSweep = this.now();
  }

  /** Buckets held now (quiet keys hold none). */
  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token from `key`'s bucket, or refuses when it is empty. */
  take(key: string): Admission {
    const now = this.now();
    this.sweep(now);
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
      bucket.at = now;
    } else {
      if (this.buckets.size >= this.maxBuckets) this.forgetOldest();
      bucket = { tokens: this.burst, at: now };
      this.buckets.set(key, bucket);
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return ADMITTED;
    }
    return { admitted: false, log: this.shouldLog(key, now) };
  }

  /** Drops buckets that are full again (at most once a second, so a flood pays it rarely). */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    const refillMs = (this.burst / this.perSecond) * 1000;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at >= refillMs) this.buckets.delete(key);
    }
    // A key refused since its last log line keeps its count for the next one, for a while.
    for (const [key, entry] of this.logged) {
      const age = now - entry.at;
      if (age >= 10 * LOG_EVERY_MS || (age >= LOG_EVERY_MS && entry.refused === 0)) this.logged.delete(key);
    }
  }

  private forgetOldest(): void {
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }

  private shouldLog(key: string, now: number): { refusedSinceLastLog: number } | undefined {
    const entry = this.logged.get(key);
    if (entry && now - entry.at < LOG_EVERY_MS) {
      entry.refused++;
      return undefined;
    }
    // Bounded like the buckets: a flood from many keys must not grow this map either.
    if (!entry && this.logged.size >= this.maxBuckets) {
      const oldest = this.logged.keys().next();
      if (!oldest.done) this.logged.delete(oldest.value);
    }
    const refusedSinceLastLog = (entry?.refused ?? 0) + 1;
    this.logged.delete(key);
    this.logged.set(key, { at: now, refused: 0 });
    return { refusedSinceLastLog };
  }
}

export interface StanzaAdmissionOptions {
  limits: Pick<GatewayLimits, "messagesPerSecond" | "burst">;
  /** Whether a bare JID has registered: their presences are not limited (see below). */
  isRegistered(bareJid: string): boolean;
  logger: Logger;
  now?: () => number;
  maxBuckets?: number;
}

/**
 * The per-JID rate limit on inbound stanzas (`--rate-limit`, `--rate-burst`), as an admission
 * check for the component: messages, presences and IQ requests from one bare JID share a bucket.
 * Not limited: the server's own stanzas (no localpart: privilege advertisements, its IQs), error
 * stanzas (bounces of what the gateway sent, never answered), and presences of registered users:
 * the server fans those out on the user's behalf, one probe and one presence per contact when the
 * client comes online (and one `subscribed` per contact added), so a 1000-contact roster would
 * drain any sane bucket, and a dropped one leaves a contact shown offline or the user's own
 * presence unseen. A stranger's presences are limited, and dropped silently when over it (an
 * error answering a presence invites loops); a refused message or IQ gets `policy-violation`.
 */
export class StanzaAdmission {
  private readonly limiter: RateLimiter;
  private readonly refusal: XmppError;
  /** Stanzas refused since start: answered with an error, or (presences) dropped. */
  readonly counts = { refused: 0, presencesDropped: 0 };

  constructor(private readonly options: StanzaAdmissionOptions) {
    const { messagesPerSecond, burst } = options.limits;
    this.limiter = new RateLimiter({
      perSecond: messagesPerSecond,
      burst,
      now: options.now,
      maxBuckets: options.maxBuckets,
    });
    this.refusal = new XmppError(
      "policy-violation",
      `Too many stanzas: this gateway handles at most ${messagesPerSecond} stanzas per second from one address (${burst} at once after a pause). This one was not handled; wait a moment before sending more.`,
      { type: "wait" },
    );
  }

  /** Undefined when `--rate-limit` is 0 (no limit). */
  static from(options: StanzaAdmissionOptions): StanzaAdmission | undefined {
    return options.limits.messagesPerSecond > 0 ? new StanzaAdmission(options) : undefined;
  }

  /** Buckets held now. */
  get buckets(): number {
    return this.limiter.size;
  }

  /** `undefined` to handle the stanza, or the error that refuses it. */
  readonly admit = (stanza: Element): XmppError | undefined => {
    const { from, type } = stanza.attrs;
    if (!from || type === "error") return undefined;
    const bareJid = bareOf(from);
    if (!bareJid.includes("@")) return undefined;
    if (stanza.name === "presence" && this.options.isRegistered(bareJid)) return undefined;
    const admission = this.limiter.take(bareJid);
    if (admission.admitted) return undefined;
    this.counts.refused++;
    if (stanza.name === "presence") this.counts.presencesDropped++;
    if (admission.log) {
      // Once per JID per minute, whatever the flood: a log line per stanza would be a flood too.
      this.options.logger.warn(
        {
          jid: bareJid,
          refusedSinceLastLog: admission.log.refusedSinceLastLog,
          perSecond: this.limiter.perSecond,
          burst: this.limiter.burst,
          refusedTotal: this.counts.refused,
          presencesDropped: this.counts.presencesDropped,
        },
        "rate limit: refusing stanzas from this JID (logged once a minute)",
      );
    }
    return this.refusal;
  };
}

/** The bare JID, lowercased: one bucket whatever the resource or the case (RFC 7622). */
function bareOf(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}
