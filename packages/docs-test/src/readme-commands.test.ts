import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { APPS, appOfCommand, helpOf, runApp } from "./apps.js";
import { flagsInTables, REPO_ROOT, readRepoFile, shellCommands } from "./markdown.js";

/** Every README and doc that shows a gateway's command line or its options. */
const DOCS = [
  "README.md",
  ...APPS.map((app) => `${app.dir}/README.md`),
  "docs/deployment/prosody.md",
  "docs/deployment/ejabberd.md",
  "docs/deployment/operations.md",
];

/** `--flag` words of a command line (a `--flag=value` counts as `--flag`). */
function flagsOf(args: readonly string[]): string[] {
  return args.filter((word) => /^--[a-z]/.test(word)).map((word) => word.split("=")[0]!);
}

/** Whether a help text lists the option (at the start of a line, as commander prints it). */
function lists(help: string, flag: string): boolean {
  return new RegExp(`^\\s+(?:-\\w, )?${flag}\\b`, "m").test(help);
}

describe("the commands the READMEs show", () => {
  it.each(APPS)("$command --help answers with its usage and exits 0", async (app) => {
    const result = await runApp(app, ["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage: ${app.command} \\[options\\]`));
  });

  const invocations = DOCS.flatMap((doc) =>
    shellCommands(readRepoFile(doc)).flatMap((line) => {
      const found = appOfCommand(line);
      return found ? [{ doc, line, ...found }] : [];
    }),
  );

  it("shows each app's command somewhere", () => {
    expect(new Set(invocations.map((invocation) => invocation.app.command))).toEqual(
      new Set(APPS.map((app) => app.command)),
    );
  });

  it.each(invocations)("$doc: `$line` uses only options its --help lists", async ({ app, args }) => {
    const help = await helpOf(app);
    expect(flagsOf(args).filter((flag) => !lists(help, flag))).toEqual([]);
  });

  const helpLines = invocations.filter(({ args }) => args.join(" ") === "--help");
  it.each(helpLines)("$doc: `$line` runs and exits 0", async ({ app }) => {
    const result = await runApp(app, ["--help"]);
    expect(result.code).toBe(0);
  });
});

describe("the option tables", () => {
  const shared = flagsInTables(readRepoFile("README.md"), ["option"]);

  it("the root README lists the options every app shares", () => {
    expect(shared).toEqual(expect.arrayContaining(["--jid", "--secret", "--home-dir", "--config"]));
  });

  it.each(APPS)("every option of the root README's table is an option of $command", async (app) => {
    const help = await helpOf(app);
    expect(shared.filter((flag) => !lists(help, flag))).toEqual([]);
  });

  it.each(APPS)("every option in $command's own README tables is an option of it", async (app) => {
    const own = flagsInTables(readRepoFile(`${app.dir}/README.md`), ["option"]);
    const help = await helpOf(app);
    expect(own.filter((flag) => !lists(help, flag))).toEqual([]);
  });

  it.each(APPS)(
    "every option $command prints in --help is in the root README's table or its own README",
    async (app) => {
      // The app's README documents its own: in an option table, or in prose as `--flag`.
      const readme = readRepoFile(`${app.dir}/README.md`);
      const own = [...readme.matchAll(/`(--[a-z][a-z0-9-]*)/g)].map((match) => match[1]!);
      const help = await helpOf(app);
      const printed = [...help.matchAll(/^\s+(?:-\w, )?(--[a-z][a-z0-9-]*)/gm)].map((match) => match[1]!);
      const documented = new Set([...shared, ...own, "--help", "--version"]);
      expect(printed.filter((flag) => !documented.has(flag))).toEqual([]);
    },
  );
});

describe("the apps' commands as installed", () => {
  it.each(APPS)("$command is a committed file that starts the built program", (app) => {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, app.dir, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    const target = manifest.bin[app.command];
    // A bin inside dist/ does not exist until `pnpm build`: pnpm install on a fresh clone warns.
    expect(target).toMatch(/^(\.\/)?bin\//);
    expect(readFileSync(join(REPO_ROOT, app.dir, target!), "utf8")).toContain('import "../dist/bin.js"');
  });
});
