import { defineConfig } from "drizzle-kit";

// `pnpm db:generate`: SQL migrations diffed from the schema, committed, applied at runtime.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema/postgres.ts",
  // The migrations test points `out` at a copy (a path relative to this directory).
  out: process.env.GANGWAY_MIGRATIONS_OUT ?? "./drizzle/postgres",
});
