import { mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// One test that builds, publishes and installs every package (better-sqlite3 compiles from source): minutes.
export default mergeConfig(sharedTestConfig, { test: { testTimeout: 900_000, hookTimeout: 120_000 } });
