/** CTCP (https://modern.ircdocs.horse/ctcp): a PRIVMSG/NOTICE text between two `\x01`. */
export const CTCP_DELIMITER = "\x01";

export interface CtcpMessage {
  /** Upper-cased: CTCP commands are case-insensitive. */
  command: string;
  /** Everything after the first space ("" when there is none), as sent. */
  params: string;
}

/**
 * Parses a CTCP message, or returns `undefined` for ordinary text. The closing `\x01` is
 * optional, as the CTCP spec allows and some clients do; text after a closing `\x01` is ignored.
 * irc-framework only reports messages with both delimiters as `action`/`ctcp request`, so a
 * `privmsg` event can still carry one without the closing delimiter.
 */
export function parseCtcp(text: string): CtcpMessage | undefined {
  if (!text.startsWith(CTCP_DELIMITER)) return undefined;
  const close = text.indexOf(CTCP_DELIMITER, 1);
  const inner = text.slice(1, close === -1 ? undefined : close);
  const space = inner.indexOf(" ");
  const command = (space === -1 ? inner : inner.slice(0, space)).toUpperCase();
  if (command === "") return undefined;
  return { command, params: space === -1 ? "" : inner.slice(space + 1) };
}

/** Characters that would end the CTCP message or the IRC line early. */
const FORBIDDEN_IN_PARAMS: ReadonlySet<string> = new Set(["\x00", CTCP_DELIMITER, "\r", "\n"]);

/**
 * `\x01COMMAND params\x01`. The command must be a single token (letters, digits, `-`, `_`);
 * `\x01`, NUL, CR and LF are removed from the params since they would end the message or line.
 */
export function formatCtcp(command: string, params = ""): string {
  if (!/^[A-Za-z0-9_-]+$/.test(command)) {
    throw new TypeError(`not a CTCP command: ${JSON.stringify(command)}`);
  }
  const clean = [...params].filter((char) => !FORBIDDEN_IN_PARAMS.has(char)).join("");
  return `${CTCP_DELIMITER}${command.toUpperCase()}${clean ? ` ${clean}` : ""}${CTCP_DELIMITER}`;
}

/** A `/me` message: `\x01ACTION text\x01`. */
export function formatAction(text: string): string {
  return formatCtcp("ACTION", text);
}

/** The action text when `text` is a CTCP ACTION, otherwise `undefined`. */
export function parseAction(text: string): string | undefined {
  const ctcp = parseCtcp(text);
  return ctcp?.command === "ACTION" ? ctcp.params : undefined;
}

/** What the gateway answers to CTCP VERSION (also usable as irc-framework's `version` option). */
export function ctcpVersionText(version: string): string {
  return `Gangway IRC gateway ${version}`;
}

/** The CTCP requests `answerCtcp` answers, as CLIENTINFO lists them. */
export const ANSWERED_CTCP = ["ACTION", "CLIENTINFO", "PING", "VERSION"] as const;

/**
 * The reply (to send as a NOTICE to the requester) to a CTCP request, or `undefined` when it
 * gets none: VERSION → our version, PING → its argument echoed (the requester measures the
 * round trip with it), CLIENTINFO → what we understand. Everything else, including requests
 * that reveal the user (TIME, USERINFO, FINGER, SOURCE), is left unanswered on purpose.
 * Send the reply with `client.raw("NOTICE", nick, reply)` rather than `client.notice`, which
 * would cut a long PING echo and break the CTCP framing.
 */
export function answerCtcp(request: CtcpMessage, options: { version: string }): string | undefined {
  switch (request.command) {
    case "VERSION":
      return formatCtcp("VERSION", ctcpVersionText(options.version));
    case "PING":
      return formatCtcp("PING", request.params);
    case "CLIENTINFO":
      return formatCtcp("CLIENTINFO", ANSWERED_CTCP.join(" "));
    default:
      return undefined;
  }
}
