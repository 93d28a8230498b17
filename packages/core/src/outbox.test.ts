import { describe, expect, it } from "vitest";
import { Outbox, SerialQueue } from "./outbox.js";

const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("Outbox", () => {
  it("sends in call order whatever each preparation takes, and skips actions with nothing to send", async () => {
    const sent: string[] = [];
    const outbox = new Outbox(async () => {});
    const send = (name: string) => async () => {
      sent.push(name);
    };
    await Promise.all([
      outbox.act(async () => {
        await later(20);
        return send("slow");
      }),
      outbox.act(async () => undefined),
      outbox.act(async () => send("fast")),
    ]);
    expect(sent).toEqual(["slow", "fast"]);
  });

  it("holds sends until the barrier taken after their preparation resolves, preparing the next meanwhile", async () => {
    const sent: string[] = [];
    const prepared: string[] = [];
    let open: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      open = resolve;
    });
    const outbox = new Outbox(() => barrier);
    const action = (name: string) =>
      outbox.act(async () => {
        prepared.push(name);
        return async () => {
          sent.push(name);
        };
      });
    const all = Promise.all([action("a"), action("b")]);
    await later(5);
    expect(prepared).toEqual(["a", "b"]);
    expect(sent).toEqual([]);
    open();
    await all;
    expect(sent).toEqual(["a", "b"]);
  });

  it("rejects only the action whose preparation or send failed", async () => {
    const sent: string[] = [];
    const outbox = new Outbox(async () => {});
    const results = await Promise.allSettled([
      outbox.act(async () => {
        throw new Error("lookup failed");
      }),
      outbox.act(async () => async () => {
        throw new Error("socket closed");
      }),
      outbox.act(async () => async () => {
        sent.push("ok");
      }),
    ]);
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "fulfilled"]);
    expect(sent).toEqual(["ok"]);
  });
});

describe("SerialQueue", () => {
  it("runs one item at a time, in call order, past failures", async () => {
    const queue = new SerialQueue();
    const log: string[] = [];
    const results = await Promise.allSettled([
      queue.run(async () => {
        await later(10);
        log.push("first");
      }),
      queue.run(async () => {
        log.push("second");
        throw new Error("boom");
      }),
      queue.run(async () => {
        log.push("third");
      }),
    ]);
    expect(log).toEqual(["first", "second", "third"]);
    expect(results[1]?.status).toBe("rejected");
  });
});
