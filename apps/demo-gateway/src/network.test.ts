import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { DemoAuthError, DemoNetwork } from "./network.js";

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
