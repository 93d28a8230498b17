import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type ProsodyServer, runSlixmppClient, startProsody } from "@gangway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FileStep, freePort, runFileClient, sampleRss } from "./files-support.js";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, tempDataDir } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * A server without an upload service (Prosody with no http_file_share component), and the real
 * `gangway-demo` told to serve files itself (--file-http-port, --file-http-url): a slixmpp client
 * gets alice's `/photo` and `/album` as OOB + SFS messages whose links point at the gateway, and
 * downloads the same bytes from there, with the headers the endpoint promises.
 */

const ALICE = `alice@${GW}`;

const cleanups = new Cleanups();
let prosody: ProsodyServer;
let gateway: GatewayProcess;
let fileDir: string;
let base: string;
const client = (steps: FileStep[]) => runFileClient(prosody, "dave@localhost", "pw", steps);

beforeAll(async () => {
  prosody = await startProsody({ componentDomain: GW, upload: false });
  cleanups.add(() => prosody.stop());
  const dir = await tempDataDir(cleanups);
  fileDir = join(dir, "served");
  const database = await createTestDatabase("sqlite", cleanups);
  const port = await freePort();
  base = `http://127.0.0.1:${port}/files`;
  gateway = startGatewayProcess(
    cleanups,
    [
      ...database.cliArgs,
      "--file-http-port",
      String(port),
      "--file-http-url",
      base,
      "--file-dir",
      fileDir,
      "--file-ttl",
      "1h",
    ],
    { GANGWAY_JID: GW, GANGWAY_SECRET: prosody.componentSecret, GANGWAY_PORT: String(prosody.componentPort) },
  );
  await gateway.waitForOutput(/"msg":"gateway running"/);
  const registration = await runSlixmppClient({
    server: prosody,
    jid: "dave@localhost",
    password: "pw",
    registerAccount: true,
    registerGateway: GW,
    gatewayFields: { username: "dave", password: "S3cr3t-Xy7q" },
    waitForPresence: { from: GW, status: "Logged in as dave" },
    timeoutMs: 15_000,
  });
  expect(registration.errors, registration.stderr).toEqual([]);
}, 60_000);
afterAll(() => cleanups.run());

const LINK = /^http:\/\/127\.0\.0\.1:\d+\/files\/[\w-]{22}\/\d+\/[\w-]{43}\/[\w.-]+$/;

describe("files served by the gateway itself when the server has no upload service", () => {
  it("/photo: alice's picture comes as OOB + SFS pointing at the gateway, the same bytes downloaded from there", async () => {
    const run = await client([{ say: "/photo", to: ALICE, expect: "file", caption: true }]);
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [photo] = run.steps;
    expect(photo!.body).toMatch(LINK);
    expect(photo!.body!.startsWith(`${base}/`)).toBe(true);
    expect(photo!.oob).toBe(photo!.body);
    expect(photo!.sfs).toMatchObject({
      name: "sky.png",
      media_type: "image/png",
      width: "96",
      source: photo!.body,
    });
    expect(photo!.sha256).toBe(photo!.sfs!.hash);
    expect(photo!.size).toBe(Number(photo!.sfs!.size));
    expect(photo!.headers).toMatchObject({
      "content-type": "image/png",
      "content-length": photo!.sfs!.size,
      "content-disposition": `inline; filename="sky.png"; filename*=UTF-8''sky.png`,
      "x-content-type-options": "nosniff",
    });
    expect(photo!.caption).toBe("A picture from Alice: the sky over the demo network");
    // On disk: the file and its metadata, nothing else (no partial write left behind).
    expect((await readdir(fileDir)).filter((name) => name.endsWith(".part"))).toEqual([]);
    expect(gateway.stdout).toContain('"msg":"serving files at the gateway\'s own endpoint"');

    // A link whose signature was changed is not found, and says nothing more.
    const tampered = photo!.body!.replace(
      /\/([\w-])([\w-]{42})\//,
      (_, first: string, rest: string) => `/${first === "A" ? "B" : "A"}${rest}/`,
    );
    const response = await fetch(tampered);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("Not found\n");
  }, 60_000);

  it("/album: two pictures, each its own message with its own link, then one caption", async () => {
    const run = await client([{ say: "/album", to: ALICE, expect: "file", files: 2, caption: true }]);
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [album] = run.steps;
    expect(album!.album!.map((item) => item.sfs!.name)).toEqual(["day.png", "night.png"]);
    for (const item of album!.album!) {
      expect(item.body).toMatch(LINK);
      expect(item.sha256).toBe(item.sfs!.hash);
      expect(item.headers["content-type"]).toBe("image/png");
    }
    expect(album!.album![0]!.sha256).not.toBe(album!.album![1]!.sha256);
    expect(album!.caption).toBe("Day and night over the demo network");
  }, 60_000);

  it("/file 20: 20 MiB streamed to disk and served back, ranges too; the gateway's RSS is sampled meanwhile", async () => {
    const rss = sampleRss(gateway.pid);
    const run = await client([{ say: "/file 20", to: ALICE, expect: "file" }]);
    const memory = rss.stop();
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [file] = run.steps;
    expect(file!.size).toBe(20 * 1024 * 1024);
    expect(file!.sha256).toBe(file!.sfs!.hash);
    expect(file!.headers!["content-disposition"]).toMatch(/^attachment; filename="data-20MiB\.bin"/);
    const part = await fetch(file!.body!, { headers: { Range: "bytes=1048576-1048585" } });
    expect(part.status).toBe(206);
    // Byte i of MiB m is (i + m) mod 251 (demoFileChunks): MiB 1 starts at 1.
    expect([...new Uint8Array(await part.arrayBuffer())]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    console.info(
      `[files-endpoint] gateway RSS before ${memory.beforeMiB} MiB, peak ${memory.peakMiB} MiB (+${memory.addedMiB}) ` +
        `over ${memory.samples} samples; alice's 20 MiB stored and downloaded in ${file!.seconds.toFixed(2)} s`,
    );
  }, 120_000);
});
