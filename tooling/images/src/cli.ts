#!/usr/bin/env node
// `pnpm images [app…]`: builds dist/images/<app>.oci.tar for the named gateway apps (default: all).
import { fileURLToPath } from "node:url";
import { buildImages, formatReport } from "./build-images.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const apps = process.argv.slice(2).filter((arg) => arg !== "--");
try {
  const result = await buildImages({ repoRoot, apps, log: (line) => console.error(`images: ${line}`) });
  console.log(formatReport(result));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
