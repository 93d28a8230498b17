import { readFile, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { generateKeyMaterial, SecretBox } from "@gangway/store";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/config.js";

export const KEY_FILE_NAME = "secret.key";

/**
 * The key that seals users' credentials at rest: `--secret-key` when given, otherwise a key file
 * in the home dir, created with mode 0600 on first start. Losing the key file means losing every
 * user's stored credentials (they have to register again), so operators back it up with the data.
 */
export async function loadSecretBox(config: GatewayConfig, logger: Logger): Promise<SecretBox> {
  if (config.secretKey) return SecretBox.fromMaterial(config.secretKey, config.previousSecretKeys);
  const path = join(config.homeDir, KEY_FILE_NAME);
  let material: string;
  try {
    material = await readFile(path, "utf8");
    const mode = (await stat(path)).mode & 0o777;
    if (mode & 0o077)
      logger.warn(
        { path, mode: mode.toString(8) },
        "the secret key file is readable by others: chmod 600 it",
      );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    material = generateKeyMaterial();
    // `wx`: never overwrite a key another process just created.
    await writeFile(path, `${material}\n`, { mode: 0o600, flag: "wx" });
    logger.info({ path }, "created a new secret key file; back it up with the database");
  }
  return SecretBox.fromMaterial(material, config.previousSecretKeys);
}
