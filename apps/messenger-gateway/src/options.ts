import { defineOptions, option, z } from "@gangway/core";

/** The Messenger gateway's own options: a flag, a `GANGWAY_*` env var and a config-file key each. */
export const MESSENGER_OPTIONS = defineOptions({
  backend: option(
    // The `fca` adapter (a Messenger client library) comes next; until then only the fake cloud runs.
    z.enum(["fake"]).default("fake"),
    "the Messenger client behind the gateway: fake (an in-memory Messenger with alice.fb and bob.fb, kept in the home dir)",
  ),
});
