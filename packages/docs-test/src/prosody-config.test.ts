import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectClient } from "@gangway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS, runApp } from "./apps.js";
import { GatewayProcess } from "./gateway-process.js";
import { markedBlock, readRepoFile, substitute } from "./markdown.js";
import { acceptsConnections, Child, freePorts, run, selfSignedCertificate } from "./processes.js";
import { askForUploadSlot } from "./upload-slots.js";

const DOC = "docs/deployment/prosody.md";

/**
 * docs/deployment/prosody.md's config, started as it stands on a real Prosody with only the
 * substitutions that doc's "How this config is tested" lists, and the demo gateway's executable
 * connected to it.
 */
describe("the Prosody config in docs/deployment/prosody.md", () => {
  let dir: string;
  let prosody: Child;
  let gateway: GatewayProcess;
  let checked: Awaited<ReturnType<typeof runApp>>;
  let componentPort: number;
  let c2sPort: number;
  let configPath: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gangway-docs-prosody-"));
    await Promise.all(["data", "log", "certs"].map((name) => mkdir(join(dir, name))));
    await selfSignedCertificate(join(dir, "certs"), "localhost");
    const [c2s, s2s, http, https, component] = await freePorts(5);
    componentPort = component!;
    c2sPort = c2s!;
    const config = substitute(markedBlock(readRepoFile(DOC), "prosody.cfg.lua"), [
      { from: "example.org", to: "localhost" },
      { from: /\b5222\b/, to: String(c2s) },
      { from: /\b5269\b/, to: String(s2s) },
      { from: /\b5280\b/, to: String(http) },
      { from: /\b5281\b/, to: String(https) },
      { from: /\b5347\b/, to: String(component) },
      { from: '"/var/lib/prosody"', to: JSON.stringify(join(dir, "data")) },
      { from: '"/run/prosody/prosody.pid"', to: JSON.stringify(join(dir, "prosody.pid")) },
      { from: /"\/var\/log\/prosody\//, to: `"${dir}/log/` },
      { from: 'certificates = "certs"', to: `certificates = ${JSON.stringify(join(dir, "certs"))}` },
    ]);
    const header = [
      "run_as_root = true",
      'interfaces = { "127.0.0.1" }',
      'local_interfaces = { "127.0.0.1" }',
      'http_interfaces = { "127.0.0.1" }',
      'https_interfaces = { "127.0.0.1" }',
      "",
    ].join("\n");
    configPath = join(dir, "prosody.cfg.lua");
    await writeFile(configPath, header + config);
    prosody = new Child("prosody", ["-F", "--config", configPath], { cwd: dir });
    const infoLog = join(dir, "log", "prosody.log");
    await prosody.waitFor("Prosody to open its ports", async () => {
      const log = await readFile(infoLog, "utf8").catch(() => "");
      return (
        log.includes(`Activated service 'component' on [127.0.0.1]:${component}`) &&
        (await acceptsConnections(c2s!)) &&
        (await acceptsConnections(component!))
      );
    });
    // Before the gateway connects: --check is a component connection of the same JID.
    checked = await runApp(APPS[0], [
      "--check",
      "--home-dir",
      join(dir, "check-home"),
      "--jid",
      "demo.localhost",
      "--secret",
      "change-me",
      "--port",
      String(componentPort),
    ]);
    const registered = await run("prosodyctl", [
      "--config",
      configPath,
      "register",
      "romeo",
      "localhost",
      "pw-romeo",
    ]);
    if (registered.code !== 0) throw new Error(`prosodyctl register failed: ${registered.stderr}`);
    gateway = await GatewayProcess.start({ jid: "demo.localhost", secret: "change-me", port: componentPort });
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await prosody?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads without errors", async () => {
    const errors = await readFile(join(dir, "log", "prosody.err"), "utf8").catch(() => "");
    expect(errors).toBe("");
  });

  it("takes the gateway as its component, which comes online", async () => {
    const online = await gateway.logged("gateway running");
    expect(online.users).toBe(0);
    expect(gateway.logLines().some((line) => line.msg === "component online")).toBe(true);
  });

  it("passes the gateway's --check: everything the gateway uses is granted (exit 0)", () => {
    expect(checked.stdout).toContain("Everything the gateway uses is granted");
    expect(checked.stdout).toMatch(/^✓ XEP-0356 pubsub IQ privilege/m);
    expect(checked.stdout).toMatch(/^✓ XEP-0356 upload IQ privilege/m);
    expect(checked.stdout).toMatch(/^✓ XEP-0363 upload service: upload\.localhost/m);
    expect(checked.stdout).not.toMatch(/^✗/m);
    expect(checked.code).toBe(0);
  });

  it("lets a user log in over STARTTLS and reach the gateway", async () => {
    // The certificate is the test's own self-signed one; the config requires TLS on c2s.
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
    const romeo = await connectClient({
      server: { c2sPort, domain: "localhost" },
      username: "romeo",
      password: "pw-romeo",
    });
    try {
      const info = await romeo.request(
        '<iq type="get" to="demo.localhost"><query xmlns="http://jabber.org/protocol/disco#info"/></iq>',
      );
      const identities = info.getChild("query")?.getChildren("identity") ?? [];
      expect(identities.map((identity) => identity.attrs.category)).toContain("gateway");
    } finally {
      await romeo.stop();
    }
  });

  it("grants the gateway every privilege the doc lists, and none is reported missing", async () => {
    const grant = await gateway.logged("XEP-0356 privileges granted by the server");
    expect(grant).toMatchObject({
      namespace: "urn:xmpp:privilege:2",
      roster: "both",
      message: "outgoing",
      iq: { "http://jabber.org/protocol/pubsub": "both", "urn:xmpp:http:upload:0": "get" },
    });
    await gateway.logged("gateway running");
    expect(gateway.logLines().filter((line) => line.msg.startsWith("missing XEP-0356 privilege"))).toEqual(
      [],
    );
  });

  // Last: the gateway goes, since these connect as its JID.
  it("gives upload slots as the user (the IQ grant) and as the gateway itself", async () => {
    await gateway.stop();
    const ask = (asUser?: string) =>
      askForUploadSlot({
        componentPort,
        domain: "demo.localhost",
        secret: "change-me",
        service: "upload.localhost",
        asUser,
      });
    const asRomeo = await ask("romeo@localhost");
    expect(new URL(asRomeo.putUrl).hostname).toBe("upload.localhost");
    const asGateway = await ask();
    expect(new URL(asGateway.putUrl).pathname).toMatch(/picture\.png$/);
  });
});
