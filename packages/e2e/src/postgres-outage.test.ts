import { startPrivatePostgres } from "@gangway/store/testing";
import { connectClient, registerAccount, startProsody } from "@gangway/testing";
import type { Element } from "@gangway/xmpp";
import postgresClient from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import { tempDataDir } from "./cleanups.js";
import { startGatewayProcess } from "./gateway-process.js";
import { Cleanups, GW, registerWithGateway } from "./support.js";

/**
 * The real executable on a PostgreSQL server of the test's own, which is stopped for 5 s and
 * started again while a registered user writes to echo at ~40 messages a second, each asking for a
 * receipt. Every message must come back echoed or be answered with an error that names the
 * database: none may vanish. The figures are printed.
 */

const RUNNING = /"msg":"gateway running"/;
const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
const RATE_PER_SECOND = 40;
const SEND_FOR_MS = 12_000;
const STOP_AT_MS = 3_000;
const DOWN_MS = 5_000;
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("PostgreSQL restarted under traffic (real executable, private server)", () => {
  it("echoes or bounces with a reason every message: no silent loss", async () => {
    const { postgres, gateway, client } = await startOnPrivatePostgres("30");

    const sentIds: string[] = [];
    const startedAt = Date.now();
    const outage = (async () => {
      await pause(STOP_AT_MS);
      await postgres.stop();
      await pause(DOWN_MS);
      await postgres.start();
    })();
    for (let n = 0; Date.now() - startedAt < SEND_FOR_MS; n++) {
      const id = `pg-${n}`;
      sentIds.push(id);
      await client.send(
        `<message type="chat" to="echo@${GW}" id="${id}"><body>m${n}</body>` +
          `<request xmlns="urn:xmpp:receipts"/></message>`,
      );
      // Paced against the clock, so a slow send does not lower the rate.
      const due = startedAt + ((n + 1) * 1000) / RATE_PER_SECOND;
      await pause(Math.max(0, due - Date.now()));
    }
    await outage;

    // Every message is accounted for: its echo arrived, or an error reply with its id.
    const outcome = () => tally(client.stanzas, sentIds);
    const deadline = Date.now() + 40_000;
    while (outcome().lost.length > 0 && Date.now() < deadline) await pause(250);
    const { echoed, bounced, receipts, lost, bounceTexts } = outcome();
    console.info(
      `postgres outage (${DOWN_MS} ms down): sent ${sentIds.length}, echoed ${echoed}, ` +
        `bounced ${bounced}, lost ${lost.length}, receipts ${receipts}`,
    );
    const log = gateway.logEntries().map((entry) => entry.msg);
    expect(lost, gateway.output()).toEqual([]);
    expect(echoed + bounced).toBe(sentIds.length);
    for (const text of bounceTexts) expect(text).toMatch(/database/);
    // Nothing was given up on: every message's id pair (the user's message, echo's answer) was
    // written, so each can still be corrected, retracted or reacted to.
    expect(log.filter((msg) => msg === "could not store a message's id map")).toEqual([]);
    expect(await idPairsStored(postgres.url)).toBeGreaterThanOrEqual(2 * echoed);
    // The store saw the outage and its end, once each.
    expect(log.filter((msg) => msg === "database unavailable; queries wait for it")).toHaveLength(1);
    expect(log.filter((msg) => msg === "database available again")).toHaveLength(1);
    // And it still shuts down cleanly (postgres.js's end() alone would wait out its timeout).
    expect(await gateway.stop(), gateway.output()).toEqual({ code: 0, signal: null });
  }, 120_000);

  it("past --store-retry, a message that needs the database is refused with a reason naming it", async () => {
    const { postgres, gateway, client } = await startOnPrivatePostgres("1");
    await postgres.stop();
    // A correction of a message the gateway has not in memory: its id must be looked up.
    await client.send(
      `<message type="chat" to="echo@${GW}" id="fix-1"><body>fixed</body>` +
        `<replace xmlns="urn:xmpp:message-correct:0" id="from-last-year"/></message>`,
    );
    const refused = await client.waitFor(
      (s) => s.is("message") && s.attrs.type === "error" && s.attrs.id === "fix-1",
      15_000,
    );
    const error = refused.getChild("error");
    expect(error?.attrs.type).toBe("wait");
    expect(error?.getChild("service-unavailable", STANZAS)).toBeDefined();
    expect(error?.getChildText("text", STANZAS)).toBe(
      "The gateway's database is unavailable right now; your message was not sent. Try again in a minute.",
    );
    // Once it is back, the same correction is answered as usual (the message is unknown).
    await postgres.start();
    await client.send(
      `<message type="chat" to="echo@${GW}" id="fix-2"><body>fixed</body>` +
        `<replace xmlns="urn:xmpp:message-correct:0" id="from-last-year"/></message>`,
    );
    const unknown = await client.waitFor((s) => s.attrs.type === "error" && s.attrs.id === "fix-2", 15_000);
    expect(unknown.getChild("error")?.getChild("item-not-found", STANZAS), unknown.toString()).toBeDefined();
    expect(await gateway.stop(), gateway.output()).toEqual({ code: 0, signal: null });
  }, 60_000);
});

