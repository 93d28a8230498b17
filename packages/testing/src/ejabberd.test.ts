import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import {
  ComponentTransport,
  type ComponentTransportOptions,
  type Element,
  TransportError,
  xml,
} from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectClient, registerAccount, type TestClient } from "./clients.js";
import {
  EJABBERD_PRIVILEGE_NAMESPACE,
  EjabberdNotInstalledError,
  type EjabberdServer,
  EjabberdStartError,
  startEjabberd,
} from "./ejabberd.js";
import { acceptsConnections } from "./server-process.js";

/** ComponentTransport logs through pino by default; these tests only look at what it returns. */
const silentLogger = {
  child: () => silentLogger,
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  fatal() {},
} as unknown as NonNullable<ComponentTransportOptions["logger"]>;

/** True for a running process; a zombie (dead, waiting for its parent to reap it) counts as gone. */
function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** PIDs of every process whose command line mentions `needle` (e.g. our Erlang node name). */
function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(needle)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return condition();
}

function ms(since: number): string {
  return `${(performance.now() - since).toFixed(0)} ms`;
}

describe("startEjabberd", () => {
  let ejabberd: EjabberdServer;
  const cleanups: Array<() => Promise<unknown>> = [];

  beforeAll(async () => {
    const started = performance.now();
    ejabberd = await startEjabberd({
      extraComponents: [{ domain: "second.localhost", secret: "second-secret" }],
    });
    console.info(`ejabberd start ${ms(started)}`);
  });
  afterEach(async () => {
    // Reverse order: clients and components before anything they depend on.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(async () => {
    await ejabberd?.stop();
  });

  function component(
    password = ejabberd.componentSecret,
    domain = ejabberd.componentDomain,
  ): ComponentTransport {
    const transport = new ComponentTransport({
      service: `xmpp://127.0.0.1:${ejabberd.componentPort}`,
      domain,
      password,
      logger: silentLogger,
      backoff: { initialDelayMs: 50, maxDelayMs: 500 },
    });
    cleanups.push(() => transport.stop());
    return transport;
  }

  async function login(username: string, password: string): Promise<TestClient> {
    const client = await connectClient({ server: ejabberd, username, password });
    cleanups.push(() => client.stop());
    return client;
  }

  it("listens on distinct loopback ports as its own epmd-less node and reports its settings", async () => {
    expect(ejabberd.domain).toBe("localhost");
    expect(ejabberd.host).toBe("127.0.0.1");
    expect(ejabberd.componentDomain).toBe("gateway.localhost");
    expect(ejabberd.componentSecret).toMatch(/^[0-9a-f]{24}$/);
    expect(ejabberd.uploadDomain).toBe("upload.localhost");
    expect(ejabberd.privilegeNamespace).toBe("urn:xmpp:privilege:1");
    expect(ejabberd.nodeName).toMatch(/^gangway-[0-9a-f]{8}@localhost$/);
    const ports = [ejabberd.c2sPort, ejabberd.componentPort, ejabberd.httpPort, ejabberd.distributionPort];
    expect(new Set(ports).size).toBe(4);
    for (const port of ports) expect(await acceptsConnections(port)).toBe(true);
    expect(processAlive(ejabberd.pid)).toBe(true);
    const beamCommand = readFileSync(`/proc/${ejabberd.pid}/cmdline`, "utf8").split("\0");
    expect(beamCommand[0]).toMatch(/beam\.smp$/);
    expect(beamCommand).toContain(ejabberd.nodeName);
    // No epmd: the node listens on its fixed distribution port instead of registering anywhere.
    expect(beamCommand.join(" ")).toContain(`-erl_epmd_port ${ejabberd.distributionPort} -start_epmd false`);
    expect(ejabberd.components).toEqual([
      { domain: "gateway.localhost", secret: ejabberd.componentSecret },
      { domain: "second.localhost", secret: "second-secret" },
    ]);
  });

  it("grants mod_privilege to the gateway component only, and runs as the current user", () => {
    const config = readFileSync(ejabberd.configPath, "utf8");
    expect(config).toMatch(
      /mod_privilege:\n {4}roster:\n {6}both: gangway_roster_both\n {4}message:\n {6}outgoing: gangway_message_outgoing\n {4}presence:\n {6}roster: gangway_presence_roster\n/,
    );
    expect(config).toMatch(/gangway_roster_both:\n {4}server:\n {6}- "gateway\.localhost"\n {2}\w/);
    expect(config).not.toMatch(/server:\n(\s+- .*\n)*\s+- "second\.localhost"/);
    expect(readFileSync(`${ejabberd.dir}/ejabberdctl.cfg`, "utf8")).toContain("EXEC_CMD=as_current_user");
    // The beam runs as us (root in CI), not as the ejabberd user ejabberdctl would `su` to.
    const status = readFileSync(`/proc/${ejabberd.pid}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${process.getuid?.()}\\s`, "m"));
  });

  it("captures the console output and writes its log file", async () => {
    expect(ejabberd.logs()).toContain(`is started in the node '${ejabberd.nodeName}'`);
    expect(ejabberd.logs()).toContain(
      `Start accepting TCP connections at 127.0.0.1:${ejabberd.c2sPort} for ejabberd_c2s`,
    );
    // ejabberd's file logger writes with a delay, so give it a moment.
    expect(
      await waitUntil(
        () => existsSync(ejabberd.logFile) && readFileSync(ejabberd.logFile, "utf8").includes("ejabberd_c2s"),
        5000,
      ),
    ).toBe(true);
  });

  it("registerUser creates an account that logs in with SASL PLAIN; again overwrites its password", async () => {
    let started = performance.now();
    await ejabberd.registerUser("alice", "first");
    console.info(`ejabberd registerUser ${ms(started)}`);
    started = performance.now();
    const alice = await login("alice", "first");
    console.info(`ejabberd c2s login (PLAIN) ${ms(started)}`);
    expect(alice.jid).toBe("alice@localhost/test");

    started = performance.now();
    await ejabberd.registerUser("alice", "second");
    console.info(`ejabberd registerUser (existing account) ${ms(started)}`);
    await expect(connectClient({ server: ejabberd, username: "alice", password: "first" })).rejects.toThrow(
      /could not log in/,
    );
    await login("alice", "second");
  });

  it("refuses a login with an unknown account", async () => {
    await expect(connectClient({ server: ejabberd, username: "nobody", password: "x" })).rejects.toThrow(
      /nobody@localhost could not log in/,
    );
  });

  it("allows XEP-0077 registrations back to back (no registration_timeout)", async () => {
    const started = performance.now();
    await registerAccount(ejabberd, "ibr1", "pw1");
    await registerAccount(ejabberd, "ibr2", "pw2");
    console.info(`ejabberd 2 × XEP-0077 registration ${ms(started)}`);
    await login("ibr2", "pw2");
    await expect(registerAccount(ejabberd, "ibr1", "other")).rejects.toMatchObject({ condition: "conflict" });
  });

  it("accepts the component with its secret and refuses a wrong one", async () => {
    const transport = component();
    const started = performance.now();
    await transport.start();
    console.info(`ejabberd component handshake ${ms(started)}`);
    expect(transport.status).toBe("online");

    const second = component("second-secret", "second.localhost");
    await second.start();
    expect(second.status).toBe("online");

    const impostor = component("wrong-secret", "second.localhost");
    const failure = await impostor.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(TransportError);
    expect((failure as TransportError).code).toBe("not-authorized");
  });

  it("sends the gateway component the XEP-0356 urn:xmpp:privilege:1 advertisement with the granted perms", async () => {
    const transport = component();
    const received: Element[] = [];
    transport.onStanza((stanza) => {
      received.push(stanza);
    });
    await transport.start();
    expect(await waitUntil(() => received.some((s) => s.getChild("privilege") !== undefined), 5000)).toBe(
      true,
    );
    const advertisement = received.find((s) => s.getChild("privilege") !== undefined)!;
    expect(advertisement.name).toBe("message");
    expect(advertisement.attrs.from).toBe("localhost");
    expect(advertisement.attrs.to).toBe("gateway.localhost");
    const privilege = advertisement.getChild("privilege")!;
    expect(privilege.attrs.xmlns).toBe(EJABBERD_PRIVILEGE_NAMESPACE);
    const perms = Object.fromEntries(
      privilege.getChildren("perm").map((perm) => [perm.attrs.access, perm.attrs.type]),
    );
    expect(perms).toEqual({ roster: "both", message: "outgoing", presence: "roster" });
  });

  it("sends no privilege advertisement to a component without a grant", async () => {
    const transport = component("second-secret", "second.localhost");
    const received: Element[] = [];
    transport.onStanza((stanza) => {
      received.push(stanza);
    });
    await transport.start();
    // The gateway's advertisement arrives within a few ms of the handshake (previous test).
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(received.filter((s) => s.getChild("privilege") !== undefined)).toEqual([]);
  });

  it("routes a component's message to a user's client, and a privileged roster get works", async () => {
    await ejabberd.registerUser("carol", "pw");
    const carol = await login("carol", "pw");
    const transport = component();
    const received: Element[] = [];
    transport.onStanza((stanza) => {
      received.push(stanza);
    });
    await transport.start();

    const started = performance.now();
    await transport.send(
      xml(
        "message",
        { from: "bob@gateway.localhost", to: "carol@localhost", type: "chat" },
        xml("body", {}, "hi carol"),
      ),
    );
    const message = await carol.waitFor((s) => s.is("message") && s.getChildText("body") === "hi carol");
    console.info(`ejabberd component → client message ${ms(started)}`);
    expect(message.attrs.from).toBe("bob@gateway.localhost");

    // XEP-0356 roster get (ejabberd 23.01: get works, set is broken upstream).
    await transport.send(
      xml(
        "iq",
        { type: "get", id: "roster1", to: "carol@localhost" },
        xml("query", { xmlns: "jabber:iq:roster" }),
      ),
    );
    expect(await waitUntil(() => received.some((s) => s.attrs.id === "roster1"), 5000)).toBe(true);
    const reply = received.find((s) => s.attrs.id === "roster1")!;
    expect(reply.attrs.type).toBe("result");
    expect(reply.getChild("query")?.attrs.xmlns).toBe("jabber:iq:roster");
  });

  it("serves XEP-0363 upload slots on its HTTP port", async () => {
    await ejabberd.registerUser("uploader", "pw");
    const client = await login("uploader", "pw");
    const reply = await client.request(
      `<iq type="get" to="upload.localhost"><request xmlns="urn:xmpp:http:upload:0" filename="a.txt" size="5" content-type="text/plain"/></iq>`,
    );
    const slot = reply.getChild("slot")!;
    const putUrl = slot.getChild("put")!.attrs.url as string;
    const getUrl = slot.getChild("get")!.attrs.url as string;
    expect(new URL(putUrl).origin).toBe(`http://127.0.0.1:${ejabberd.httpPort}`);
    const put = await fetch(putUrl, {
      method: "PUT",
      body: "hello",
      headers: { "content-type": "text/plain" },
    });
    expect(put.status).toBe(201);
    const get = await fetch(getUrl);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe("hello");
  });

  it("restarts on the same ports as a new process and keeps the accounts", async () => {
    await ejabberd.registerUser("dave", "pw");
    const before = { pid: ejabberd.pid, c2s: ejabberd.c2sPort, component: ejabberd.componentPort };
    const started = performance.now();
    await ejabberd.restart();
    console.info(`ejabberd restart ${ms(started)}`);
    expect(ejabberd.pid).not.toBe(before.pid);
    expect(processAlive(before.pid)).toBe(false);
    expect(processAlive(ejabberd.pid)).toBe(true);
    expect([ejabberd.c2sPort, ejabberd.componentPort]).toEqual([before.c2s, before.component]);
    expect(ejabberd.logs()).toContain("--- gangway: restarting ejabberd ---");
    const dave = await login("dave", "pw");
    expect(dave.bareJid).toBe("dave@localhost");
    const transport = component();
    await transport.start();
    expect(transport.status).toBe("online");
  });
});

