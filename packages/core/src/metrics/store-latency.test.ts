import type { Store } from "@gangway/store";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { StoreLatency } from "./store-latency.js";
import { timedStore } from "./store-timing.js";

describe("gangway_store_seconds", () => {
  it("is a Prometheus histogram: cumulative buckets up to +Inf, sum and count per operation", async () => {
    const registry = new Registry();
    const latency = new StoreLatency(registry);
    const get = latency.timing("users.get");
    for (const seconds of [0.0002, 0.0007, 0.003, 42]) get(seconds);
    latency.timing("users.list")(0.01);
    const text = await registry.metrics();
    expect(text).toContain("# TYPE gangway_store_seconds histogram");
    expect(text).toContain('gangway_store_seconds_bucket{le="0.0005",operation="users.get"} 1');
    expect(text).toContain('gangway_store_seconds_bucket{le="0.001",operation="users.get"} 2');
    expect(text).toContain('gangway_store_seconds_bucket{le="0.005",operation="users.get"} 3');
    expect(text).toContain('gangway_store_seconds_bucket{le="10",operation="users.get"} 3');
    expect(text).toContain('gangway_store_seconds_bucket{le="+Inf",operation="users.get"} 4');
    expect(text).toContain('gangway_store_seconds_count{operation="users.get"} 4');
    expect(text).toMatch(/gangway_store_seconds_sum\{operation="users.get"\} 42\.0039/);
    expect(text).toContain('gangway_store_seconds_bucket{le="0.01",operation="users.list"} 1');
    expect(text).toContain('gangway_store_seconds_bucket{le="0.005",operation="users.list"} 0');
  });
});

describe("timedStore", () => {
  function fixture() {
    const seen: string[] = [];
    let failures = 0;
    const users = {
      calls: 0,
      async get(jid: string) {
        this.calls++;
        if (jid === "bad") throw new Error("no");
        return { jid };
      },
      list() {
        return ["a", "b"];
      },
    };
    const healthCheck = async () => {};
    const store = { users, healthCheck } as unknown as Store;
    const timed = timedStore(store, {
      timing: (operation) => (seconds) => seen.push(`${operation} ${seconds >= 0}`),
      failed: () => failures++,
    });
    return { timed, users, seen, failures: () => failures };
  }

  it("times each repository call with `this` the repository, and passes results and failures on", async () => {
    const { timed, users, seen, failures } = fixture();
    await expect(timed.users.get("a@b")).resolves.toEqual({ jid: "a@b" });
    await expect(timed.users.get("bad")).rejects.toThrow("no");
    expect((timed.users as unknown as typeof users).list()).toEqual(["a", "b"]);
    expect(users.calls).toBe(2);
    expect(seen).toEqual(["users.get true", "users.get true", "users.list true"]);
    expect(failures()).toBe(1);
  });

  it("leaves healthCheck untimed", async () => {
    const { timed, seen } = fixture();
    await timed.healthCheck();
    expect(seen).toEqual([]);
  });
});
