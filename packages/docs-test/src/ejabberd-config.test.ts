import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectClient } from "@gangway/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APPS, runApp } from "./apps.js";
import { GatewayProcess } from "./gateway-process.js";
import { markedBlock, readRepoFile, substitute } from "./markdown.js";
import { acceptsConnections, Child, freePorts, run, selfSignedCertificate } from "./processes.js";
import { askForUploadSlot } from "./upload-slots.js";

const DOC = "docs/deployment/ejabberd.md";

/**
 * docs/deployment/ejabberd.md's config on a real ejabberd (its own Erlang node, cookie and
 * distribution port in a temp dir, no epmd), with only the substitutions that doc lists, and the
 * demo gateway's executable connected to it.
 */
describe("the ejabberd config in docs/deployment/ejabberd.md", () => {
  let dir: string;
  let ejabberd: Child;
  let gateway: GatewayProcess;
  let checked: Awaited<ReturnType<typeof runApp>>;
  let c2sPort: number;
  let componentPort: number;
  let ctl: (...command: string[]) => ReturnType<typeof run>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "gangway-docs-ejabberd-"));
    await Promise.all(["spool", "logs", "upload", "certs"].map((name) => mkdir(join(dir, name))));
    const { crt, key } = await selfSignedCertificate(join(dir, "certs"), "localhost");
    const pem = join(dir, "certs", "localhost.pem");
    await writeFile(pem, (await readFile(crt, "utf8")) + (await readFile(key, "utf8")));
    const [c2s, s2s, component, https, distribution] = await freePorts(5);
    c2sPort = c2s!;
    componentPort = component!;
    const config = substitute(markedBlock(readRepoFile(DOC), "ejabberd.yml"), [
      { from: "example.org", to: "localhost" },
      { from: /\b5222\b/, to: String(c2s) },
      { from: /\b5269\b/, to: String(s2s) },
      { from: /\b5347\b/, to: String(component) },
      { from: /\b5443\b/, to: String(https) },
      { from: 'ip: "::"', to: 'ip: "127.0.0.1"' },
      { from: '"/etc/ejabberd/certs/*.pem"', to: JSON.stringify(pem) },
      { from: '"/var/lib/ejabberd/upload"', to: JSON.stringify(join(dir, "upload")) },
    ]);
    const configPath = join(dir, "ejabberd.yml");
    await writeFile(configPath, config);
    // ejabberdctl's own settings: a node of this test's own, on loopback, run as the current user.
    const nodeName = `gangway-docs-${randomBytes(4).toString("hex")}@localhost`;
    await writeFile(
      join(dir, "ejabberdctl.cfg"),
      [
        `ERLANG_NODE=${nodeName}`,
        `ERL_DIST_PORT=${distribution}`,
        "ERL_EPMD_ADDRESS=127.0.0.1",
        `EJABBERD_PID_PATH=${join(dir, "ejabberd.pid")}`,
        'ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -kernel inet_dist_use_interface {127,0,0,1}"',
        "EJABBERD_BYPASS_WARNINGS=true",
        "EXEC_CMD=as_current_user",
        "",
      ].join("\n"),
    );
    await copyFile("/etc/ejabberd/inetrc", join(dir, "inetrc")).catch(() =>
      writeFile(join(dir, "inetrc"), '{lookup,["file","native"]}.\n{host,{127,0,0,1}, ["localhost"]}.\n'),
    );
    await writeFile(join(dir, ".erlang.cookie"), randomBytes(16).toString("hex"), { mode: 0o400 });
    const ctlArgs = [
      "--config-dir",
      dir,
      "--config",
      configPath,
      "--ctl-config",
      join(dir, "ejabberdctl.cfg"),
      "--spool",
      join(dir, "spool"),
      "--logs",
      join(dir, "logs"),
    ];
    // HOME: Erlang reads the node's cookie from $HOME/.erlang.cookie.
    const env = { ...process.env, HOME: dir };
    ctl = (...command) => run("ejabberdctl", [...ctlArgs, ...command], { env });
    ejabberd = new Child("ejabberdctl", [...ctlArgs, "foreground"], { cwd: dir, env, group: true });
    await ejabberd.waitFor(
      "ejabberd to open its ports",
      async () =>
        ejabberd.output.includes(`is started in the node '${nodeName}'`) &&
        (await acceptsConnections(c2s!)) &&
        (await acceptsConnections(component!)) &&
        (await acceptsConnections(https!)),
      60_000,
    );
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
      String(component!),
    ]);
    gateway = await GatewayProcess.start({ jid: "demo.localhost", secret: "change-me", port: component! });
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    // The whole group: the ejabberdctl shell, beam and the port programs beam forked.
    await ejabberd?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("loads every module and option without an error", () => {
    expect(ejabberd.output).not.toMatch(/\[error\]|Invalid value|Unknown option/);
  });

  it("takes the gateway as its component, which comes online with the roster and message privileges", async () => {
    const grant = await gateway.logged("XEP-0356 privileges granted by the server");
    expect(grant).toMatchObject({ namespace: "urn:xmpp:privilege:1", roster: "both", message: "outgoing" });
    const running = await gateway.logged("gateway running");
    expect(running.users).toBe(0);
    expect(gateway.logLines().filter((line) => line.msg.startsWith("missing XEP-0356 privilege"))).toEqual(
      [],
    );
  });

  it("fails the gateway's --check on exactly what ejabberd 23.01 cannot grant: IQ permissions (exit 4)", () => {
    const missing = checked.stdout.split("\n").filter((line) => line.startsWith("✗"));
    expect(missing.map((line) => line.split(":")[0])).toEqual([
      "✗ XEP-0356 pubsub IQ privilege (bookmarks)",
      "✗ XEP-0356 upload IQ privilege",
    ]);
    expect(checked.stdout).toMatch(/^✓ XEP-0356 roster privilege: both/m);
    expect(checked.stdout).toMatch(/^✓ XEP-0363 upload service/m);
    expect(checked.code).toBe(4);
  });

  it("lets a user log in over STARTTLS and reach the gateway", async () => {
    const registered = await ctl("register", "romeo", "localhost", "pw-romeo");
    expect(registered.code, registered.stdout + registered.stderr).toBe(0);
    // The certificate is the test's own self-signed one; the config requires STARTTLS on c2s.
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

  // Last: the gateway goes, since this connects as its JID.
  it("gives the gateway upload slots of its own (the `upload` access rule; 23.01 has no IQ grant)", async () => {
    await gateway.stop();
    const slot = await askForUploadSlot({
      componentPort,
      domain: "demo.localhost",
      secret: "change-me",
      service: "upload.localhost",
    });
    expect(new URL(slot.putUrl).pathname).toMatch(/^\/upload\/.*picture\.png$/);
  });
});
