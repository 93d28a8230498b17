import { describe, expect, it } from "vitest";
import { xml } from "./element.js";
import { OutboundQueue, type QueuedStanza } from "./outbound-queue.js";

const item = (n: number): QueuedStanza => ({
  stanza: xml("message", { id: n }),
  resolve: () => {},
  reject: () => {},
});
const ids = (items: readonly QueuedStanza[]) => items.map((queued) => Number(queued.stanza.attrs.id));

describe("OutboundQueue", () => {
  it("is first in, first out, in batches", () => {
    const queue = new OutboundQueue(10);
    for (let n = 1; n <= 5; n++) queue.push(item(n));
    expect(ids(queue.take(2))).toEqual([1, 2]);
    queue.push(item(6));
    expect(ids(queue.take(10))).toEqual([3, 4, 5, 6]);
    expect(queue.length).toBe(0);
    expect(queue.take(3)).toEqual([]);
  });

  it("reports full at capacity", () => {
    const queue = new OutboundQueue(2);
    queue.push(item(1));
    expect(queue.isFull).toBe(false);
    queue.push(item(2));
    expect(queue.isFull).toBe(true);
    queue.take(1);
    expect(queue.isFull).toBe(false);
  });

  it("puts a failed batch back in front, keeping order", () => {
    const queue = new OutboundQueue(10);
    for (let n = 1; n <= 4; n++) queue.push(item(n));
    const batch = queue.take(2);
    queue.push(item(5));
    queue.restore(batch);
    expect(ids(queue.drain())).toEqual([1, 2, 3, 4, 5]);
  });

  it("stays ordered across compaction with many items", () => {
    const queue = new OutboundQueue(20_000);
    for (let n = 0; n < 10_000; n++) queue.push(item(n));
    const taken: number[] = [];
    let refilled = false;
    while (queue.length > 0) {
      taken.push(...ids(queue.take(97)));
      if (!refilled && taken.length >= 5_000) {
        for (let n = 10_000; n < 10_010; n++) queue.push(item(n));
        refilled = true;
      }
    }
    expect(taken).toEqual(Array.from({ length: 10_010 }, (_, n) => n));
  });

  it("refuses a nonsensical capacity", () => {
    expect(() => new OutboundQueue(0)).toThrow(RangeError);
  });
});
