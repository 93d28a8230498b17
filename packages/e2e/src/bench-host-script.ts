/**
 * The code of a bench host process (see bench-host.ts): plain JavaScript run with
 * `node --expose-gc --input-type=module -e` from packages/e2e, so the workspace packages resolve to
 * their built `dist` (the turbo `bench` task builds them first). Each kind imports only what it
 * runs, so a host's memory is that of its gateway alone.
 *
 * - "bare": XmppComponent + ComponentTransport answering every chat body with "echo: <body>",
 *   preceded, when the message has an id, by what the demo's echo contact sends for it (a
 *   receipt with a received marker, then a displayed marker): the same stanzas, no gateway.
 * - "demo": the demo gateway. With `contacts`, a bench-only network: the demo session and contact
 *   subclassed so that listContacts() yields `count` contacts per user (`c000`, `c001`, …, named
 *   "Contact c000", …), the first `online` of them online, none of them known to the demo
 *   network (nobody writes to them).
 * - "irc": @gangway/irc-gateway with `--irc-server` pinned to ngircd (plain).
 *
 * The gateway logs at the CLI's default level (info) into a sink that counts lines instead of
 * printing them: "logged in" / "login failed" lines count the stored users' logins (reported once
 * `expectLogins` is reached), and the first warnings and errors are kept for the report. With
 * `expectLogins`, the host is ready as soon as `gateway.start()` is called, and says when it
 * resolves (event "started").
 */
