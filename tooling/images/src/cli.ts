#!/usr/bin/env node
// `pnpm images [app…]`: builds dist/images/<app>.oci.tar for the named gateway apps (default: all).
import { fileURLToPath } from "node:url";
import { buildImages, formatReport } from "./build-images.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const apps = process.argv.slice(2).filter((arg) => arg !== "--");
try {
  const result = await buildImages({
    repoRoot,
    apps,
    log: (line) => process.stderr.write(`images: ${line}\n`),
  });
  process.stdout.write(`${formatReport(result)}\n`);
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
