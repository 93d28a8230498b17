export { DemoContact, DemoGateway, DemoRoster, DemoSession, network } from "./gateway.js";
export { DEMO_CONTACTS, DemoAuthError, DemoClient, DemoNetwork } from "./network.js";
export { DEMO_OPTIONS } from "./options.js";