export const HOST_SCRIPT = `
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "@gangway/store";
import { ComponentTransport, XmppComponent, xml } from "@gangway/xmpp";
import { pino } from "pino";

const spec = JSON.parse(process.env.GANGWAY_BENCH_HOST);
const now = () => performance.timeOrigin + performance.now();
const scriptAt = now();
const reply = (message) => process.send?.(message);
// The bench process went away (or closed the channel): nothing may outlive it.
process.on("disconnect", () => process.exit(0));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const MARKERS = "urn:xmpp:chat-markers:0";

const log = { lines: 0, loggedIn: 0, loginFailed: 0, problems: [], componentOnlineAt: null, reported: false };
const countLogins = () => {
  if (log.reported || spec.expectLogins === undefined) return;
  if (log.loggedIn + log.loginFailed < spec.expectLogins) return;
  log.reported = true;
  reply({ event: "logins", logins: { at: now(), loggedIn: log.loggedIn, failed: log.loginFailed } });
};
const sink = {
  write(line) {
    log.lines++;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      return;
    }
    if (entry.msg === "logged in") log.loggedIn++;
    else if (entry.msg === "login failed") log.loginFailed++;
    else if (entry.msg === "component online") log.componentOnlineAt ??= now();
    if (entry.level >= 40 && log.problems.length < 20) {
      const err = entry.err?.message ?? entry.err;
      log.problems.push(entry.msg + (err ? ": " + String(err) : ""));
    }
    countLogins();
  },
};
const logger = pino({ level: spec.kind === "bare" ? "silent" : "info" }, sink);

function transportFor() {
  return new ComponentTransport({
    service: "xmpp://127.0.0.1:" + spec.port,
    domain: spec.domain,
    password: spec.secret,
    logger,
  });
}

async function startBare() {
  const component = new XmppComponent(transportFor(), { logger });
  const message = (stanza, ...children) =>
    xml("message", { type: "chat", to: stanza.attrs.from, from: stanza.attrs.to + "/bare", id: randomUUID() }, ...children);
  const hint = () => xml("store", { xmlns: "urn:xmpp:hints" });
  component.onMessage(async (stanza) => {
    const body = stanza.getChildText("body");
    if (body === null || stanza.attrs.type === "error") return;
    const id = stanza.attrs.id;
    // The same stanzas as the demo's echo contact: receipt + received marker, displayed marker, answer.
    const replies = [];
    if (id) {
      replies.push(
        message(stanza, xml("received", { xmlns: "urn:xmpp:receipts", id }), xml("received", { xmlns: MARKERS, id }), hint()),
        message(stanza, xml("displayed", { xmlns: MARKERS, id }), hint()),
      );
    }
    const answerId = randomUUID();
    replies.push(
      xml(
        "message",
        { type: "chat", to: stanza.attrs.from, from: stanza.attrs.to + "/bare", id: answerId },
        xml("body", {}, "echo: " + body),
        xml("markable", { xmlns: MARKERS }),
        xml("origin-id", { xmlns: "urn:xmpp:sid:0", id: answerId }),
      ),
    );
    for (const reply of replies) await component.send(reply);
  });
  await component.start();
  return { store: null, stop: () => component.stop() };
}

async function demoGatewayClass() {
  const { DemoContact, DemoGateway, DemoSession } = await import("@gangway/demo-gateway");
  if (spec.contacts === null) return DemoGateway;
  const { count, online } = spec.contacts;
  const width = Math.max(3, String(count - 1).length);
  class BenchContact extends DemoContact {
    async updateInfo() {
      this.name = "Contact " + this.legacyId;
    }
  }
  class BenchSession extends DemoSession {
    static Contact = BenchContact;
    // The scale run measures contacts: the demo's lobby would add a room, its three members as
    // contacts outside the seeded rosters, and a bookmark per user (measured in the bookmarks tests).
    async *listRooms() {}
    async *listContacts() {
      for (let i = 0; i < count; i++) {
        const contact = await this.contacts.byLegacyId("c" + String(i).padStart(width, "0"));
        if (i < online) await contact.online("status of contact " + i);
        yield contact;
      }
    }
  }
  return class BenchGateway extends DemoGateway {
    Session = BenchSession;
  };
}

async function startGateway() {
  const { loadGatewayConfig } = await import("@gangway/core");
  const store = await openStore(spec.store, logger);
  timeline.storeOpenedAt = now();
  // --rate-limit 0: the benches send thousands of messages from one JID as fast as they can, which
  // the per-JID rate limit would (rightly) refuse; they measure the gateway, not the limit.
  const argv = [
    "--jid", spec.domain, "--secret", spec.secret, "--server", "127.0.0.1", "--port", String(spec.port),
    "--rate-limit", "0",
  ];
  let Gateway;
  let config;
  if (spec.kind === "irc") {
    ({ IrcGateway: Gateway } = await import("@gangway/irc-gateway"));
    config = loadGatewayConfig({
      appName: "irc",
      argv: [...argv, "--irc-server", "127.0.0.1:" + spec.ircPort + ":plain"],
      env: {},
      appOptions: Gateway.OPTIONS,
    });
  } else {
    Gateway = await demoGatewayClass();
    // The demo network saves its state in the home dir: a temp one, gone with the host.
    const home = mkdtempSync(join(tmpdir(), "gangway-bench-demo-"));
    process.on("exit", () => rmSync(home, { recursive: true, force: true }));
    argv.push("--home-dir", home);
    config = loadGatewayConfig({ appName: "demo", argv, env: {}, appOptions: Gateway.OPTIONS });
  }
  const gateway = new Gateway({ config, store, transport: transportFor(), logger });
  const starting = gateway.start();
  if (spec.expectLogins === undefined) await starting;
  else {
    // A scale run: ready now, so the bench can watch the logins (and stop waiting at its budget).
    starting.then(
      () => reply({ event: "started", at: now() }),
      (err) => reply({ event: "started", at: now(), error: String(err?.stack ?? err) }),
    );
  }
  return {
    store,
    stop: async () => {
      await gateway.stop();
      await store.close();
    },
  };
}

const timeline = { scriptAt, storeOpenedAt: null, componentOnlineAt: null, startedAt: 0 };
try {
  const running = spec.kind === "bare" ? await startBare() : await startGateway();
  timeline.startedAt = now();
  timeline.componentOnlineAt = log.componentOnlineAt;
  countLogins();
  process.on("message", async (message) => {
    try {
      if (message.cmd === "memory") {
        const gc = typeof globalThis.gc === "function";
        for (let i = 0; i < 3; i++) {
          globalThis.gc?.();
          await sleep(50);
        }
        const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
        reply({ id: message.id, value: { rss, heapUsed, heapTotal, external, arrayBuffers, gc } });
      } else if (message.cmd === "stats") {
        const stats = running.store?.messageIds.stats?.() ?? null;
        const idMap = stats && { hits: stats.hits, misses: stats.misses, entries: stats.entries, backlog: stats.backlog };
        const { user, system } = process.cpuUsage();
        reply({
          id: message.id,
          value: {
            logLines: log.lines,
            loggedIn: log.loggedIn,
            loginFailed: log.loginFailed,
            componentOnlineAt: log.componentOnlineAt,
            problems: log.problems,
            idMap,
            cpuMs: (user + system) / 1000,
          },
        });
      } else if (message.cmd === "stop") {
        if (message.graceful) await running.stop();
        if (message.graceful) {
          reply({ id: message.id, value: null });
          process.disconnect();
        } else process.send?.({ id: message.id, value: null }, () => process.exit(0));
      }
    } catch (err) {
      reply({ id: message.id, error: String(err?.stack ?? err) });
    }
  });
  reply({ ready: true, timeline });
} catch (err) {
  reply({ ready: false, error: String(err?.stack ?? err) });
  process.exit(1);
}
`;