describe("stopping", () => {
  it("kills every process of our node, frees the ports and removes the temp dir", async () => {
    const started = performance.now();
    const ejabberd = await startEjabberd({ upload: false, privileges: false, allowRegistration: false });
    const startMs = performance.now() - started;
    const { pid, dir, nodeName, c2sPort, componentPort, distributionPort } = ejabberd;
    let stopMs: number;
    try {
      const config = readFileSync(ejabberd.configPath, "utf8");
      expect(config).toMatch(/^ {2}mod_roster:/m);
      expect(config).not.toMatch(/^ {2}mod_privilege:/m);
      expect(config).not.toMatch(/^ {2}mod_register:/m);
      expect(config).not.toMatch(/^ {2}mod_http_upload:/m);
      expect(processesMentioning(nodeName)).toContain(pid);
    } finally {
      const stopStarted = performance.now();
      await ejabberd.stop();
      stopMs = performance.now() - stopStarted;
    }
    console.info(`ejabberd start ${startMs.toFixed(0)} ms (no upload), stop ${stopMs.toFixed(0)} ms`);
    expect(processAlive(pid)).toBe(false);
    expect(processesMentioning(nodeName)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    for (const port of [c2sPort, componentPort, distributionPort])
      expect(await acceptsConnections(port)).toBe(false);
    await ejabberd.stop(); // idempotent
    await expect(ejabberd.restart()).rejects.toThrow(/stopped/);
    await expect(ejabberd.registerUser("x", "y")).rejects.toThrow(/stopped/);
  });

  it("two servers run side by side as independent nodes", async () => {
    const [a, b] = await Promise.all([startEjabberd(), startEjabberd()]);
    try {
      const ports = [a, b].flatMap((s) => [s.c2sPort, s.componentPort, s.httpPort, s.distributionPort]);
      expect(new Set(ports).size).toBe(8);
      expect(a.nodeName).not.toBe(b.nodeName);
      expect(a.dir).not.toBe(b.dir);
      expect(processAlive(a.pid) && processAlive(b.pid)).toBe(true);
      // Each ejabberdctl reaches its own node: the account exists on a only.
      await a.registerUser("erin", "pw");
      const erin = await connectClient({ server: a, username: "erin", password: "pw" });
      await erin.stop();
      await expect(connectClient({ server: b, username: "erin", password: "pw" })).rejects.toThrow(
        /could not log in/,
      );
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expect(processAlive(a.pid) || processAlive(b.pid)).toBe(false);
  });

  it("does not leave ejabberd behind when the test process is SIGKILLed", async () => {
    const moduleUrl = new URL("./ejabberd.ts", import.meta.url).href;
    // A child node process starts ejabberd, prints its pid, and is then killed without any cleanup.
    const script = `
      const { startEjabberd } = await import(${JSON.stringify(moduleUrl)});
      const e = await startEjabberd({ upload: false });
      console.log(JSON.stringify({ pid: e.pid, dir: e.dir, nodeName: e.nodeName }));
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "inherit"],
      cwd: fileURLToPath(new URL("..", import.meta.url)),
    });
    const line = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes("\n")) resolve(out.split("\n")[0]!);
      });
      child.once("exit", (code) => reject(new Error(`child exited early with ${code}`)));
    });
    const { pid, dir, nodeName } = JSON.parse(line) as { pid: number; dir: string; nodeName: string };
    try {
      expect(processAlive(pid)).toBe(true);
      child.kill("SIGKILL");
      expect(await waitUntil(() => processesMentioning(nodeName).length === 0, 10_000)).toBe(true);
      expect(await waitUntil(() => !existsSync(dir), 10_000)).toBe(true);
    } finally {
      // Only reached with a live node if the watchdog failed: clean up what this test started.
      for (const leftover of processesMentioning(nodeName)) process.kill(leftover, "SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("errors", () => {
  it("says how to install ejabberd when it is missing", async () => {
    const attempt = startEjabberd({ ejabberdctlPath: "/nonexistent/ejabberdctl" });
    await expect(attempt).rejects.toBeInstanceOf(EjabberdNotInstalledError);
    await expect(attempt).rejects.toThrow("apt-get install ejabberd");
  });

  it("reports a start that times out with the log path and console tail, and cleans up", async () => {
    const failure = (await startEjabberd({ startTimeoutMs: 1 }).catch((error: unknown) => error)) as Error;
    expect(failure).toBeInstanceOf(EjabberdStartError);
    expect(failure.message).toMatch(/did not accept connections on ports \d+, \d+, \d+ within 1 ms/);
    expect(failure.message).toContain("--- ejabberd console output (tail) ---");
    const dir = /ejabberd log: (\S+)\/logs\/ejabberd\.log/.exec(failure.message)?.[1];
    expect(dir).toMatch(/gangway-ejabberd-/);
    expect(existsSync(dir!)).toBe(false);
  });

  it("rejects component domains that would break the config", async () => {
    await expect(startEjabberd({ componentDomain: 'evil"domain' })).rejects.toThrow(
      /Invalid component domain/,
    );
  });
});
