import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyMaterial, SecretBox } from "@gangway/store";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { loadGatewayConfig } from "../config/config.js";
import { tempDir } from "../testing/index.js";
import { KEY_FILE_NAME, loadSecretBox } from "./secret-key.js";

const logger = pino({ level: "silent" });

async function configFor(env: NodeJS.ProcessEnv = {}) {
  const homeDir = tempDir("gangway-key-");
  return loadGatewayConfig({
    appName: "t",
    argv: ["--jid", "t.example.org", "--secret", "s", "--home-dir", homeDir],
    env,
  });
}

describe("loadSecretBox", () => {
  it("creates a 0600 key file on first start and reuses it afterwards", async () => {
    const config = await configFor();
    const first = await loadSecretBox(config, logger);
    const path = join(config.homeDir, KEY_FILE_NAME);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const second = await loadSecretBox(config, logger);
    expect(second.keyId).toBe(first.keyId);
    const sealed = first.seal("x", "c");
    expect(second.open(sealed, "c")).toBe("x");
    expect((await readFile(path, "utf8")).trim()).toHaveLength(44);
  });

  it("uses GANGWAY_SECRET_KEY instead of a file, with previous keys for rotation", async () => {
    const oldKey = generateKeyMaterial();
    const newKey = generateKeyMaterial();
    const config = await configFor({ GANGWAY_SECRET_KEY: newKey, GANGWAY_PREVIOUS_SECRET_KEYS: oldKey });
    const box = await loadSecretBox(config, logger);
    expect(box.keyId).toBe(SecretBox.fromMaterial(newKey).keyId);
    expect(box.open(SecretBox.fromMaterial(oldKey).seal("v", "c"), "c")).toBe("v");
    await expect(stat(join(config.homeDir, KEY_FILE_NAME))).rejects.toThrow(/ENOENT/);
  });

  it("keeps working with an existing key file whose mode is too open", async () => {
    const config = await configFor();
    const material = generateKeyMaterial();
    await writeFile(join(config.homeDir, KEY_FILE_NAME), material, { mode: 0o644 });
    const box = await loadSecretBox(config, logger);
    expect(box.keyId).toBe(SecretBox.fromMaterial(material).keyId);
  });
});
