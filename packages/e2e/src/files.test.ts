import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { renderQrPng } from "@gangway/registration";
import { type ProsodyServer, runSlixmppClient, startProsody } from "@gangway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type FileStep,
  freePort,
  madeUpFile,
  type RssSampler,
  runFileClient,
  sampleRss,
} from "./files-support.js";
import { type GatewayProcess, startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, tempDataDir } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * Files both ways through a real Prosody with mod_http_file_share and a real slixmpp client,
 * against the real `gangway-demo` executable. The gateway is given no --upload-service: it finds
 * the server's (disco#items). The client uploads to its own server with slixmpp's XEP-0363 plugin
 * and sends the URL as body + OOB; echo streams it back through the gateway; alice sends files on
 * `/photo` and `/file <MiB>`. The gateway's RSS is sampled during the 20 MB transfers (reported,
 * not asserted).
 */

const ECHO = `echo@${GW}`;
const ALICE = `alice@${GW}`;
const MIB = 1024 * 1024;
/** --max-file-bytes: under Prosody's 32 MiB, so the gateway's own limit is the one that shows. */
const MAX_FILE_BYTES = 24 * MIB;
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");

const cleanups = new Cleanups();
let prosody: ProsodyServer;
let gateway: GatewayProcess;
let dir: string;
let deadPort: number;
const client = (steps: FileStep[]) => runFileClient(prosody, "carol@localhost", "pw", steps);

beforeAll(async () => {
  prosody = await startProsody({ componentDomain: GW, uploadSizeLimit: 32 * MIB });
  cleanups.add(() => prosody.stop());
  dir = await tempDataDir(cleanups);
  const database = await createTestDatabase("sqlite", cleanups);
  // A port nothing listens on, allowed like the upload service: the "unreachable" case.
  deadPort = await freePort();
  gateway = startGatewayProcess(
    cleanups,
    [
      ...database.cliArgs,
      "--allow-file-host",
      `127.0.0.1:${prosody.httpPort},127.0.0.1:${deadPort}`,
      "--max-file-bytes",
      String(MAX_FILE_BYTES),
      "--file-timeout",
      "5",
    ],
    { GANGWAY_JID: GW, GANGWAY_SECRET: prosody.componentSecret, GANGWAY_PORT: String(prosody.componentPort) },
  );
  await gateway.waitForOutput(/"msg":"gateway running"/);
  const registration = await runSlixmppClient({
    server: prosody,
    jid: "carol@localhost",
    password: "pw",
    registerAccount: true,
    registerGateway: GW,
    gatewayFields: { username: "carol", password: "S3cr3t-Xy7q" },
    waitForPresence: { from: GW, status: "Logged in as carol" },
    timeoutMs: 15_000,
  });
  expect(registration.errors, registration.stderr).toEqual([]);
}, 60_000);
afterAll(() => cleanups.run());

describe("files through Prosody's mod_http_file_share and slixmpp", () => {
  it("a picture sent to echo comes back inline (body = OOB URL = SFS source) with the same bytes", async () => {
    const png = await renderQrPng("a picture for echo");
    const path = join(dir, "picture.png");
    await writeFile(path, png);
    const run = await client([{ upload: path, type: "image/png", to: ECHO, expect: "file", caption: true }]);
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [back] = run.steps;
    expect(back!.oob).not.toBe(back!.sent_url); // re-uploaded by the gateway, not the user's URL
    expect(back!.body).toBe(back!.oob);
    expect(back!.sfs).toMatchObject({
      name: "picture.png",
      media_type: "image/png",
      size: String(png.length),
      hash: sha256(png),
      source: back!.oob,
    });
    expect(back!.sha256).toBe(sha256(png));
    expect(back!.caption).toBe("echo: picture.png");
    // It found the server's upload service itself.
    expect(gateway.stdout).toContain(
      '"service":"upload.localhost","msg":"found the server\'s upload service"',
    );
  }, 60_000);

  it("/photo: alice sends a PNG with a caption", async () => {
    const run = await client([{ say: "/photo", to: ALICE, expect: "file", caption: true }]);
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [photo] = run.steps;
    expect(photo!.sfs).toMatchObject({ name: "sky.png", media_type: "image/png", width: "96" });
    expect(photo!.sha256).toBe(photo!.sfs!.hash);
    expect(photo!.caption).toBe("A picture from Alice: the sky over the demo network");
  }, 60_000);

  it("20 MB both ways: to echo and back, and from alice; the gateway's RSS is sampled meanwhile", async () => {
    const path = join(dir, "twenty.bin");
    const sent = await madeUpFile(path, 20_000_000);
    const rss: RssSampler = sampleRss(gateway.pid);
    const run = await client([
      { upload: path, type: "application/octet-stream", to: ECHO, expect: "file", caption: true },
      { say: "/file 20", to: ALICE, expect: "file" },
    ]);
    const memory = rss.stop();
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [echoed, fromAlice] = run.steps;
    expect(echoed!.size).toBe(20_000_000);
    expect(echoed!.sha256).toBe(sent);
    expect(echoed!.sfs!.hash).toBe(sent);
    expect(fromAlice!.size).toBe(20 * MIB);
    expect(fromAlice!.sha256).toBe(fromAlice!.sfs!.hash);
    console.info(
      `[files] gateway RSS before ${memory.beforeMiB} MiB, peak ${memory.peakMiB} MiB (+${memory.addedMiB}) ` +
        `over ${memory.samples} samples; echo round trip ${echoed!.seconds.toFixed(2)} s, ` +
        `alice's 20 MiB ${fromAlice!.seconds.toFixed(2)} s`,
    );
  }, 180_000);

  it("over --max-file-bytes: a text from alice naming the file and its link, an error for the user's", async () => {
    const path = join(dir, "too-big.bin");
    await madeUpFile(path, 26 * MIB);
    const run = await client([
      { say: "/file 30", to: ALICE, expect: "text" },
      { upload: path, type: "application/octet-stream", to: ECHO, expect: "error" },
    ]);
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    const [text, refused] = run.steps;
    expect(text!.body).toBe(
      "data-30MiB.bin (30 MiB) is larger than this gateway passes on (at most 24 MiB): https://demo.invalid/files/data-30MiB.bin",
    );
    expect(refused!.error).toEqual({
      condition: "not-acceptable",
      text: `The file could not be passed on: it is larger than this gateway passes on (${MAX_FILE_BYTES} bytes).`,
    });
  }, 120_000);

  it("an unreachable URL, a private address and a wrong content type each get a clear error", async () => {
    const text = join(dir, "notes.txt");
    await writeFile(text, "not a picture\n");
    const run = await client([
      { url: `http://127.0.0.1:${deadPort}/gone.png`, to: ECHO, expect: "error" },
      { url: "http://10.255.255.1/secret.png", to: ECHO, expect: "error" },
      { upload: text, type: "text/plain", declare_type: "image/png", to: ECHO, expect: "error" },
    ]);
    expect(run.error, run.stderr + gateway.output()).toBeUndefined();
    expect(run.steps.map((step) => step.error)).toEqual([
      {
        condition: "remote-server-not-found",
        text: "The file could not be passed on: its server could not be reached.",
      },
      {
        condition: "forbidden",
        text: "The file could not be passed on: its address is private to the server's network.",
      },
      {
        condition: "not-acceptable",
        text: "The file could not be passed on: its server gives it another type than the message declared.",
      },
    ]);
  }, 60_000);
});
