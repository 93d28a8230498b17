/**
 * The XMPP → legacy hooks, implemented once on the session with the chat as first argument; a
 * chat advertises in disco only those its session's class overrides (and `supports`).
 */
export const CHAT_HOOKS = [
  "onMessage",
  "onCorrect",
  "onRetract",
  "onReact",
  "onDisplayed",
  "onChatState",
  "onFile",
] as const;
export type ChatHook = (typeof CHAT_HOOKS)[number];
