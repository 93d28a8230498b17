import { fileURLToPath } from "node:url";
import type { StoreDriverName } from "./options.js";

/**
 * The committed drizzle-kit output of one dialect. This module sits directly in `src/` (tests,
 * `source` condition) or `dist/` (published build), both siblings of `drizzle/`, so one relative
 * URL serves both.
 */
export function migrationsFolder(driver: StoreDriverName): string {
  return fileURLToPath(new URL(`../drizzle/${driver}`, import.meta.url));
}
