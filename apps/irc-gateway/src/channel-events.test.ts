import { describe, expect, it } from "vitest";
import { channelTags } from "./channel-events.js";
import type { IrcRoom } from "./channel-room.js";

/** Client tags in a channel (servers with message-tags; ngIRCd has none, so no server test). */
describe("channelTags", () => {
  const calls: string[] = [];
  const participant = {
    chatState: async (state: string) => void calls.push(`state ${state}`),
    react: async (id: string, emojis: string[]) => void calls.push(`react ${id} ${emojis.join("")}`),
  };
  const room = { participantFor: (nick: string) => (nick === "alice" ? participant : undefined) };
  const rooms = { of: (channel: string) => (channel === "#chan" ? [room as unknown as IrcRoom] : []) };

  it("turns +typing into the occupant's chat states and +draft/react into a reaction to +draft/reply", async () => {
    calls.length = 0;
    await channelTags(rooms, { target: "#chan", nick: "alice", tags: { "+typing": "active" } });
    await channelTags(rooms, { target: "#chan", nick: "alice", tags: { "+typing": "paused" } });
    await channelTags(rooms, { target: "#chan", nick: "alice", tags: { "+typing": "done" } });
    await channelTags(rooms, {
      target: "#chan",
      nick: "alice",
      tags: { "+draft/react": "👍", "+draft/reply": "msg-1" },
    });
    expect(calls).toEqual(["state composing", "state paused", "state active", "react msg-1 👍"]);
  });

  it("ignores tags from someone not in the channel, a reaction without its target, other channels", async () => {
    calls.length = 0;
    await channelTags(rooms, { target: "#chan", nick: "mallory", tags: { "+typing": "active" } });
    await channelTags(rooms, { target: "#chan", nick: "alice", tags: { "+draft/react": "👍" } });
    await channelTags(rooms, { target: "#other", nick: "alice", tags: { "+typing": "active" } });
    expect(calls).toEqual([]);
  });
});
