import { join } from "node:path";
import { runSlixmppClient, startProsody } from "@gangway/testing";
import { bench, describe } from "vitest";
import { benchSize } from "./bench-support.js";
import { madeUpFile, runFileClient, sampleRss } from "./files-support.js";
import { startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, tempDataDir } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * File throughput through the demo gateway, both ways, and the gateway's peak RSS added while a
 * large file moves: `pnpm --filter @gangway/e2e exec vitest bench --run src/files.bench.ts` (or
 * `pnpm bench`). Needs Prosody with mod_http_file_share, python3-slixmpp and the workspace built.
 *
 * - XMPP → legacy → XMPP: slixmpp uploads SIZE MiB to its Prosody and sends the URL to echo; the
 *   gateway downloads it and re-uploads it as echo's answer in one stream. Timed from the message
 *   sent to echo's file message received (the gateway's whole transfer: download and upload, at
 *   the same time).
 * - legacy → XMPP: `/file SIZE` makes alice send SIZE MiB made up as it is read; timed from the
 *   command sent to alice's file message received (the upload, hashed on the way).
 * Each direction in turn, ROUNDS times; the gateway's RSS (/proc VmRSS) is sampled every 50 ms
 * from just before each transfer. Prints a markdown table and one `BENCH_JSON {…}` line; asserts
 * nothing about timings, but fails when bytes come back wrong. `GANGWAY_BENCH_QUICK=1`: 10 MiB.
 */

const SIZE_MIB = benchSize(100, 10);
const ROUNDS = benchSize(2, 1);
const MIB = 1024 * 1024;

interface Row {
  direction: string;
  seconds: number;
  mibPerSecond: number;
  rssBeforeMiB: number;
  rssPeakMiB: number;
  rssAddedMiB: number;
}

async function scenario(): Promise<void> {
  const cleanups = new Cleanups();
  try {
    const prosody = await startProsody({ componentDomain: GW, uploadSizeLimit: (SIZE_MIB + 8) * MIB });
    cleanups.add(() => prosody.stop());
    const dir = await tempDataDir(cleanups);
    const database = await createTestDatabase("sqlite", cleanups);
    const gateway = startGatewayProcess(
      cleanups,
      [
        ...database.cliArgs,
        "--allow-file-host",
        `127.0.0.1:${prosody.httpPort}`,
        "--max-file-bytes",
        String((SIZE_MIB + 1) * MIB),
      ],
      {
        GANGWAY_JID: GW,
        GANGWAY_SECRET: prosody.componentSecret,
        GANGWAY_PORT: String(prosody.componentPort),
      },
    );
    await gateway.waitForOutput(/"msg":"gateway running"/);
    const registration = await runSlixmppClient({
      server: prosody,
      jid: "bench@localhost",
      password: "pw",
      registerAccount: true,
      registerGateway: GW,
      gatewayFields: { username: "bench", password: "S3cr3t-Xy7q" },
      waitForPresence: { from: GW, status: "Logged in as bench" },
      timeoutMs: 20_000,
    });
    if (registration.errors.length) throw new Error(`registration failed: ${registration.errors.join("; ")}`);
    const path = join(dir, "large.bin");
    const hash = await madeUpFile(path, SIZE_MIB * MIB);

    const rows: Row[] = [];
    const measure = async (direction: string, step: Parameters<typeof runFileClient>[3][number]) => {
      // Settle first: what the last transfer left is collected before the baseline is taken.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const rss = sampleRss(gateway.pid);
      const run = await runFileClient(prosody, "bench@localhost", "pw", [step], 600);
      const memory = rss.stop();
      const [result] = run.steps;
      if (!run.ok || !result) throw new Error(`${direction}: ${run.error}\n${run.stderr}`);
      if (result.sha256 !== (direction.startsWith("XMPP") ? hash : result.sfs?.hash)) {
        throw new Error(`${direction}: the bytes that came back differ`);
      }
      const seconds = result.seconds_to_message ?? result.seconds;
      rows.push({
        direction,
        seconds,
        mibPerSecond: SIZE_MIB / seconds,
        rssBeforeMiB: memory.beforeMiB,
        rssPeakMiB: memory.peakMiB,
        rssAddedMiB: memory.addedMiB,
      });
    };
    for (let round = 0; round < ROUNDS; round++) {
      await measure("XMPP → legacy → XMPP (echo)", {
        upload: path,
        type: "application/octet-stream",
        to: `echo@${GW}`,
        expect: "file",
      });
      await measure("legacy → XMPP (/file)", { say: `/file ${SIZE_MIB}`, to: `alice@${GW}`, expect: "file" });
    }

    const fixed = (n: number, digits = 1) => n.toFixed(digits);
    console.info(
      [
        `\n### Files through the demo gateway, ${SIZE_MIB} MiB, Prosody mod_http_file_share on loopback\n`,
        "| direction | seconds | MiB/s | gateway RSS before (MiB) | peak (MiB) | added (MiB) |",
        "|---|---:|---:|---:|---:|---:|",
        ...rows.map(
          (r) =>
            `| ${r.direction} | ${fixed(r.seconds, 2)} | ${fixed(r.mibPerSecond)} | ${fixed(r.rssBeforeMiB)} | ${fixed(r.rssPeakMiB)} | ${fixed(r.rssAddedMiB)} |`,
        ),
      ].join("\n"),
    );
    console.info(`BENCH_JSON ${JSON.stringify({ bench: "files", sizeMiB: SIZE_MIB, rows })}`);
  } finally {
    await cleanups.run();
  }
}

describe("files through the demo gateway and a real Prosody", () => {
  // vitest 4 runs no beforeAll/afterAll in bench mode: the whole scenario is one iteration.
  bench(`file throughput both ways and peak RSS added (${SIZE_MIB} MiB ×${ROUNDS})`, scenario, {
    iterations: 1,
    time: 0,
    warmupIterations: 0,
    warmupTime: 0,
  });
});
