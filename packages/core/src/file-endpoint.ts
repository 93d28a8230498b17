import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { keyFromMaterial } from "@gangway/store";
import { KEY_FILE_NAME, loadSecretBox } from "./cli/secret-key.js";
import { fileLinkKey } from "./file-links.js";
import { GatewayFileServer } from "./file-server.js";
import { filesOf } from "./file-share.js";
import type { GatewayHost } from "./host.js";

/**
 * Starts the gateway's own file endpoint when the operator turned it on (--file-http-port), and
 * makes it the place files go when the server has no upload service. Its links are signed with a
 * key derived from the gateway's secret key (--secret-key, else the key file in the home dir), so
 * they stay valid across restarts and die with a key rotation.
 */
export async function startFileEndpoint(host: GatewayHost): Promise<GatewayFileServer | undefined> {
  const { fileHttp } = host.config;
  if (!fileHttp) return undefined;
  const server = await GatewayFileServer.start(fileHttp, fileLinkKey(await secretKeyOf(host)), host.log);
  filesOf(host).serveWith(server);
  return server;
}

async function secretKeyOf(host: GatewayHost): Promise<Buffer> {
  const { config } = host;
  if (config.secretKey) return keyFromMaterial(config.secretKey);
  // Creates the key file if the store was opened without one (as the runner does at startup).
  await loadSecretBox(config, host.log);
  return keyFromMaterial(await readFile(join(config.homeDir, KEY_FILE_NAME), "utf8"));
}
