export {
  type ChannelAddress,
  type ChannelRules,
  channelFromLocalpart,
  channelProblem,
  channelRulesOf,
} from "./channel-address.js";
export { listenToChannels } from "./channel-events.js";
export {
  isPrefixMode,
  type OccupantAffiliation,
  type OccupantRole,
  type OccupantStanding,
  prefixChanges,
  standingFor,
} from "./channel-modes.js";
export { type ChannelMember, ChannelRooms, type ChannelSession, IrcRoom } from "./channel-room.js";
export {
  DEFAULT_TLS_PORT,
  type IrcServer,
  isValidHost,
  parseIrcServer,
  parsePort,
} from "./config.js";
export {
  ANSWERED_CTCP,
  answerCtcp,
  CTCP_DELIMITER,
  type CtcpMessage,
  ctcpVersionText,
  formatAction,
  formatCtcp,
  parseAction,
  parseCtcp,
} from "./ctcp.js";
export {
  IRC_FORMAT,
  ircFormattingCodeLength,
  ircToXmpp,
  parseStylingSpans,
  type StylingStyle,
  stripIrcFormatting,
  xmppToIrc,
} from "./formatting.js";
export { IrcContact, IrcGateway, IrcSession, VERSION } from "./gateway.js";
export { connectIrc, type IrcConnectOptions } from "./irc-connection.js";
export {
  type AlternativeNickOptions,
  alternativeNicks,
  type CaseMapping,
  caseMappingFromIsupport,
  isValidNick,
  type NickRules,
  nickProblem,
  nicksEqual,
  normalizeNick,
} from "./nicks.js";
export { IRC_OPTIONS } from "./options.js";
export {
  IRC_REGISTRATION_FIELDS,
  type IrcAccount,
  ircAccountFromForm,
  PASSWORD_LABEL,
  registrationFields,
} from "./registration-fields.js";
export {
  IRC_LINE_BYTES,
  type IrcPayloadBudgetOptions,
  ircPayloadBudget,
  type SplitOptions,
  splitForIrc,
} from "./split.js";
