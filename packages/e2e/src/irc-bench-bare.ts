import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { ProsodyServer, TestClient } from "@gangway/testing";
import type { MemorySample } from "./bench-host.js";
import { procCpuMs } from "./bench-support.js";
import type { FarEnd, GatewayUnderTest, UserKey } from "./irc-bench-support.js";

/**
 * The bare component of irc.bench.ts: the XMPP server's pipe without any gateway, which is also
 * its own far end (it stands in for the IRC side).
 */

const E2E_DIR = fileURLToPath(new URL("..", import.meta.url));

/**
 * The bare component's code, run with `node --expose-gc --input-type=module -e` from packages/e2e
 * (workspace packages resolve to their built dist): XmppComponent + ComponentTransport, no
 * gateway core, no store. In sink mode it forwards every received body to the bench process over
 * IPC (batched per event-loop turn), in echo mode it answers each body with the same body; on
 * `send` it writes the given messages to the user. A groupchat message (the channel fan-out) is
 * also reflected to its sender from `room/nick`, as a MUC does. What it measures is the XMPP
 * server's pipe.
 */
const BARE_SCRIPT = `
import { ComponentTransport, XmppComponent, xml } from "@gangway/xmpp";
import { pino } from "pino";

const spec = JSON.parse(process.env.GANGWAY_IRC_BENCH_BARE);
const logger = pino({ level: "silent" });
process.on("disconnect", () => process.exit(0));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
let echo = false;
let batch = [];
let flushing = false;
let chain = Promise.resolve();
const flush = () => {
  flushing = false;
  const texts = batch;
  batch = [];
  process.send?.({ texts });
};
try {
  const transport = new ComponentTransport({
    service: "xmpp://127.0.0.1:" + spec.port,
    domain: spec.domain,
    password: spec.secret,
    logger,
  });
  const component = new XmppComponent(transport, { logger });
  // ComponentTransport queues sends in call order and flushes them in batches: no await per stanza.
  let ids = 0;
  // With spec.mucStanzas, a groupchat message carries what a MUC's does (and ours sends): an id,
  // a chat marker request, origin-id, the room's stanza-id and an occupant-id.
  const extras = (from) => {
    const id = "bare-" + ++ids;
    return [
      { id },
      xml("markable", { xmlns: "urn:xmpp:chat-markers:0" }),
      xml("origin-id", { xmlns: "urn:xmpp:sid:0", id }),
      xml("stanza-id", { xmlns: "urn:xmpp:sid:0", id, by: from.split("/")[0] }),
      xml("occupant-id", { xmlns: "urn:xmpp:occupant-id:0", id: "occ-1" }),
    ];
  };
  const message = (to, from, body, type) => {
    if (type !== "groupchat" || !spec.mucStanzas) return xml("message", { to, from, type }, xml("body", {}, body));
    const [attrs, ...children] = extras(from);
    return xml("message", { to, from, type, ...attrs }, xml("body", {}, body), ...children);
  };
  const write = (to, from, body, type = "chat") => {
    chain = component
      .send(message(to, from, body, type))
      .catch((err) => process.send?.({ error: String(err?.stack ?? err) }));
  };
  component.onMessage((stanza) => {
    const body = stanza.getChildText("body");
    if (body === null || stanza.attrs.type === "error") return;
    if (echo) {
      write(stanza.attrs.from, stanza.attrs.to, body);
      return;
    }
    if (stanza.attrs.type === "groupchat") {
      write(stanza.attrs.from, stanza.attrs.to + "/" + spec.userNick, body, "groupchat");
    }
    batch.push([String(stanza.attrs.from).split("/")[0], body]);
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  });
  await component.start();
  process.on("message", async (message) => {
    try {
      if (message.cmd === "echo") {
        echo = message.on;
        process.send?.({ id: message.id });
      } else if (message.cmd === "send") {
        for (const text of message.texts) write(message.to, message.from, text, message.type);
      } else if (message.cmd === "memory") {
        for (let i = 0; i < 3; i++) {
          globalThis.gc?.();
          await sleep(50);
        }
        const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
        const gc = typeof globalThis.gc === "function";
        process.send?.({ id: message.id, value: { rss, heapUsed, heapTotal, external, arrayBuffers, gc } });
      } else if (message.cmd === "stop") {
        await chain;
        await component.stop();
        process.send?.({ id: message.id });
        process.disconnect();
      }
    } catch (err) {
      process.send?.({ id: message.id, error: String(err?.stack ?? err) });
    }
  });
  process.send?.({ ready: true });
} catch (err) {
  process.send?.({ ready: false, error: String(err?.stack ?? err) });
  process.exit(1);
}
`;

/** What the bare component sends over IPC. */
interface ChildMessage {
  ready?: boolean;
  id?: number;
  value?: unknown;
  error?: string;
  texts?: Array<[string, string]>;
}

