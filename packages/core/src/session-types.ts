import type { PresenceShow } from "@gangway/xmpp";

/** A presence the user's client sent, as `onPresence` receives it. */
export interface UserPresence {
  available: boolean;
  show?: PresenceShow | undefined;
  status?: string | undefined;
  /** The client's resource: with several clients online, the last one to change wins. */
  resource?: string | undefined;
}

/** The user's own picture, as `onAvatar` receives it. */
export interface UserAvatar {
  data: Uint8Array;
  type: string;
  /** SHA-1 hex, as XEP-0153 advertised it. */
  hash: string;
}

export type SearchColumns = ReadonlyArray<{ var: string; label: string }>;

/** What `onSearch` found: the columns (one of them `jid`, e.g. `contact.jid`) and one row per contact. */
export interface SearchResult {
  /** The columns; default: `jid` ("JID") and `name` ("Name"). */
  fields?: SearchColumns;
  items: ReadonlyArray<Record<string, string>>;
}

/** The answer of an app whose session does not implement `onSearch`. */
export const SEARCH_NOT_IMPLEMENTED_TEXT = "This gateway cannot search for contacts.";
