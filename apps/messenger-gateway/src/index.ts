export { FakeMessengerClient } from "./client/fake-client.js";
export {
  ALICE,
  BOB,
  CHECKPOINT_CODE,
  FAKE_CLOUD_FILE,
  FAKE_FRIENDS,
  FAKE_THREADS,
  FAMILY,
  FakeCloud,
  FakeCloudStateError,
} from "./client/fake-cloud.js";
export * from "./client/port.js";
export { MessengerContact, MessengerGateway, MessengerSession } from "./gateway.js";
export { MESSENGER_OPTIONS } from "./options.js";
