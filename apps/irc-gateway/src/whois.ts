import type { SearchResult } from "@gangway/core";
import type { Client } from "irc-framework";

/** WHOIS for one nick: what the server knows, or undefined (no such nick, or no answer in 10 s). */
export function whois(
  client: Client,
  nick: string,
): Promise<{ nick: string; real_name?: string } | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 10_000);
    client.whois(nick, (event) => {
      clearTimeout(timer);
      resolve(event.error ? undefined : event);
    });
  });
}

/** The search form's answer (XEP-0055 reported fields: JID, nickname, real name). */
export function whoisResult(items: { jid: string; nick: string; name: string }[]): SearchResult {
  return {
    fields: [
      { var: "jid", label: "JID" },
      { var: "nick", label: "Nickname" },
      { var: "name", label: "Real name" },
    ],
    items,
  };
}
