import { defineConfig } from "drizzle-kit";

// Only used by `pnpm db:generate`: migrations are SQL files diffed from src/schema.ts, applied at runtime.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/schema.ts",
  out: "./drizzle",
});
