import { startTestGateway } from "@gangway/core/testing";
import { openStore } from "@gangway/store";
import { bench, describe } from "vitest";
import { DemoGateway } from "./gateway.js";

/**
 * What the registration front ends cost the gateway, without any network in between: the demo
 * gateway on an in-memory transport and in-memory SQLite. `pnpm --filter @gangway/demo-gateway bench`.
 */
const GW = "demo.localhost";
const CMD = "http://jabber.org/protocol/commands";

const store = await openStore({ driver: "sqlite" });
const { transport } = await startTestGateway(DemoGateway, store, { domain: GW });

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
