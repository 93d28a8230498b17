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
export { FILE_COMMANDS } from "./client/fake-world.js";
export * from "./client/port.js";
export { MessengerContact } from "./contact.js";
export { MessengerGateway } from "./gateway.js";
export { MESSENGER_OPTIONS } from "./options.js";
export { MessengerRoom } from "./room.js";
export { MessengerSession } from "./session.js";
