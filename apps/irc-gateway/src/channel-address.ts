import { XmppError } from "@gangway/core";

/**
 * IRC channels as room JIDs. The user joins `#chan@gateway`, or `#chan%server@gateway` naming the
 * server (biboumi's form): the gateway connects each user to the one server they registered with,
 * so the server part must be that one. The room's legacy id is the localpart as the user wrote it
 * (unescaped, lower-cased as XMPP servers fold localparts), so the room is found again by the JID
 * the user joined; the channel is what goes in JOIN and PRIVMSG.
 */
export interface ChannelAddress {
  /** The channel name sent to the server, e.g. `#chan`. */
  channel: string;
  /** The room's legacy id: `#chan` or `#chan%server`. */
  legacyId: string;
}

export interface ChannelRules {
  /** ISUPPORT CHANTYPES: the characters a channel name starts with. Default `#&`. */
  chanTypes?: string;
  /** ISUPPORT CHANNELLEN, in characters. Default 50 (RFC 2812). */
  maxLength?: number;
  /** The IRC server the user registered with (host name or address). */
  host: string;
}

/** The channel rules a server announced (ISUPPORT CHANTYPES, CHANNELLEN), or the defaults. */
export function channelRulesOf(
  network: { supports(token: string): unknown } | undefined,
  host: string,
): ChannelRules {
  const types = network?.supports("CHANTYPES");
  const length = Number(network?.supports("CHANNELLEN"));
  return {
    host,
    ...((Array.isArray(types) || typeof types === "string") && { chanTypes: [...types].join("") }),
    ...(Number.isInteger(length) && length > 0 && { maxLength: length }),
  };
}

/** What can follow `%` as a server: a host name with a dot, an IPv4/IPv6 address, or localhost. */
const SERVER_LIKE = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)+|localhost|\[?[0-9a-f:]+\]?)$/i;

/** Why `name` cannot be a channel, in words for the user (never the name itself), or undefined. */
export function channelProblem(name: string, rules: ChannelRules): string | undefined {
  const { chanTypes = "#&", maxLength = 50 } = rules;
  if (name.length < 2 || !chanTypes.includes(name[0] as string)) {
    return `An IRC channel name starts with one of ${[...chanTypes].join(" ")} and has a name after it.`;
  }
  // RFC 2812 §1.3: no space, control-G, comma; no control characters at all, to be safe.
  for (const char of name) {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || code === 0x7f) return "An IRC channel name cannot contain control characters.";
    if (char === " " || char === ",") return "An IRC channel name cannot contain spaces or commas.";
  }
  if ([...name].length > maxLength)
    return `This IRC server allows channel names of ${maxLength} characters at most.`;
  return undefined;
}

/**
 * The channel a room localpart (already unescaped) names, or undefined when it names none (it
 * does not start like a channel: a nick, say). Throws XmppError when it is a channel the gateway
 * cannot join: another server, or a name the server would refuse.
 */
export function channelFromLocalpart(local: string, rules: ChannelRules): ChannelAddress | undefined {
  const { chanTypes = "#&" } = rules;
  if (!chanTypes.includes(local[0] ?? "")) return undefined;
  const legacyId = local.toLowerCase();
  let channel = legacyId;
  const percent = legacyId.lastIndexOf("%");
  if (percent > 0) {
    const server = legacyId.slice(percent + 1);
    if (server === rules.host.toLowerCase()) channel = legacyId.slice(0, percent);
    else if (SERVER_LIKE.test(server)) {
      throw new XmppError(
        "item-not-found",
        "This gateway connects you to the IRC server you registered with only: join #channel@gateway, or name that server.",
      );
    }
    // Anything else after a % is part of the channel's name.
  }
  const problem = channelProblem(channel, rules);
  if (problem) throw new XmppError("not-acceptable", problem);
  return { channel, legacyId };
}
