import { defineConfig } from "vitest/config";

/**
 * Every workspace's vitest config extends this. The `source` export condition makes
 * workspace packages resolve to their TypeScript sources, so tests never run against a stale dist.
 */
export const sharedTestConfig = defineConfig({
  resolve: { conditions: ["source"] },
  ssr: { resolve: { conditions: ["source"], externalConditions: ["source"] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    restoreMocks: true,
    include: ["src/**/*.test.ts"],
  },
});
