import { defineOptions, option, z } from "@gangway/core";
import { parseIrcServer } from "./config.js";

/** The IRC gateway's own options: `--irc-server`, `GANGWAY_IRC_SERVER`, config-file key `irc-server`. */
export const IRC_OPTIONS = defineOptions({
  "irc-server": option(
    z.string().transform(parseIrcServer).optional(),
    "pin one IRC server for every user, host:port[:plain] (TLS unless :plain); the registration form then asks only for a nickname and password",
  ),
});
