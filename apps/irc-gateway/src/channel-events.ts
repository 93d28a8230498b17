import type { Client, MessageEvent, TagmsgEvent } from "irc-framework";
import type { ChannelSession, IrcRoom } from "./channel-room.js";
import { ircToXmpp } from "./formatting.js";

type Relay = (what: string, work: () => Promise<void>) => void;

/**
 * Channel traffic from IRC to the rooms: JOIN, PART, QUIT, KICK, NICK as occupant presences,
 * names and modes as occupants and roles, TOPIC as the subject, channel PRIVMSG/NOTICE/ACTION as
 * groupchat messages from the occupant, `+typing` and `+draft/react` (message-tags) as chat
 * states and reactions.
 */
export function listenToChannels(session: ChannelSession, client: Client, relay: Relay): void {
  const rooms = session.channels;
  const forEach = (channel: string | undefined, act: (room: IrcRoom) => void) => {
    if (channel) for (const room of rooms.of(channel)) act(room);
  };
  const isChannel = (target: string) => client.network.isChannelName(target);
  const isSelf = (nick: string) => session.isOwnNick(nick);

  client.on("userlist", (event) => forEach(event.channel, (room) => room.namesReceived(event.users)));
  client.on("irc error", (event) => {
    if (event.channel) forEach(event.channel, (room) => room.serverRefused(event.error, event.reason));
  });
  client.on("join", (event) => {
    if (!isSelf(event.nick)) forEach(event.channel, (room) => room.memberJoined(event.nick));
  });
  client.on("part", (event) => {
    if (isSelf(event.nick)) forEach(event.channel, (room) => room.selfParted());
    else forEach(event.channel, (room) => room.memberLeft(event.nick, { message: event.message }));
  });
  client.on("kick", (event) => {
    if (isSelf(event.kicked)) {
      forEach(event.channel, (room) => relay("kick", () => room.kickedOut(event.nick, event.message)));
    } else {
      forEach(event.channel, (room) =>
        room.memberLeft(event.kicked, { kicked: true, reason: event.message }),
      );
    }
  });
  // QUIT and NICK name no channel: every room the nick is in.
  client.on("quit", (event) => {
    for (const room of rooms) room.memberLeft(event.nick, { message: event.message });
  });
  client.on("nick", (event) => {
    if (isSelf(event.nick) || isSelf(event.new_nick)) {
      // The server renamed us (or another client of ours did): joined clients see 303 then 110.
      for (const room of rooms) relay("own nick", () => room.renameUser(event.new_nick));
      return;
    }
    for (const room of rooms) room.memberRenamed(event.nick, event.new_nick);
  });
  client.on("mode", (event) => {
    if (isChannel(event.target)) forEach(event.target, (room) => room.modesChanged(event.modes));
  });
  // RPL_TOPIC on join (no nick), then RPL_TOPICWHOTIME; a TOPIC command names its setter.
  client.on("topic", (event) =>
    forEach(event.channel, (room) => {
      if (event.nick) relay("topic", () => room.setSubject(event.topic, event.nick));
      else room.subject = event.topic;
    }),
  );
  client.on("topicsetby", (event) =>
    forEach(event.channel, (room) => {
      room.subjectBy = event.nick;
    }),
  );

  const when = (event: { time: number | undefined }) =>
    event.time !== undefined && Date.now() - event.time > 5000 ? new Date(event.time) : undefined;
  const say = (event: MessageEvent, text: string) =>
    forEach(event.target, (room) => {
      const participant = event.from_server || !event.nick ? undefined : room.participantFor(event.nick);
      const at = when(event);
      const options = {
        ...(event.tags.msgid ? { id: event.tags.msgid } : {}),
        ...(at ? { when: at } : {}),
      };
      // From someone not on the channel (-n channels, services) or the server: said by the room.
      if (participant) relay("channel message", () => participant.sendText(text, options));
      else
        relay("channel message", () => room.sendText(event.nick ? `<${event.nick}> ${text}` : text, options));
    });
  client.on("privmsg", (event) => {
    if (isChannel(event.target)) say(event, ircToXmpp(event.message));
  });
  client.on("notice", (event) => {
    if (isChannel(event.target)) say(event, ircToXmpp(event.message));
  });
  client.on("action", (event) => {
    if (isChannel(event.target)) say(event, `/me ${ircToXmpp(event.message)}`);
  });
  client.on("tagmsg", (event) => {
    if (isChannel(event.target)) relay("channel tags", async () => channelTags(rooms, event));
  });
}

/** A channel TAGMSG (message-tags): `+typing` as the occupant's chat state, `+draft/react` as its reaction. */
export async function channelTags(
  rooms: { of(channel: string): Iterable<IrcRoom> },
  event: Pick<TagmsgEvent, "target" | "nick" | "tags">,
): Promise<void> {
  for (const room of rooms.of(event.target)) {
    const participant = room.participantFor(event.nick);
    if (!participant) continue;
    const typing = event.tags["+typing"];
    if (typing === "active") await participant.chatState("composing");
    else if (typing === "paused") await participant.chatState("paused");
    else if (typing === "done") await participant.chatState("active");
    const react = event.tags["+draft/react"];
    const reply = event.tags["+draft/reply"];
    if (react && reply) await participant.react(reply, [react]);
  }
}
