export { DemoContact, DemoGateway, DemoSession } from "./gateway.js";
export {
  DEMO_CONTACTS,
  DEMO_STATE_FILE,
  DemoAuthError,
  DemoClient,
  DemoNetwork,
  type DemoNetworkOptions,
  DemoStateError,
} from "./network.js";
export { DEMO_OPTIONS } from "./options.js";
