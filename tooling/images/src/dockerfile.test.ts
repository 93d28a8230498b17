import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { APP_DIR_IN_IMAGE, DATA_DIR_IN_IMAGE, ENTRYPOINT_SCRIPT, imageConfig } from "./build-images.js";
import { NODE_LTS_VERSION } from "./node-lts.js";
import { IMAGE_USER, NODE_PATH_IN_IMAGE } from "./rootfs.js";

/** The Dockerfile is not built in CI (no registry): these keep its settings equal to the buildah build's. */
const dockerfile = await readFile(fileURLToPath(new URL("../Dockerfile", import.meta.url)), "utf8");
const repoRoot = new URL("../../../", import.meta.url);
const rootPackage = JSON.parse(await readFile(new URL("package.json", repoRoot), "utf8")) as {
  packageManager: string;
};
const workspace = await readFile(new URL("pnpm-workspace.yaml", repoRoot), "utf8");

/** The Dockerfile's instructions, continuation lines joined. */
const instructions = dockerfile
  .replace(/\\\n/g, " ")
  .split("\n")
  .filter((line) => /^[A-Z]+ /.test(line));
const instruction = (name: string): string[] =>
  instructions
    .filter((line) => line.startsWith(`${name} `))
    .map((line) => line.slice(name.length + 1).trim());

/** `buildah config` options as pairs: ["--user", "10001:10001"] → ["user", "10001:10001"]. */
const buildahSettings = (() => {
  const options = imageConfig({
    id: "demo-gateway",
    packageName: "@gangway/demo-gateway",
    bin: "b.js",
    binName: "b",
  });
  const pairs: [string, string][] = [];
  for (let i = 0; i < options.length; i += 2) pairs.push([(options[i] ?? "").slice(2), options[i + 1] ?? ""]);
  return pairs;
})();
const buildah = (name: string): string[] =>
  buildahSettings.filter(([key]) => key === name).map(([, value]) => value);

describe("Dockerfile", () => {
  it("uses the same Node LTS, pnpm and turbo versions as the buildah build and the workspace", () => {
    expect(instruction("ARG")).toContain(`NODE_VERSION=${NODE_LTS_VERSION}`);
    expect(dockerfile).toContain(`pnpm@${rootPackage.packageManager.split("@")[1]}`);
    const turbo = /^\s*turbo: (\S+)$/m.exec(workspace)?.[1];
    expect(turbo).toBeDefined();
    expect(dockerfile).toContain(`turbo@${turbo}`);
  });

  it("ends in the same user, working dir, volume, environment and entrypoint", () => {
    expect(instruction("USER")).toEqual([`${IMAGE_USER.uid}:${IMAGE_USER.gid}`]);
    expect(buildah("user")).toEqual([`${IMAGE_USER.uid}:${IMAGE_USER.gid}`]);
    expect(instruction("WORKDIR").at(-1)).toBe(DATA_DIR_IN_IMAGE);
    expect(buildah("workingdir")).toEqual([DATA_DIR_IN_IMAGE]);
    expect(instruction("VOLUME")).toEqual([DATA_DIR_IN_IMAGE]);
    expect(buildah("volume")).toEqual([DATA_DIR_IN_IMAGE]);
    const dockerEnv = instruction("ENV")
      .flatMap((line) => line.split(/\s+/))
      .sort();
    expect(dockerEnv).toEqual(buildah("env").sort());
    const entrypoint = [NODE_PATH_IN_IMAGE, `${APP_DIR_IN_IMAGE}/${ENTRYPOINT_SCRIPT}`];
    expect(JSON.parse(instruction("ENTRYPOINT")[0] ?? "null")).toEqual(entrypoint);
    expect(JSON.parse(buildah("entrypoint")[0] ?? "null")).toEqual(entrypoint);
  });

  it("has two stages in the result: the scratch base and the app on top", () => {
    const froms = instruction("FROM");
    expect(froms.at(-2)).toBe("scratch AS base");
    expect(froms.at(-1)).toBe("base");
    expect(instruction("COPY").at(-1)).toBe(`--from=build ${APP_DIR_IN_IMAGE} ${APP_DIR_IN_IMAGE}`);
  });
});
