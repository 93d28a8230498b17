import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// One test that installs, builds and tests a whole app: minutes, not the shared 30 s.
export default mergeConfig(sharedTestConfig, { test: { testTimeout: 300_000 } });
