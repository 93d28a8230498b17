#!/usr/bin/env node
// The command's entry point. Committed, unlike dist/, so that `pnpm install` on a fresh clone can
// link the command before `pnpm build` has made the program it starts.
import "../dist/bin.js";
