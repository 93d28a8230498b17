import type { Element, StanzaTransport, TransportStatus } from "@gangway/xmpp";
import { canonicalXml, diffLines, toElement } from "./canonical-xml.js";

export interface MemoryTransportOptions {
  /** The component JID the gateway believes it is. Default `gateway.localhost`. */
  domain?: string;
}

/** Thrown by the stanza assertions; carries both canonical renderings so test runners can diff them. */
export class StanzaAssertionError extends Error {
  readonly expected: string | undefined;
  readonly actual: string | undefined;

  constructor(message: string, expected?: string, actual?: string) {
    super(message);
    this.name = "StanzaAssertionError";
    this.expected = expected;
    this.actual = actual;
  }
}

/** Event-loop turns without a write after which an injected stanza's work counts as settled. */
const SETTLE_QUIET_TURNS = 5;
const SETTLE_MAX_TURNS = 200;

interface HeldStanza {
  stanza: Element;
  written: () => void;
  dropped: (error: Error) => void;
}

/**
 * An in-memory {@link StanzaTransport} for stanza tests: no socket, no server. Feed inbound
 * stanzas with {@link inject}, then assert what the gateway wrote, in order:
 *
 * ```ts
 * const transport = new MemoryTransport({ domain: "gateway.localhost" });
 * const gateway = createGateway({ transport, ... });
 * await gateway.start();
 * await transport.inject(`<iq type="get" id="1" from="u@localhost/r" to="gateway.localhost">
 *   <query xmlns="http://jabber.org/protocol/disco#info"/></iq>`);
 * transport.expectSent(`<iq type="result" id="1" from="gateway.localhost" to="u@localhost/r">…</iq>`);
 * transport.expectNothingSent();
 * ```
 *
 * Like the real transport, stanzas sent while the stream is down are held and written, in order,
 * when it comes back ({@link goOnline}); their `send()` promises resolve only then.
 */
export class MemoryTransport implements StanzaTransport {
  readonly domain: string;
  /** Every stanza written so far, oldest first, including ones the assertions already consumed. */
  readonly sent: Element[] = [];
  #status: TransportStatus = "offline";
  /** After stop() nothing is held any more: like the real transport, sends fail for good. */
  #stopped = false;
  /** Written stanzas no assertion has consumed yet. */
  readonly #unchecked: Element[] = [];
  /** Stanzas sent while the stream was down. */
  #held: HeldStanza[] = [];
  readonly #stanzaListeners = new Set<(stanza: Element) => unknown>();
  readonly #statusListeners = new Set<(status: TransportStatus) => void>();
  readonly #sentWaiters = new Set<() => void>();

  constructor(options: MemoryTransportOptions = {}) {
    this.domain = options.domain ?? "gateway.localhost";
  }

  get status(): TransportStatus {
    return this.#status;
  }

