import { defineConfig, mergeConfig } from "vitest/config";
import { sharedTestConfig } from "../../vitest.shared.ts";

// One test file at a time: both build for the LTS Node, and the first install compiles
// better-sqlite3 for it (pnpm's side-effects cache then serves every later install).
export default mergeConfig(sharedTestConfig, defineConfig({ test: { fileParallelism: false } }));