/** Prosody, a private PostgreSQL, the demo executable on it, and a registered user "pat". */
async function startOnPrivatePostgres(storeRetrySeconds: string) {
  const prosody = await startProsody({ componentDomain: GW });
  cleanups.add(() => prosody.stop());
  const postgres = await startPrivatePostgres();
  cleanups.add(() => postgres.destroy());
  const homeDir = await tempDataDir(cleanups);
  // Added after the server: cleanups run in reverse, so the gateway stops before its database.
  const gateway = startGatewayProcess(
    cleanups,
    ["--home-dir", homeDir, "--db-url", postgres.url, "--store-retry", storeRetrySeconds],
    {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    },
  );
  await gateway.waitForOutput(RUNNING);
  await registerAccount(prosody, "pat", "pw");
  const client = await connectClient({ server: prosody, username: "pat", password: "pw" });
  cleanups.add(() => client.stop());
  await registerWithGateway(client, "pat");
  return { postgres, gateway, client };
}

/** Rows of the id map, counted in the database itself. */
async function idPairsStored(url: string): Promise<number> {
  const sql = postgresClient(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<Array<{ pairs: number }>>`select count(*)::int as pairs from message_ids`;
    return row?.pairs ?? 0;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** What became of each sent message, from what the client received. */
function tally(stanzas: readonly Element[], sentIds: readonly string[]) {
  const echoedBodies = new Set<string>();
  const errorsById = new Map<string, Element>();
  const receiptIds = new Set<string>();
  for (const stanza of stanzas) {
    if (!stanza.is("message") || !String(stanza.attrs.from ?? "").startsWith(`echo@${GW}`)) continue;
    if (stanza.attrs.type === "error") errorsById.set(String(stanza.attrs.id), stanza);
    const body = stanza.getChildText("body");
    if (body?.startsWith("echo: ")) echoedBodies.add(body.slice("echo: ".length));
    const received = stanza.getChild("received", "urn:xmpp:receipts");
    if (received) receiptIds.add(String(received.attrs.id));
  }
  let echoed = 0;
  let bounced = 0;
  const lost: string[] = [];
  const bounceTexts: string[] = [];
  for (const id of sentIds) {
    if (echoedBodies.has(`m${id.slice("pg-".length)}`)) echoed++;
    else if (errorsById.has(id)) {
      bounced++;
      bounceTexts.push(errorsById.get(id)?.getChild("error")?.getChildText("text", STANZAS) ?? "");
    } else lost.push(id);
  }
  const receipts = sentIds.filter((id) => receiptIds.has(id)).length;
  return { echoed, bounced, receipts, lost, bounceTexts };
}
