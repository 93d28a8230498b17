import { chown, mkdir, mkdtemp, readdir, readFile, readlink, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectClient, registerAccount, startProsody } from "@gangway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuildImagesResult, buildImages, formatReport } from "./build-images.js";
import { run } from "./exec.js";
import { IMAGE_USER } from "./rootfs.js";
import { runImage } from "./run-image.js";
import { listGatewayApps } from "./workspace.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const apps = await listGatewayApps(repoRoot);
const DISCO_INFO = "http://jabber.org/protocol/disco#info";

let outDir: string;
let built: BuildImagesResult;

beforeAll(async () => {
  outDir = await mkdtemp(join(tmpdir(), "gangway-images-test-"));
  built = await buildImages({ repoRoot, outDir });
  // The figures docs/images.md quotes come from this report (sizes, seconds per app).
  process.stdout.write(`${formatReport(built)}\n`);
}, 20 * 60_000);

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

interface OciDescriptor {
  digest: string;
  mediaType: string;
}

async function readBlob<T>(layout: string, digest: string): Promise<T> {
  return JSON.parse(await readFile(join(layout, "blobs", ...digest.split(":")), "utf8")) as T;
}

describe("gateway images", () => {
  it("builds one OCI archive per app, on the LTS Node", () => {
    expect(built.images.map((image) => image.app.id)).toEqual(apps.map((app) => app.id));
    expect(apps.length).toBeGreaterThanOrEqual(3);
    expect(Number(built.node.version.split(".")[0])).toBeGreaterThanOrEqual(22);
  });

  it.each(apps.map((app) => app.id))(
    "%s: two layers, non-root, node running the app's bin, /data volume",
    async (id) => {
      const image = built.images.find((i) => i.app.id === id);
      if (!image) throw new Error(`no image for ${id}`);
      const layout = await mkdtemp(join(tmpdir(), "gangway-image-layout-"));
      try {
        await run("tar", ["-xf", image.archive, "-C", layout]);
        const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as {
          manifests: (OciDescriptor & { annotations?: Record<string, string> })[];
        };
        const entry = index.manifests.find(
          (m) => m.annotations?.["org.opencontainers.image.ref.name"] === image.ref,
        );
        if (!entry) throw new Error(`${image.ref} is not in the archive's index`);
        const manifest = await readBlob<{ config: OciDescriptor; layers: OciDescriptor[] }>(
          layout,
          entry.digest,
        );
        expect(manifest.layers).toHaveLength(2);
        const config = await readBlob<{
          config: { User: string; Entrypoint: string[]; Env: string[]; Volumes: Record<string, object> };
        }>(layout, manifest.config.digest);
        expect(config.config.User).toBe(`${IMAGE_USER.uid}:${IMAGE_USER.gid}`);
        expect(config.config.Entrypoint).toEqual(["/usr/local/bin/node", "/app/bin.js"]);
        expect(config.config.Env).toContain("GANGWAY_HOME_DIR=/data");
        expect(Object.keys(config.config.Volumes)).toEqual(["/data"]);
      } finally {
        await rm(layout, { recursive: true, force: true });
      }
    },
  );

  it.each(apps.map((app) => app.id))(
    "%s: runs with runc, comes online against Prosody and answers disco#info",
    async (id) => {
      const image = built.images.find((i) => i.app.id === id);
      if (!image) throw new Error(`no image for ${id}`);
      const prosody = await startProsody({ componentDomain: `${id}.localhost` });
      const work = await mkdtemp(join(tmpdir(), `gangway-run-${id}-`));
      const dataDir = join(work, "data");
      await mkdir(dataDir);
      await chown(dataDir, IMAGE_USER.uid, IMAGE_USER.gid);
      const container = await runImage({
        archive: image.archive,
        ref: image.ref,
        workDir: work,
        dataDir,
        id: `gangway-test-${id}-${process.pid}`,
        env: {
          GANGWAY_JID: prosody.componentDomain,
          GANGWAY_SECRET: prosody.componentSecret,
          GANGWAY_SERVER: "127.0.0.1",
          GANGWAY_PORT: String(prosody.componentPort),
        },
      });
      // umoci unpacked the image into <work>/bundle: the entrypoint runs this app's bin.
      expect(await readlink(join(work, "bundle", "rootfs", "app", "bin.js"))).toBe(
        `apps/${id}/${image.app.bin}`,
      );
      let exitedEarly = false;
      void container.exited.then(() => {
        exitedEarly = true;
      });
      try {
        // umoci unpacked the image into <work>/bundle: the entrypoint runs this app's bin.
        expect(await readlink(join(work, "bundle", "rootfs", "app", "bin.js"))).toBe(
          `apps/${id}/${image.app.bin}`,
        );
        await registerAccount(prosody, "tester", "pw");
        const client = await connectClient({ server: prosody, username: "tester", password: "pw" });
        try {
          const info = await discoInfoWhenOnline(
            () =>
              client.request(
                `<iq type="get" to="${prosody.componentDomain}"><query xmlns="${DISCO_INFO}"/></iq>`,
              ),
            () => (exitedEarly ? `the container exited:\n${container.output()}` : undefined),
          );
          const query = info.getChild("query", DISCO_INFO);
          const identities = query?.getChildren("identity").map((i) => i.attrs.category) ?? [];
          const features = query?.getChildren("feature").map((f) => f.attrs.var) ?? [];
          expect(identities).toContain("gateway");
          expect(features).toContain("jabber:iq:register");
        } finally {
          await client.stop();
        }
        // The home dir is the mounted volume: the SQLite database (native addon) and key file are there.
        expect((await readdir(dataDir)).sort()).toEqual(
          expect.arrayContaining(["gangway.sqlite", "secret.key"]),
        );
        expect(await container.stop()).toBe(0);
      } finally {
        await container.stop();
        await prosody.stop();
        await rm(work, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

/** Asks until the component answers (Prosody replies with an error while it is not connected). */
async function discoInfoWhenOnline<T>(ask: () => Promise<T>, failure: () => string | undefined): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const reason = failure();
    if (reason) throw new Error(reason);
    try {
      return await ask();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
