import { parseXml } from "@gangway/xmpp";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { RateLimiter, StanzaAdmission } from "./rate-limit.js";

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const takeN = (limiter: RateLimiter, key: string, n: number) =>
  Array.from({ length: n }, () => limiter.take(key).admitted).filter(Boolean).length;

describe("RateLimiter", () => {
  it("lets a burst through, then the sustained rate, per key", () => {
    const time = clock();
    const limiter = new RateLimiter({ perSecond: 10, burst: 5, now: time.now });
    expect(takeN(limiter, "a@x", 8)).toBe(5);
    expect(takeN(limiter, "b@x", 5)).toBe(5);
    time.advance(300);
    expect(takeN(limiter, "a@x", 8)).toBe(3);
    time.advance(60_000);
    expect(takeN(limiter, "a@x", 8)).toBe(5);
  });

  it("logs the first refusal of a key, then once a minute with the count since", () => {
    const time = clock();
    const limiter = new RateLimiter({ perSecond: 1, burst: 1, now: time.now });
    limiter.take("a@x");
    const logs = [];
    for (let i = 0; i < 100; i++) {
      const admission = limiter.take("a@x");
      if (!admission.admitted && admission.log) logs.push(admission.log);
      time.advance(100);
    }
    // 10 s: one token a second comes back (admitted), the rest refused, logged once.
    expect(logs).toEqual([{ refusedSinceLastLog: 1 }]);
    time.advance(55_000);
    limiter.take("a@x");
    const again = limiter.take("a@x");
    expect(again).toMatchObject({ admitted: false, log: { refusedSinceLastLog: expect.any(Number) } });
    if (!again.admitted) expect(again.log?.refusedSinceLastLog).toBeGreaterThan(80);
  });

  it("keeps memory bounded: refilled buckets are swept, and the map is capped", () => {
    const time = clock();
    const limiter = new RateLimiter({ perSecond: 100, burst: 50, now: time.now, maxBuckets: 1000 });
    for (let i = 0; i < 5000; i++) limiter.take(`u${i}@x`);
    expect(limiter.size).toBe(1000);
    // A capped-out key starts again with a full bucket: nobody is refused for someone else's flood.
    expect(takeN(limiter, "u0@x", 50)).toBe(50);
    time.advance(2000);
    limiter.take("late@x");
    expect(limiter.size).toBe(1);
  });
});

function admission(options: { registered?: string[]; perSecond?: number } = {}) {
  const time = clock();
  const lines: { msg: string; jid?: string }[] = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => lines.push(JSON.parse(line)) });
  const gate = StanzaAdmission.from({
    limits: { messagesPerSecond: options.perSecond ?? 2, burst: 3 },
    isRegistered: (jid) => options.registered?.includes(jid) ?? false,
    logger,
    now: time.now,
  });
  return { gate, lines, time };
}

const message = (from: string, type = "chat") =>
  parseXml(`<message from='${from}' to='c@gw.h' type='${type}'><body>secret words</body></message>`);

describe("StanzaAdmission", () => {
  it("is off with --rate-limit 0", () => {
    expect(admission({ perSecond: 0 }).gate).toBeUndefined();
  });

  it("refuses past the burst with policy-violation (wait) naming the limit, not the content", () => {
    const { gate } = admission();
    const results = Array.from({ length: 5 }, (_, i) => gate?.admit(message(`U@h/r${i}`)));
    expect(results.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    const refusal = results[3];
    expect(refusal).toMatchObject({ condition: "policy-violation", type: "wait" });
    expect(refusal?.text).toContain("at most 2 stanzas per second from one address");
    expect(refusal?.text).not.toContain("secret");
    expect(gate?.admit(message("other@h/r"))).toBeUndefined();
    expect(gate?.counts).toEqual({ refused: 2, presencesDropped: 0 });
  });

  it("shares one bucket between messages, IQs and a stranger's presences, counting dropped presences", () => {
    const { gate } = admission();
    gate?.admit(message("s@h/r"));
    gate?.admit(parseXml("<iq type='get' id='1' from='s@h/r' to='gw.h'/>"));
    gate?.admit(parseXml("<presence from='s@h/r' to='c@gw.h' type='subscribe'/>"));
    expect(gate?.admit(parseXml("<presence from='s@h/r' to='c@gw.h' type='probe'/>"))).toBeDefined();
    expect(gate?.admit(parseXml("<iq type='set' id='2' from='s@h/r' to='gw.h'/>"))).toBeDefined();
    expect(gate?.counts).toEqual({ refused: 2, presencesDropped: 1 });
  });

  it("never limits the server, error stanzas, or a registered user's presences (server fan-out)", () => {
    const { gate } = admission({ registered: ["u@h"] });
    for (let i = 0; i < 20; i++) {
      expect(gate?.admit(parseXml("<message from='h' to='gw.h'/>"))).toBeUndefined();
      expect(gate?.admit(parseXml("<iq type='set' id='x' from='h' to='gw.h'/>"))).toBeUndefined();
      expect(gate?.admit(message("s@h/r", "error"))).toBeUndefined();
      expect(gate?.admit(parseXml(`<presence from='u@h/r' to='c${i}@gw.h' type='probe'/>`))).toBeUndefined();
    }
    expect(gate?.buckets).toBe(0);
    // Their messages are limited like anyone's.
    const refused = Array.from({ length: 5 }, () => gate?.admit(message("u@h/r"))).filter(Boolean);
    expect(refused).toHaveLength(2);
  });

  it("logs a flooding JID once a minute, not per stanza", () => {
    const { gate, lines, time } = admission();
    for (let i = 0; i < 1000; i++) gate?.admit(message("f@h/r"));
    expect(lines.map((line) => [line.msg, line.jid])).toEqual([
      ["rate limit: refusing stanzas from this JID (logged once a minute)", "f@h"],
    ]);
    time.advance(61_000);
    for (let i = 0; i < 1000; i++) gate?.admit(message("f@h/r"));
    expect(lines).toHaveLength(2);
  });
});
