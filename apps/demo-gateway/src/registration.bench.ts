import { loadGatewayConfig } from "@gangway/core";
import { openStore } from "@gangway/store";
import { MemoryTransport } from "@gangway/testing";
import { pino } from "pino";
import { bench, describe } from "vitest";
import { DemoGateway } from "./gateway.js";
import { testHomeDir } from "./test-support/gateway.js";

/**
 * What the registration front ends cost the gateway, without any network in between: the demo
 * gateway on an in-memory transport and in-memory SQLite. `pnpm --filter @gangway/demo-gateway bench`.
 */
const GW = "demo.localhost";
const CMD = "http://jabber.org/protocol/commands";

const store = await openStore({ driver: "sqlite" });
const transport = new MemoryTransport({ domain: GW });
const gateway = new DemoGateway({
  // The demo network's state file goes to a temp home dir, not the user's.
  config: loadGatewayConfig({
    appName: "demo",
    argv: ["--jid", GW, "--secret", "s", "--home-dir", testHomeDir(store)],
    env: {},
  }),
  store,
  transport,
  logger: pino({ level: "silent" }),
  privilegeWaitMs: 0,
});
await gateway.start();

let users = 0;
let requests = 0;

/** One ad-hoc request; resolves with the reply's command element. */
async function command(from: string, attrs: string, payload = "") {
  const id = `b${++requests}`;
  await transport.inject(
    `<iq type="set" id="${id}" from="${from}/r" to="${GW}"><command xmlns="${CMD}" node="jabber:iq:register" ${attrs}>${payload}</command></iq>`,
  );
  const reply = transport.sent.findLast((s) => s.attrs.id === id);
  // Keep memory flat over thousands of iterations: nothing is asserted on the log here.
  transport.sent.length = 0;
  return reply?.getChild("command", CMD);
}

describe("registration front ends (MemoryTransport, in-memory SQLite)", () => {
  bench("ad-hoc: a whole single-form registration (3 stages, user stored, login started)", async () => {
    const jid = `bench${++users}@localhost`;
    const first = await command(jid, `action="execute"`);
    const sid = String(first?.attrs.sessionid);
    await command(
      jid,
      `sessionid="${sid}"`,
      `<x xmlns="jabber:x:data" type="submit"><field var="username"><value>u${users}</value></field><field var="password"><value>pw</value></field></x>`,
    );
    const done = await command(
      jid,
      `sessionid="${sid}" action="complete"`,
      `<x xmlns="jabber:x:data" type="submit"/>`,
    );
    if (done?.attrs.status !== "completed") throw new Error("the registration did not complete");
  });

  bench("chat: 'help' from someone not registered", async () => {
    await transport.inject(
      `<message type="chat" from="stranger@localhost/r" to="${GW}"><body>help</body></message>`,
    );
    transport.sent.length = 0;
  });

  bench("disco#items of the commands node", async () => {
    await transport.inject(
      `<iq type="get" id="d" from="stranger@localhost/r" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#items" node="${CMD}"/></iq>`,
    );
    transport.sent.length = 0;
  });
});