/** The bare component's process: `{ ready }`, `{ id, value?, error? }` answers, anything else to `onOther`. */
class ChildHost {
  private nextId = 0;
  private readonly pending = new Map<number, (error?: string, value?: unknown) => void>();
  readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    onOther: (message: ChildMessage) => void,
  ) {
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    child.on("message", (raw) => {
      const message = raw as ChildMessage;
      if (message.ready !== undefined) return;
      if (message.id !== undefined) {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        waiter?.(message.error, message.value);
      } else onOther(message);
    });
    child.once("exit", () => {
      for (const waiter of this.pending.values()) waiter("child process exited");
      this.pending.clear();
    });
  }

  static start(
    what: string,
    env: Record<string, string>,
    onOther: (message: ChildMessage) => void,
    timeoutMs = 30_000,
  ): Promise<ChildHost> {
    const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", BARE_SCRIPT], {
      cwd: E2E_DIR,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const host = new ChildHost(child, onOther);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`${what} did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on("message", (raw) => {
        const message = raw as ChildMessage;
        if (message.ready === undefined) return;
        clearTimeout(timer);
        if (message.ready) resolve(host);
        else reject(new Error(`${what} failed: ${message.error}`));
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${what} exited with ${code} before it was ready`));
      });
    });
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error("child has no PID");
    return this.child.pid;
  }

  request<T = void>(message: Record<string, unknown>, timeoutMs = 20_000): Promise<T> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`child did not answer ${String(message.cmd)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, (error, value) => {
        clearTimeout(timer);
        if (error) reject(new Error(error));
        else resolve(value as T);
      });
      this.child.send({ ...message, id });
    });
  }

  /** Asks it to stop, SIGKILLs our child (by its own PID) after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    await this.request({ cmd: "stop" }).catch(() => {});
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** The bare echo component in its own process: the XMPP server's pipe without any gateway. */
export class BareTarget implements GatewayUnderTest, FarEnd {
  readonly name: string;
  readonly notes: string[] = [];
  private readonly handlers = new Map<string, (text: string) => void>();
  private host!: ChildHost;

  private constructor(
    readonly domain: string,
    name: string,
  ) {
    this.name = name;
  }

  /** `mucStanzas`: groupchat messages shaped as a MUC's (see BARE_SCRIPT), not just a body. */
  static async start(
    prosody: ProsodyServer,
    domain: string,
    options: { mucStanzas?: boolean } = {},
  ): Promise<BareTarget> {
    const component = prosody.components.find((c) => c.domain === domain);
    if (!component) throw new Error(`no component ${domain} on this Prosody`);
    // The nick the bare "room" reflects a groupchat message from (the channel fan-out's user).
    const spec = {
      domain,
      secret: component.secret,
      port: prosody.componentPort,
      userNick: "user",
      mucStanzas: options.mucStanzas ?? false,
    };
    const target = new BareTarget(
      domain,
      options.mucStanzas ? "bare component (MUC stanzas)" : "bare component",
    );
    target.host = await ChildHost.start(
      `bare component ${domain}`,
      { GANGWAY_IRC_BENCH_BARE: JSON.stringify(spec) },
      (message) => {
        for (const [from, text] of message.texts ?? []) target.handlers.get(from)?.(text);
        if (message.error) console.error(`bare component: ${message.error}`);
      },
    );
    return target;
  }

  // GatewayUnderTest
  jidFor(nick: string): string {
    return `${nick.toLowerCase()}@${this.domain}`;
  }

  /**
   * A stateless component has nothing to register: one round trip through the pipe instead (the
   * far end must be in echo mode), so a "user" has at least sent and received a message.
   */
  async register(client: TestClient, nick: string): Promise<void> {
    const body = `hello-from-${nick}`;
    const echoed = client.waitFor((s) => s.is("message") && s.getChildText("body") === body, 10_000);
    await client.send(
      `<message type="chat" to="${this.jidFor(this.farNick)}"><body>${body}</body></message>`,
    );
    await echoed;
  }

  memory(): Promise<MemorySample> {
    return this.host.request<MemorySample>({ cmd: "memory" });
  }

  cpuMs(): number {
    return procCpuMs(this.host.pid);
  }

  async farEnd(nick: string): Promise<FarEnd> {
    this.farNick = nick;
    return this;
  }

  stop(): Promise<void> {
    return this.host.stop();
  }

  // FarEnd: the component itself stands in for the IRC side.
  private farNick = "far";

  get nick(): string {
    return this.farNick;
  }

  /** The component sees JIDs, not nicks: keyed by the sender's bare JID. */
  listen(from: UserKey, handler: ((text: string) => void) | undefined): void {
    if (handler) this.handlers.set(from.bareJid, handler);
    else this.handlers.delete(from.bareJid);
  }

  setEcho(on: boolean): Promise<void> {
    return this.host.request({ cmd: "echo", on });
  }

  send(_toNick: string, toJid: string, texts: readonly string[]): void {
    this.host.child.send({ cmd: "send", to: toJid, from: this.jidFor(this.farNick), texts });
  }

  /** Groupchat messages from `from` (a `room/nick`) to `toJid`, in order, without waiting. */
  sendGroupchat(from: string, toJid: string, texts: readonly string[]): void {
    this.host.child.send({ cmd: "send", type: "groupchat", to: toJid, from, texts });
  }

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
