/**
 * The `fca` backend: `new FcaMessengerClient(options?)` is a MessengerClient over
 * `@xaviabot/fca-unofficial@1.4.0`. See FcaClientOptions for what can be injected (the library's
 * `login`, the shared checkpoint store, `fetch`, size limits) and the README's "The fca backend".
 */
export { FCA_REACTIONS, type FcaClientOptions, FcaMessengerClient } from "./fca-client.js";
export { FCA_OPTIONS, FcaCheckpoints, parseAppState, sharedFcaCheckpoints } from "./fca-login.js";
export type { FcaApi, FcaLoginFunction } from "./fca-types.js";
