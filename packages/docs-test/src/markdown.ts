import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root, from this file (src/ or dist/ of packages/docs-test). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), "utf8");
}

/**
 * The fenced code block that follows the HTML comment `<!-- gangway-docs: <name> … -->` in a
 * Markdown file: the docs mark the blocks a test runs, so prose can move around them freely.
 */
export function markedBlock(markdown: string, name: string): string {
  const marker = `<!-- gangway-docs: ${name}`;
  const at = markdown.indexOf(marker);
  if (at < 0) throw new Error(`no block marked "${name}"`);
  if (markdown.indexOf(marker, at + marker.length) >= 0) throw new Error(`two blocks marked "${name}"`);
  const fence = /^```[a-z]*\n([\s\S]*?)^```$/m.exec(markdown.slice(at));
  if (!fence?.[1]) throw new Error(`no fenced block after the marker "${name}"`);
  return fence[1];
}

export interface Replacement {
  /** What the docs say (a string is replaced everywhere it occurs). */
  from: string | RegExp;
  to: string;
}

/**
 * Applies each replacement, every one of which must match: a doc whose shape changed fails here
 * instead of being started half-substituted (e.g. on a production port).
 */
export function substitute(text: string, replacements: readonly Replacement[]): string {
  let result = text;
  for (const { from, to } of replacements) {
    const pattern =
      typeof from === "string"
        ? new RegExp(from.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "g")
        : new RegExp(from.source, from.flags.includes("g") ? from.flags : `${from.flags}g`);
    if (!pattern.test(result)) throw new Error(`the documented config no longer contains ${String(from)}`);
    pattern.lastIndex = 0;
    result = result.replace(pattern, () => to);
  }
  return result;
}

/**
 * The `--flags` a Markdown table lists in its first column, for tables whose first header cell is
 * one of `headers` (e.g. "option"). Cells like `` `--jid` `` and `` `--irc-server` (app) `` count.
 */
export function flagsInTables(markdown: string, headers: readonly string[]): string[] {
  const flags: string[] = [];
  let inTable = false;
  for (const line of markdown.split("\n")) {
    const cells = line.trim().startsWith("|") ? line.split("|").slice(1, -1) : undefined;
    if (!cells) {
      inTable = false;
      continue;
    }
    const first = (cells[0] ?? "").trim();
    if (headers.includes(first.toLowerCase())) {
      inTable = true;
      continue;
    }
    if (!inTable || /^:?-+:?$/.test(first)) continue;
    for (const match of first.matchAll(/`(--[a-z][a-z0-9-]*)/g)) flags.push(match[1]!);
  }
  return flags;
}

/** Lines of the fenced `sh` blocks of a Markdown file, comments and blank lines dropped. */
export function shellCommands(markdown: string): string[] {
  const commands: string[] = [];
  for (const block of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.split("\n")) {
      const command = line.replace(/\s+#.*$/, "").trim();
      if (command && !command.startsWith("#")) commands.push(command);
    }
  }
  return commands;
}
