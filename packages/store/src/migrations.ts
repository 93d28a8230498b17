import { fileURLToPath } from "node:url";

/**
 * The committed drizzle-kit output. This module sits directly in `src/` (tests, `source` condition)
 * or `dist/` (published build), both siblings of `drizzle/`, so one relative URL serves both.
 */
export const migrationsFolder = fileURLToPath(new URL("../drizzle", import.meta.url));