  async start(): Promise<void> {
    if (this.#status === "online") return;
    this.#stopped = false;
    this.#setStatus("connecting");
    this.#setStatus("online");
    this.#flushHeld();
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#setStatus("stopping");
    const held = this.#held;
    this.#held = [];
    for (const entry of held)
      entry.dropped(new Error("MemoryTransport stopped before the stanza was written"));
    this.#setStatus("offline");
  }

  /** Like the real transport, fills in `from` with the component domain when the stanza has none (XEP-0114). */
  send(stanza: Element): Promise<void> {
    stanza.attrs.from ??= this.domain;
    if (this.#status === "online") {
      this.#write(stanza);
      return Promise.resolve();
    }
    if (this.#stopped) {
      return Promise.reject(new Error(`MemoryTransport was stopped: cannot send ${stanza.toString()}`));
    }
    return new Promise((written, dropped) => this.#held.push({ stanza, written, dropped }));
  }

  onStanza(listener: (stanza: Element) => unknown): () => void {
    this.#stanzaListeners.add(listener);
    return () => this.#stanzaListeners.delete(listener);
  }

  onStatus(listener: (status: TransportStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  /**
   * Delivers an inbound stanza (as if the server sent it) to every listener and waits until the
   * work it started has settled: promises returned by listeners are awaited, then pending I/O
   * callbacks get event-loop turns until writes go quiet. Work that takes longer (timers, slow I/O) is awaited with {@link waitForSent}.
   */
  async inject(stanza: Element | string): Promise<void> {
    if (this.#status !== "online") {
      throw new Error(
        `MemoryTransport is ${this.#status}: start() it (or goOnline()) before injecting stanzas`,
      );
    }
    const element = toElement(stanza);
    const pending: unknown[] = [];
    for (const listener of [...this.#stanzaListeners]) {
      pending.push(listener(element));
    }
    await Promise.all(pending);
    await this.#settle();
  }

  /** Simulates losing the connection: status becomes `reconnecting`; sends are held until {@link goOnline}. */
  goOffline(): void {
    this.#setStatus("reconnecting");
  }

  /** Simulates the reconnect: status becomes `online` and held stanzas are written in order. */
  goOnline(): void {
    this.#setStatus("online");
    this.#flushHeld();
  }

  /** How many written stanzas no assertion has consumed yet. */
  get uncheckedCount(): number {
    return this.#unchecked.length;
  }

  /** Removes and returns the oldest written stanza not consumed yet; throws when there is none. */
  nextSent(): Element {
    const next = this.#unchecked.shift();
    if (!next) throw new StanzaAssertionError("Expected a sent stanza, but nothing (more) was sent");
    return next;
  }

  /**
   * Asserts that the next written stanza equals `expected`: same names, namespaces, attributes
   * (in any order) and text; whitespace-only text and the stream namespace (`jabber:component:accept`
   * vs `jabber:client` vs none) do not matter. Returns the actual stanza.
   */
  expectSent(expected: Element | string): Element {
    const want = canonicalXml(expected);
    const actual = this.#unchecked.shift();
    if (!actual) {
      throw new StanzaAssertionError(
        `Expected this stanza to be sent, but nothing (more) was sent:\n${want}`,
        want,
      );
    }
    const got = canonicalXml(actual);
    if (got !== want) {
      throw new StanzaAssertionError(
        `The next sent stanza differs from the expected one (- expected, + actual):\n${diffLines(want, got)}`,
        want,
        got,
      );
    }
    return actual;
  }

  /** Asserts that the next `expected.length` written stanzas are exactly these, in any order. */
  expectSentUnordered(expected: ReadonlyArray<Element | string>): Element[] {
    const wanted = expected.map(canonicalXml);
    const taken = this.#unchecked.splice(0, wanted.length);
    const unmatched = taken.map((stanza) => ({ stanza, canonical: canonicalXml(stanza) }));
    const missing: string[] = [];
    for (const want of wanted) {
      const index = unmatched.findIndex((candidate) => candidate.canonical === want);
      if (index < 0) missing.push(want);
      else unmatched.splice(index, 1);
    }
    if (missing.length > 0 || taken.length < wanted.length) {
      const sections = [
        `Expected ${wanted.length} stanza(s) in any order; ${taken.length} were sent.`,
        ...missing.map((want) => `Not sent:\n${want}`),
        ...unmatched.map(({ canonical }) => `Sent but not expected:\n${canonical}`),
      ];
      throw new StanzaAssertionError(sections.join("\n\n"));
    }
    return taken;
  }

  /** Asserts that every written stanza has been consumed by an assertion; lists the rest otherwise. */
  expectNothingSent(): void {
    if (this.#unchecked.length === 0) return;
    const rest = this.#unchecked.map((stanza, i) => `${i + 1}. ${canonicalXml(stanza)}`).join("\n");
    throw new StanzaAssertionError(
      `Expected nothing (more) to be sent, but ${this.#unchecked.length} stanza(s) were:\n${rest}`,
    );
  }

  /**
   * Resolves with the oldest unconsumed written stanza matching `predicate` (consuming it), waiting
   * up to `timeoutMs` (default 2 s) for it to be written; rejects listing what was written instead.
   */
  waitForSent(predicate: (stanza: Element) => boolean, timeoutMs = 2000): Promise<Element> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const index = this.#unchecked.findIndex(predicate);
        if (index < 0) return false;
        const [found] = this.#unchecked.splice(index, 1);
        this.#sentWaiters.delete(check);
        clearTimeout(timer);
        resolve(found!);
        return true;
      };
      const timer = setTimeout(() => {
        this.#sentWaiters.delete(check);
        const rest =
          this.#unchecked.map((stanza, i) => `${i + 1}. ${stanza.toString()}`).join("\n") || "(nothing)";
        reject(
          new StanzaAssertionError(
            `No sent stanza matched within ${timeoutMs} ms.\nPredicate: ${predicate.toString()}\nUnconsumed sent stanzas:\n${rest}`,
          ),
        );
      }, timeoutMs);
      if (!check()) this.#sentWaiters.add(check);
    });
  }

  #write(stanza: Element): void {
    this.sent.push(stanza);
    this.#unchecked.push(stanza);
    for (const waiter of [...this.#sentWaiters]) waiter();
  }

  /**
   * Dispatchers often fire and forget (`void handle(stanza)`), so there may be no promise to await.
   * Give queued continuations and I/O callbacks event-loop turns until writes have been quiet for
   * a few turns in a row (bounded, so a busy loop elsewhere cannot hang the test).
   */
  async #settle(): Promise<void> {
    let quietTurns = 0;
    for (let turn = 0; turn < SETTLE_MAX_TURNS && quietTurns < SETTLE_QUIET_TURNS; turn++) {
      const before = this.sent.length;
      await new Promise((resolve) => setImmediate(resolve));
      quietTurns = this.sent.length === before ? quietTurns + 1 : 0;
    }
  }

  #flushHeld(): void {
    const held = this.#held;
    this.#held = [];
    for (const entry of held) {
      this.#write(entry.stanza);
      entry.written();
    }
  }

  #setStatus(status: TransportStatus): void {
    if (status === this.#status) return;
    this.#status = status;
    for (const listener of [...this.#statusListeners]) listener(status);
  }
}

/**
 * Deterministic stanza ids for stanza tests: `id1`, `id2`, … Pass the generator wherever the
 * gateway takes its id source, so expected stanzas can spell out the ids the gateway will use.
 */
export function sequentialIds(prefix = "id"): () => string {
  let counter = 0;
  return () => `${prefix}${++counter}`;
}
