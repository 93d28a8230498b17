import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEMO_STATE_FILE, DemoAuthError, type DemoClient, DemoNetwork, DemoStateError } from "./network.js";

const network = new DemoNetwork();

describe("DemoNetwork", () => {
  it("refuses the literal password 'wrong' and accepts any other", () => {
    expect(() => network.login("romeo", "wrong")).toThrow(DemoAuthError);
    expect(() => network.login("romeo", "wrong")).toThrow("Wrong password");
    expect(network.login("romeo", "anything").username).toBe("romeo");
  });

  it("has echo, alice and bob with the spec's names and presences", () => {
    const contacts = network.login("romeo", "x").contacts();
    expect(contacts.map((c) => [c.id, c.name, c.presence, c.status])).toEqual([
      ["echo", "Echo Bot", "online", "I repeat everything"],
      ["alice", "Alice Demo", "away", undefined],
      ["bob", "Bob Demo", "offline", undefined],
    ]);
  });

  it("searches names case-insensitively", () => {
    const client = network.login("romeo", "x");
    expect(client.search("DEMO").map((c) => c.id)).toEqual(["alice", "bob"]);
    expect(client.search("echo b").map((c) => c.id)).toEqual(["echo"]);
    expect(client.search("zzz")).toEqual([]);
  });

  it("echo answers, marks received and displayed, and follows corrections and retractions", async () => {
    const client = network.login("romeo", "x");
    const events: string[] = [];
    client.on("received", (e) => events.push(`received ${e.id}`));
    client.on("displayed", (e) => events.push(`displayed ${e.id}`));
    const answer = once(client, "message");
    const id = client.sendMessage("echo", "hi");
    const [reply] = await answer;
    expect(reply).toMatchObject({ from: "echo", text: "echo: hi" });
    expect(reply.replyTo).toBeUndefined();
    expect(events).toEqual([`received ${id}`, `displayed ${id}`]);

    const corrected = once(client, "correction");
    client.correctMessage("echo", id, "hello");
    expect((await corrected)[0]).toEqual({ from: "echo", id: reply.id, text: "echo: hello" });

    const retracted = once(client, "retraction");
    client.retractMessage("echo", id);
    expect((await retracted)[0]).toEqual({ from: "echo", id: reply.id });

    const reacted = once(client, "reaction");
    client.react("echo", reply.id, ["👍"]);
    expect((await reacted)[0]).toEqual({ from: "echo", id, emojis: ["👍"] });
  });

  it("answers a reply to one of echo's messages as a reply to the user's message", async () => {
    const client = network.login("romeo", "x");
    const first = once(client, "message");
    client.sendMessage("echo", "one");
    const [echoed] = await first;
    const second = once(client, "message");
    const id = client.sendMessage("echo", "two", { replyTo: echoed.id });
    expect((await second)[0]).toMatchObject({ text: "echo: two", replyTo: id });
  });

  it("alice and bob never answer; unknown contacts are an error", async () => {
    const client = network.login("romeo", "x");
    let got = 0;
    client.on("message", () => got++);
    client.sendMessage("alice", "hello?");
    client.setChatState("bob", "composing");
    await new Promise((r) => setTimeout(r, 20));
    expect(got).toBe(0);
    expect(() => client.sendMessage("mallory", "x")).toThrow(/no such demo contact/);
  });

  it("exposes the QR text and 2FA code of the spec", () => {
    expect(network.qrText("romeo")).toBe("gangway-demo:romeo");
    expect(network.twoFactorCode).toBe("123456");
  });
});

