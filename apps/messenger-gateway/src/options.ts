import { defineOptions, option, z } from "@gangway/core";

/** The Messenger gateway's own options: a flag, a `GANGWAY_*` env var and a config-file key each. */
export const MESSENGER_OPTIONS = defineOptions({
  backend: option(
    z.enum(["fca", "fake"]).default("fca"),
    "the Messenger client behind the gateway: fca (Facebook, through @xaviabot/fca-unofficial: group threads and chats without end-to-end encryption) or fake (an in-memory Messenger with alice.fb and bob.fb, kept in the home dir, for trying the gateway and for tests)",
  ),
});
