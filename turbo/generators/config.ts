import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { PlopTypes } from "@turbo/gen";

/**
 * `pnpm gen:gateway <name>` (the @turbo/gen installed here) or `pnpm turbo gen gateway --args <name>`
 * (the @turbo/gen of turbo's own version, fetched with `pnpm dlx`): a new network app in
 * apps/<name>-gateway, a complete gateway on a fake in-memory network with its tests, to be turned
 * into a real one by replacing src/network.ts with the network's client library.
 *
 * @turbo/gen bundles this file with esbuild and runs it from here (turbo/generators), so the
 * template paths below are relative to this directory.
 */

/**
 * The name becomes a directory, a package name, a command (`gangway-<name>`), a class name
 * (PascalCase) and a CLI flag (`--<name>-server`): lowercase letters and digits, words joined by
 * single dashes, starting with a letter (a class name cannot start with a digit).
 */
const NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Why `name` cannot be used in the repository at `root`, or true. Plop shows the text as it is. */
export function nameProblem(name: string, root: string): string | true {
  if (name === "") return "Give the network's name, e.g. `pnpm gen:gateway matrix`.";
  if (!NAME.test(name)) {
    return `"${name}" is not a valid gateway name: use lowercase letters, digits and single dashes, starting with a letter (e.g. "my-network").`;
  }
  if (name === "gateway") return 'Name the network: "matrix" makes apps/matrix-gateway.';
  if (name.endsWith("-gateway")) {
    const network = name.slice(0, -"-gateway".length);
    return `Leave "-gateway" out of the name: "${network}" makes apps/${network}-gateway.`;
  }
  // Both are refused rather than overwritten: someone's work may be in them.
  for (const path of [`apps/${name}-gateway`, `.changeset/${name}-gateway.md`]) {
    if (existsSync(join(root, path))) return `${path} already exists: pick another name, or remove it first.`;
  }
  return true;
}

export default function generator(plop: PlopTypes.NodePlopAPI): void {
  plop.setGenerator("gateway", {
    description: "A new network app: apps/<name>-gateway on a fake network, with tests",
    prompts: [
      {
        type: "input",
        name: "name",
        message: 'Network name (lowercase, e.g. "matrix"; the app becomes apps/<name>-gateway):',
        // Also runs on `--args <name>`, so a bad name fails the non-interactive run too.
        validate: (input: string) => nameProblem(String(input ?? "").trim(), plop.getDestBasePath()),
        filter: (input: string) => String(input ?? "").trim(),
      },
    ],
    actions: [
      {
        type: "addMany",
        destination: "{{ turbo.paths.root }}/apps/{{ name }}-gateway",
        base: "templates/gateway",
        templateFiles: "templates/gateway/**/*",
        // Every template ends in .hbs, so neither biome nor tsc nor vitest picks the templates up.
        stripExtensions: ["hbs"],
        globOptions: { dot: true },
        abortOnFail: true,
      },
      // Apart: addMany strips ".hbs" only from names with another extension before it.
      {
        type: "add",
        path: "{{ turbo.paths.root }}/apps/{{ name }}-gateway/LICENSE",
        templateFile: "templates/LICENSE.hbs",
        abortOnFail: true,
      },
      {
        type: "add",
        path: "{{ turbo.paths.root }}/.changeset/{{ name }}-gateway.md",
        templateFile: "templates/changeset.md.hbs",
        abortOnFail: true,
      },
      // The templates are formatted for a short name; a long one pushes lines past biome's width,
      // so biome has the last word (its safe fixes, on the new app only).
      (answers) => {
        const root = plop.getDestBasePath();
        const biome = join(root, "node_modules", ".bin", "biome");
        if (!existsSync(biome)) return "biome is not installed (pnpm install): the new app is not formatted";
        try {
          execFileSync(biome, ["check", "--write", `apps/${answers.name}-gateway`], {
            cwd: root,
            stdio: "pipe",
          });
        } catch (err) {
          // What biome could not fix is a template bug: fail loudly, with biome's own report.
          const report = String((err as { stdout?: unknown }).stdout ?? err);
          throw new Error(`biome check of apps/${answers.name}-gateway failed:\n${report}`);
        }
        return "formatted with biome";
      },
      (answers) =>
        [
          `apps/${answers.name}-gateway is ready. Next:`,
          "  pnpm install",
          `  pnpm --filter @gangway/${answers.name}-gateway test`,
          `Then replace apps/${answers.name}-gateway/src/network.ts by the network's client library (see its README).`,
        ].join("\n"),
    ],
  });
}