describe("DemoNetwork with a state file", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  function stateFile(): string {
    const dir = mkdtempSync(join(tmpdir(), "gangway-demo-network-"));
    dirs.push(dir);
    return join(dir, DEMO_STATE_FILE);
  }

  /** Sends `text` to echo and resolves with the user's message id and echo's answer id. */
  async function echoed(client: DemoClient, text: string): Promise<{ id: string; replyId: string }> {
    const answer = once(client, "message");
    const id = client.sendMessage("echo", text);
    const [reply] = await answer;
    return { id, replyId: reply.id };
  }

  it("a new network on the same file still mirrors edits of messages sent before", async () => {
    const file = stateFile();
    const before = new DemoNetwork({ stateFile: file });
    const client = before.login("romeo", "x");
    const first = await echoed(client, "one");
    const second = await echoed(client, "two");
    const third = await echoed(client, "three");
    client.setOwnPresence("away", "lunch");
    client.setOwnAvatar({ type: "image/png", bytes: 68 });
    before.close();

    // A "restart": nothing shared but the file.
    const restarted = new DemoNetwork({ stateFile: file });
    const after = restarted.login("romeo", "x");
    const reacted = once(after, "reaction");
    after.react("echo", first.replyId, ["👍"]);
    expect((await reacted)[0]).toEqual({ from: "echo", id: first.id, emojis: ["👍"] });
    const corrected = once(after, "correction");
    after.correctMessage("echo", second.id, "deux");
    expect((await corrected)[0]).toEqual({ from: "echo", id: second.replyId, text: "echo: deux" });
    const retracted = once(after, "retraction");
    after.retractMessage("echo", third.id);
    expect((await retracted)[0]).toEqual({ from: "echo", id: third.replyId });
    expect(after.ownPresence).toEqual({ show: "away", status: "lunch" });
    expect(after.ownAvatar).toEqual({ type: "image/png", bytes: 68 });

    // Ids go on from where the last run stopped: none of the new ones is an old one.
    const next = await echoed(after, "four");
    const old = [first, second, third].flatMap((m) => [m.id, m.replyId]);
    expect(old).not.toContain(next.id);
    expect(old).not.toContain(next.replyId);
    expect(Number(next.id.split("-").at(-1))).toBe(7);
    // Before the temp dir goes: a save pending after it would be a warning.
    restarted.close();
  });

  it("keeps any username apart, even one that is a property name of every object", async () => {
    const file = stateFile();
    const network = new DemoNetwork({ stateFile: file });
    const { replyId } = await echoed(network.login("__proto__", "x"), "hi");
    network.close();
    const after = new DemoNetwork({ stateFile: file });
    const client = after.login("__proto__", "x");
    const reacted = once(client, "reaction");
    client.react("echo", replyId, ["👍"]);
    expect((await reacted)[0].id).toMatch(/^demo-__proto__-/);
    after.close();
  });

  it("a missing file is an empty network; logging in alone writes nothing", () => {
    const file = stateFile();
    const network = new DemoNetwork({ stateFile: file });
    network.login("romeo", "x").logout();
    network.close();
    expect(readdirSync(join(file, ".."))).toEqual([]);
  });

  it("coalesces a burst of 1000 messages into one write, off the message path", async () => {
    const writes: string[] = [];
    const network = new DemoNetwork({ stateFile: stateFile(), write: (_file, text) => writes.push(text) });
    const client = network.login("romeo", "x");
    for (let i = 0; i < 1000; i++) client.sendMessage("alice", `message ${i}`);
    expect(writes).toHaveLength(0);
    // The same presence again is no change.
    client.setOwnPresence("online");
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(writes).toHaveLength(1);
    expect(Object.keys(JSON.parse(writes[0]!).accounts.romeo.sent)).toHaveLength(1000);
    network.flush();
    expect(writes).toHaveLength(1);
    client.setOwnPresence("away");
    network.close();
    expect(writes).toHaveLength(2);
    // Closed: later changes stay in memory.
    client.setOwnPresence("online");
    network.flush();
    expect(writes).toHaveLength(2);
  });

  it("writes the file owner-only, through a .tmp renamed over it, versioned", async () => {
    const file = stateFile();
    // As a kill in the middle of a write leaves it: the next write must not keep its mode.
    writeFileSync(`${file}.tmp`, "half", { mode: 0o644 });
    const network = new DemoNetwork({ stateFile: file });
    const client = network.login("romeo", "x");
    const { id, replyId } = await echoed(client, "hi");
    network.flush();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(file, ".."))).toEqual([DEMO_STATE_FILE]);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      version: 1,
      accounts: {
        romeo: {
          nextId: 3,
          sent: { [id]: { to: "echo", replyId } },
          presence: { show: "online" },
          avatar: null,
          nextSeq: 2,
          log: [{ seq: 1, from: "echo", id: replyId, text: "echo: hi", at: expect.any(Number) }],
        },
      },
    });
  });

  it("forgets the oldest messages past 1000, so the file stays bounded", async () => {
    const file = stateFile();
    const network = new DemoNetwork({ stateFile: file });
    const client = network.login("romeo", "x");
    const oldest = await echoed(client, "oldest");
    for (let i = 0; i < 1000; i++) client.sendMessage("bob", `message ${i}`);
    network.close();
    const restarted = new DemoNetwork({ stateFile: file }).login("romeo", "x");
    let mirrored = 0;
    restarted.on("reaction", () => mirrored++);
    restarted.react("echo", oldest.replyId, ["👍"]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(mirrored).toBe(0);
    expect(JSON.parse(readFileSync(file, "utf8")).accounts.romeo.sent).not.toHaveProperty(oldest.id);
  });

  it("refuses a corrupt or foreign file with an error that names it", () => {
    const file = stateFile();
    const refusal = (text: string) => {
      writeFileSync(file, text);
      try {
        new DemoNetwork({ stateFile: file });
      } catch (err) {
        expect(err).toBeInstanceOf(DemoStateError);
        expect((err as Error).message).toContain(file);
        return (err as Error).message;
      }
      throw new Error("no error");
    };
    expect(refusal(`{"version":1,"accounts":{`)).toMatch(/is not valid JSON/);
    expect(refusal(`[]`)).toMatch(/is not a demo network state/);
    expect(refusal(`{"version":2,"accounts":{}}`)).toMatch(/format version 2, this release reads 1/);
    expect(refusal(`{"version":1,"accounts":{"romeo":{"nextId":"x"}}}`)).toMatch(
      /account "romeo" is malformed/,
    );
  });

  it("a failed write is reported, and tried again at the next flush", () => {
    let failing = true;
    const writes: string[] = [];
    const errors: unknown[] = [];
    const network = new DemoNetwork({
      stateFile: stateFile(),
      write: (_file, text) => {
        if (failing) throw new Error("ENOSPC");
        writes.push(text);
      },
      onSaveError: (err) => errors.push(err),
    });
    const client = network.login("romeo", "x");
    client.sendMessage("alice", "hi");
    network.flush();
    expect(errors).toHaveLength(1);
    failing = false;
    network.flush();
    expect(writes).toHaveLength(1);
  });
});
