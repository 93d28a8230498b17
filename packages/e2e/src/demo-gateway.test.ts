import {
  connectClient,
  type ProsodyServer,
  registerAccount,
  runSlixmppClient,
  startProsody,
  type TestClient,
  waitForStatus,
} from "@gangway/testing";
import { type Element, parseXml } from "@gangway/xmpp";
import { afterEach, describe, expect, it } from "vitest";
import { Cleanups, echoRoundTrip, GW, type RunningGateway, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * The demo gateway, in this process, against a real Prosody: registration, roster, presences and
 * echo as a user's client sees them, plus restarts of either side and a clean stop.
 */

const NS_REGISTER = "jabber:iq:register";
const NS_ROSTER = "jabber:iq:roster";
const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** Everything a test started, stopped in reverse order afterwards (clients, gateways, then servers). */
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function prosodyFor(options: { privileges?: false } = {}): Promise<ProsodyServer> {
  const prosody = await startProsody({ componentDomain: GW, ...options });
  cleanups.add(() => prosody.stop());
  return prosody;
}

/** The demo gateway on `database`, as `runGateway` starts it; the same database twice is a restart. */
function startGateway(
  prosody: ProsodyServer,
  database: TestDatabase,
  registration: "single" | "2fa" = "single",
): Promise<RunningGateway> {
  return startDemoGateway(prosody, cleanups, {
    database,
    args: ["--registration", registration],
    // Reconnect fast: the Prosody restart test waits for it.
    backoff: { initialDelayMs: 50, maxDelayMs: 500 },
  });
}

async function userClient(prosody: ProsodyServer, username: string, create = true): Promise<TestClient> {
  if (create) await registerAccount(prosody, username, "pw");
  const client = await connectClient({ server: prosody, username, password: "pw" });
  cleanups.add(() => client.stop());
  return client;
}

function registerIq(id: string, username: string, password: string): string {
  return `
    <iq type="set" id="${id}" to="${GW}">
      <query xmlns="${NS_REGISTER}">
        <x xmlns="jabber:x:data" type="submit">
          <field var="FORM_TYPE" type="hidden"><value>${NS_REGISTER}</value></field>
          <field var="username"><value>${username}</value></field>
          <field var="password"><value>${password}</value></field>
        </x>
      </query>
    </iq>`;
}

/** Registers with the gateway through XEP-0077 and waits until the gateway says it is logged in. */
async function registerByForm(client: TestClient, username: string): Promise<void> {
  await client.send(registerIq(`reg-${username}`, username, "S3cr3t-Xy7q"));
  const reply = await client.waitFor((s) => s.is("iq") && s.attrs.id === `reg-${username}`);
  expect(reply.attrs.type).toBe("result");
  await waitForGatewayStatus(client, `Logged in as ${username}`);
}

function waitForGatewayStatus(client: TestClient, status: string, timeoutMs = 10_000): Promise<Element> {
  return client.waitFor(
    (s) => s.is("presence") && s.attrs.from === GW && s.getChildText("status") === status,
    timeoutMs,
  );
}

/** Polls the roster until `done` holds (the gateway fills it asynchronously after registration). */
async function rosterWhen(
  client: TestClient,
  done: (items: Element[]) => boolean,
  timeoutMs = 10_000,
): Promise<Element[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await client.request(`<iq type="get"><query xmlns="${NS_ROSTER}"/></iq>`);
    const items = result.getChild("query", NS_ROSTER)?.getChildren("item") ?? [];
    if (done(items)) return items;
    if (Date.now() > deadline) {
      throw new Error(`roster not as expected in time: ${items.map((i) => i.toString()).join("\n")}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const gatewayItems = (items: Element[]) => items.filter((i) => String(i.attrs.jid).endsWith(`@${GW}`));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

onEachDriver((driver) => {
  describe("demo gateway against a real Prosody (XEP-0356 privileges granted)", () => {
    it("slixmpp registers with the gateway, finds echo in its roster in group Demo, and gets the echo", async () => {
      const prosody = await prosodyFor();
      await startGateway(prosody, await createTestDatabase(driver, cleanups));
      const result = await runSlixmppClient({
        server: prosody,
        jid: "carol@localhost",
        password: "pw",
        registerAccount: true,
        registerGateway: GW,
        gatewayFields: { username: "carol", password: "S3cr3t-Xy7q" },
        waitForRosterItems: [`echo@${GW}`, `alice@${GW}`, `bob@${GW}`],
        // The gateway answers only once logged in: a real client waits for its presence too.
        waitForPresence: { from: GW, status: "Logged in as carol" },
        sendTo: `echo@${GW}`,
        message: "hi",
        waitReply: true,
        timeoutMs: 15_000,
      });
      expect(result.errors, JSON.stringify(result.events) + result.stderr).toEqual([]);
      expect(result.ok, JSON.stringify(result.events) + result.stderr).toBe(true);
      expect(result.ok).toBe(true);
      expect(result.roster).toContainEqual({
        jid: `echo@${GW}`,
        name: "Echo Bot",
        subscription: "both",
        groups: ["Demo"],
      });
      expect(result.presence).toMatchObject({ from: GW, status: "Logged in as carol" });
      expect(result.messages.filter((m) => m.from.startsWith(`echo@${GW}`))).toEqual([
        { from: `echo@${GW}/gangway`, to: "carol@localhost", type: "chat", body: "echo: hi" },
      ]);
    });

    it("refuses 'wrong', then registers: privileged roster, presences, echo (and measures)", async () => {
      const prosody = await prosodyFor();
      const database = await createTestDatabase(driver, cleanups);
      const running = await startGateway(prosody, database);
      const client = await userClient(prosody, "romeo");

      await client.send(registerIq("bad", "romeo", "wrong"));
      const refused = await client.waitFor((s) => s.is("iq") && s.attrs.id === "bad");
      expect(refused.attrs.type).toBe("error");
      const error = refused.getChild("error");
      expect(error?.getChild("not-authorized", NS_STANZAS)).toBeDefined();
      expect(error?.getChildText("text", NS_STANZAS)).toBe("Wrong password");
      expect(await running.store.users.get("romeo@localhost")).toBeUndefined();

      await registerByForm(client, "romeo");

      const items = await rosterWhen(client, (all) => gatewayItems(all).length === 3);
      expect(
        gatewayItems(items)
          .map((i) => ({
            jid: i.attrs.jid,
            name: i.attrs.name,
            subscription: i.attrs.subscription,
            groups: i.getChildren("group").map((g) => g.text()),
          }))
          .sort((a, b) => String(a.jid).localeCompare(String(b.jid))),
      ).toEqual([
        { jid: `alice@${GW}`, name: "Alice Demo", subscription: "both", groups: ["Demo"] },
        { jid: `bob@${GW}`, name: "Bob Demo", subscription: "both", groups: ["Demo"] },
        { jid: `echo@${GW}`, name: "Echo Bot", subscription: "both", groups: ["Demo"] },
      ]);

      const echo = await client.waitFor((s) => s.is("presence") && s.attrs.from === `echo@${GW}/gangway`);
      expect(echo.attrs.type).toBeUndefined();
      expect(echo.getChildText("status")).toBe("I repeat everything");
      const alice = await client.waitFor((s) => s.is("presence") && s.attrs.from === `alice@${GW}/gangway`);
      expect(alice.attrs.type).toBeUndefined();
      expect(alice.getChildText("show")).toBe("away");

      const reply = await echoRoundTrip(client, "hi");
      expect(reply.attrs.from).toBe(`echo@${GW}/gangway`);
      expect(reply.attrs.type).toBe("chat");

      // Echo round trip through Prosody (client → Prosody → gateway → Prosody → client).
      const rtts: number[] = [];
      for (let i = 0; i < 50; i++) {
        const started = performance.now();
        await echoRoundTrip(client, `ping ${i}`);
        rtts.push(performance.now() - started);
      }
      // Idle memory with one logged-in user (this process also runs vitest and the test clients).
      await new Promise((resolve) => setTimeout(resolve, 200));
      (globalThis as { gc?: () => void }).gc?.();
      const rssMb = process.memoryUsage().rss / 1024 / 1024;
      console.info(
        `${driver}: echo round trip via Prosody: median ${median(rtts).toFixed(2)} ms, max ${Math.max(...rtts).toFixed(2)} ms (n=50); ` +
          `idle RSS with 1 logged-in user ${rssMb.toFixed(1)} MB (gc ${"gc" in globalThis ? "run" : "not exposed"})`,
      );
      // Timings are the bench's business (pnpm bench); here every round trip must simply complete.
      expect(rtts).toHaveLength(50);
    });

    it("logs stored users in again after a gateway restart on the same database", async () => {
      const prosody = await prosodyFor();
      const database = await createTestDatabase(driver, cleanups);
      const first = await startGateway(prosody, database);
      const client = await userClient(prosody, "juliet");
      await registerByForm(client, "juliet");
      await echoRoundTrip(client, "before");

      await first.stop();
      const second = await startGateway(prosody, database);
      console.info(
        `${driver}: gateway startup (construction → component online + 1 user logged in): ${second.startupMs.toFixed(0)} ms; ` +
          `reopening the ${driver} store before that: ${second.storeOpenMs.toFixed(0)} ms ` +
          `(first open of a fresh one: ${first.storeOpenMs.toFixed(0)} ms)`,
      );
      expect(second.gateway.sessionFor("juliet@localhost")?.isLoggedIn).toBe(true);
      expect(await second.store.users.get("juliet@localhost")).toBeDefined();
      await waitForGatewayStatus(client, "Logged in as juliet");
      const reply = await echoRoundTrip(client, "after restart");
      expect(reply.attrs.from).toBe(`echo@${GW}/gangway`);
    });

    it("reconnects by itself after a Prosody restart, and echo works for the reconnected client", async () => {
      const prosody = await prosodyFor();
      const running = await startGateway(prosody, await createTestDatabase(driver, cleanups));
      const first = await userClient(prosody, "mercutio");
      await registerByForm(first, "mercutio");
      await echoRoundTrip(first, "hi");

      const wentDown = waitForStatus(running.transport, "reconnecting");
      await prosody.restart();
      await wentDown;
      await waitForStatus(running.transport, "online");
      await first.stop();

      const client = await userClient(prosody, "mercutio", false);
      const reply = await echoRoundTrip(client, "hi", 10_000);
      expect(reply.attrs.from).toBe(`echo@${GW}/gangway`);
      expect(running.gateway.sessionFor("mercutio@localhost")?.isLoggedIn).toBe(true);
    });

    it("stop() sends unavailable presences for the available contacts and the gateway", async () => {
      const prosody = await prosodyFor();
      const running = await startGateway(prosody, await createTestDatabase(driver, cleanups));
      const client = await userClient(prosody, "tybalt");
      await registerByForm(client, "tybalt");
      await client.waitFor((s) => s.is("presence") && s.attrs.from === `alice@${GW}/gangway`);

      await running.stop();
      for (const from of [`echo@${GW}/gangway`, `alice@${GW}/gangway`, GW]) {
        await client.waitFor(
          (s) => s.is("presence") && s.attrs.from === from && s.attrs.type === "unavailable",
        );
      }
      expect(running.transport.status).toBe("offline");
    });
  });

  describe("demo gateway against a real Prosody without privileges", () => {
    it("asks for a subscription from each contact, with its nick (XEP-0172)", async () => {
      const prosody = await prosodyFor({ privileges: false });
      const running = await startGateway(prosody, await createTestDatabase(driver, cleanups));
      const client = await userClient(prosody, "benvolio");
      await registerByForm(client, "benvolio");
      expect(running.gateway.privileges?.roster ?? "none").toBe("none");

      for (const [local, nick] of [
        ["echo", "Echo Bot"],
        ["alice", "Alice Demo"],
        ["bob", "Bob Demo"],
      ]) {
        const request = await client.waitFor(
          (s) => s.is("presence") && s.attrs.from === `${local}@${GW}` && s.attrs.type === "subscribe",
        );
        expect(request.getChildText("nick", "http://jabber.org/protocol/nick")).toBe(nick);
      }
      // Nothing was put into the roster behind the user's back.
      const items = await rosterWhen(client, () => true);
      expect(gatewayItems(items).filter((i) => i.attrs.subscription === "both")).toEqual([]);
    });
  });

  describe("registration by chat through a real Prosody", () => {
    it("walks the two-factor flow as chat prompts, refuses a wrong code, then logs in", async () => {
      const prosody = await prosodyFor();
      await startGateway(prosody, await createTestDatabase(driver, cleanups), "2fa");
      const client = await userClient(prosody, "chatty");
      const ask = async (text: string, expected: string) => {
        await client.send(parseXml(`<message type="chat" to="${GW}"><body>${text}</body></message>`));
        const answer = await client.waitFor(
          (s) => s.is("message") && s.attrs.from === GW && s.getChildText("body") === expected,
        );
        expect(answer.getChildText("body")).toBe(expected);
      };
      await ask("register", "Username? (or 'abort')");
      await ask("chatty-legacy", "Password? (or 'abort')");
      await ask("pw", "Code? (or 'abort')");
      await ask("999999", "Wrong code. Let's try again.");
      await ask("123456", "Show my XMPP presence on the legacy network? (yes/no) [yes] (or 'abort')");
      await ask("yes", "Use my XMPP avatar on the legacy network? (yes/no) [yes] (or 'abort')");
      await ask("no", "Registration complete.");
      await client.waitFor(
        (s) => s.is("presence") && s.getChildText("status") === "Logged in as chatty-legacy",
      );
      await client.send(parseXml(`<message type="chat" to="echo@${GW}"><body>hi</body></message>`));
      const echo = await client.waitFor((s) => s.is("message") && s.getChildText("body") === "echo: hi");
      expect(echo.attrs.from).toBe(`echo@${GW}/gangway`);
    });
  });
});
