import { generateKeyMaterial, SecretBox } from "@gangway/store";
import {
  connectClient,
  type ProsodyServer,
  registerAccount,
  runSlixmppClient,
  type SlixmppRunOptions,
  startProsody,
} from "@gangway/testing";
import { type Element, parseXml } from "@gangway/xmpp";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Cleanups, GW, type RunningGateway, startDemoGateway } from "./support.js";
import { createTestDatabase, onEachDriver, type TestDatabase } from "./test-databases.js";

/**
 * Registration as people do it: Debian's slixmpp (an independent client) drives the ad-hoc
 * commands and the chat bot of the demo gateway through a real Prosody, for every flow.
 */

const CMD = "http://jabber.org/protocol/commands";
const REGISTER = "jabber:iq:register";
/** Sealing as in production (`runGateway` does the same from --secret-key or the key file). */
const KEY = generateKeyMaterial();
const PREFERENCES_PROMPT = "^Show my XMPP presence on the legacy network\\? \\(yes/no\\)";

let prosody: ProsodyServer;
let accounts = 0;
beforeAll(async () => {
  prosody = await startProsody({ componentDomain: GW });
});
afterAll(async () => {
  await prosody?.stop();
});

const cleanups = new Cleanups();
afterEach(async () => {
  await cleanups.run();
});

/** A fresh XMPP account for each test: the gateway sees a new user every time. */
function newAccount(): { name: string; jid: string } {
  const name = `reg${++accounts}`;
  return { name, jid: `${name}@${prosody.domain}` };
}

function slix(account: { jid: string }, options: Omit<SlixmppRunOptions, "server" | "jid" | "password">) {
  return runSlixmppClient({
    server: prosody,
    jid: account.jid,
    password: "pw",
    registerAccount: true,
    timeoutMs: 20_000,
    ...options,
  });
}

onEachDriver((driver) => {
  /** The demo gateway with this registration flow; the same database twice is a restart. */
  async function startGateway(
    registration: string,
    extraArgs: string[] = [],
    database?: TestDatabase,
  ): Promise<RunningGateway> {
    return startDemoGateway(prosody, cleanups, {
      database: database ?? (await createTestDatabase(driver, cleanups)),
      args: ["--registration", registration, ...extraArgs],
      secretBox: SecretBox.fromMaterial(KEY),
    });
  }

  describe("ad-hoc registration with slixmpp", () => {
    it("single form: lists Register, refuses a wrong password on the same stage, then registers", async () => {
      const { store } = await startGateway("single");
      const account = newAccount();
      const run = await slix(account, {
        listCommands: GW,
        adhoc: {
          jid: GW,
          node: REGISTER,
          stages: [
            { values: { username: "romeo", password: "wrong" } },
            { values: { username: "romeo", password: "S3cr3t-Xy7q" } },
            { values: { sync_presence: false, sync_avatar: true }, action: "complete" },
          ],
        },
      });
      expect(run.errors).toEqual([]);
      expect(run.commands?.map((c) => c.name)).toEqual(["Register with this gateway"]);
      const [first, refused, prefs, done] = run.adhocStages;
      expect(first?.form?.fields.map((f) => [f.var, f.type, f.required])).toEqual([
        ["username", "text-single", true],
        ["password", "text-private", true],
      ]);
      expect(refused?.notes).toEqual([{ type: "error", text: "Wrong password" }]);
      expect(refused?.sessionid).toBe(first?.sessionid);
      expect(prefs?.form?.title).toBe("Preferences");
      expect(done?.status).toBe("completed");
      expect(done?.notes).toEqual([{ type: "info", text: "Registration complete." }]);
      const user = await store.users.get(account.jid);
      expect(user?.registration).toEqual({ username: "romeo", password: "S3cr3t-Xy7q" });
      expect(user?.preferences).toEqual({ sync_presence: false, sync_avatar: true });
    });

    it("two-factor: a wrong code stays on the code stage; then echo answers", async () => {
      await startGateway("2fa");
      const account = newAccount();
      const run = await slix(account, {
        adhoc: {
          jid: GW,
          node: REGISTER,
          stages: [
            { values: { username: "juliet", password: "pw" } },
            { values: { code: "999999" } },
            { values: { code: "123456" } },
            { action: "complete" },
          ],
        },
        // Registration returns before the login it starts has finished: wait for it, as a person would.
        waitForPresence: { from: GW, status: "Logged in as juliet" },
        sendTo: `echo@${GW}`,
        message: "hi",
        waitReply: true,
      });
      expect(run.errors).toEqual([]);
      expect(run.adhocStages.map((s) => s.form?.title ?? s.status)).toEqual([
        "Registration to 'Demo (Gangway)'",
        "Enter your code",
        "Enter your code",
        "Preferences",
        "completed",
      ]);
      expect(run.adhocStages[2]?.notes).toEqual([{ type: "error", text: "Wrong code" }]);
      expect(run.messages.some((m) => m.from.startsWith(`echo@${GW}`) && m.body === "echo: hi")).toBe(true);
    });

    it("QR: the stage shows the uploaded image, the code comes by chat too, and the scan completes it", async () => {
      const { gateway } = await startGateway("qr", ["--upload-service", prosody.uploadDomain!]);
      gateway.network.qrScanDelayMs = 500;
      const account = newAccount();
      const run = await slix(account, {
        adhoc: {
          jid: GW,
          node: REGISTER,
          stages: [
            { values: { username: "mercutio", password: "pw" } },
            { action: "next" },
            { action: "complete" },
          ],
        },
        // Also makes the client available from its login on, so chat messages to its bare JID arrive.
        waitForPresence: { from: GW, status: "Logged in as mercutio" },
      });
      expect(run.errors).toEqual([]);
      const qrStage = run.adhocStages[1]!;
      expect(qrStage.form?.title).toBe("Scan this QR code");
      const image = qrStage.form?.fields.find((f) => f.var === "qr_image");
      const url = image?.media[0]?.uri ?? "";
      expect(image?.media[0]?.type).toBe("image/png");
      expect(url).toMatch(/^http:\/\/.*qr-code\.png$/);
      expect(qrStage.form?.fields.find((f) => f.var === "qr_text")?.value).toBe("gangway-demo:mercutio");
      const png = await fetch(url);
      expect(png.headers.get("content-type")).toBe("image/png");
      expect(
        Buffer.from(await png.arrayBuffer())
          .subarray(1, 4)
          .toString(),
      ).toBe("PNG");
      // The same image as an XEP-0066 message, then the code as text, for clients without form media.
      const fromGateway = run.messages.filter((m) => m.from === GW);
      expect(fromGateway.find((m) => m.oobUrl)?.oobUrl).toBe(url);
      expect(fromGateway.some((m) => m.body === "gangway-demo:mercutio")).toBe(true);
      expect(run.adhocStages.map((s) => s.form?.title ?? s.status).slice(2)).toEqual([
        "Preferences",
        "completed",
      ]);
    });

    it("QR: a code nobody scans ends with remote-server-timeout and its text", async () => {
      const { store, gateway } = await startGateway("qr", ["--qr-timeout", "1"]);
      gateway.network.qrScanDelayMs = 60_000;
      const account = newAccount();
      const run = await slix(account, {
        adhoc: {
          jid: GW,
          node: REGISTER,
          stages: [{ values: { username: "tybalt", password: "pw" } }, { action: "next" }],
        },
        expectAdhocError: true,
      });
      expect(run.adhocError).toMatchObject({
        stageIndex: 1,
        condition: "remote-server-timeout",
        text: "The QR code was not scanned in time. Start the registration again to get a new code.",
      });
      expect(await store.users.get(account.jid)).toBeUndefined();
    });

    it("a JID the validator refuses sees no commands and gets not-allowed on execute", async () => {
      await startGateway("single", ["--user-jid-validator", "^nobody@"]);
      const account = newAccount();
      const run = await slix(account, {
        listCommands: GW,
        adhoc: { jid: GW, node: REGISTER, stages: [] },
        expectAdhocError: true,
      });
      expect(run.commands).toEqual([]);
      expect(run.adhocError).toMatchObject({
        condition: "not-allowed",
        text: "Your account is not allowed to use this gateway.",
      });
    });
  });

  describe("chat registration with slixmpp", () => {
    it("QR by chat: the image as an OOB message, the text, then preferences once scanned", async () => {
      const { store, gateway } = await startGateway("qr", ["--upload-service", prosody.uploadDomain!]);
      gateway.network.qrScanDelayMs = 500;
      const account = newAccount();
      const run = await slix(account, {
        chat: {
          with: GW,
          steps: [
            { send: "help" },
            { expect: "^Commands:\\nregister — register with this gateway\\nhelp — this list$" },
            { send: "register" },
            { expect: "^Username\\? \\(or 'abort'\\)$" },
            { send: "benvolio" },
            { expect: "^Password\\? \\(or 'abort'\\)$" },
            { send: "pw" },
            { expect: "^Scan this QR code\\n" },
            { expect: "^gangway-demo:benvolio$" },
            { expect: PREFERENCES_PROMPT, timeoutMs: 10_000 },
            { send: "no" },
            { expect: "^Use my XMPP avatar" },
            { send: "yes" },
            { expect: "^Registration complete\\.$" },
          ],
        },
      });
      expect(run.chatError).toBeUndefined();
      expect(run.errors).toEqual([]);
      const image = run.messages.find((m) => m.from === GW && m.oobUrl);
      expect(image?.oobUrl).toMatch(/^http:\/\/.*qr-code\.png$/);
      expect(image?.body).toBe(image?.oobUrl);
      expect((await store.users.get(account.jid))?.preferences).toEqual({
        sync_presence: false,
        sync_avatar: true,
      });
    });

    it("abort leaves a registration without storing anything", async () => {
      const { store } = await startGateway("2fa");
      const account = newAccount();
      const run = await slix(account, {
        chat: {
          with: GW,
          steps: [
            { send: "register" },
            { expect: "^Username" },
            { send: "paris" },
            { expect: "^Password" },
            { send: "pw" },
            { expect: "^Code\\?" },
            { send: "abort" },
            { expect: "^Aborted: nothing changed\\.$" },
          ],
        },
      });
      expect(run.chatError).toBeUndefined();
      expect(await store.users.get(account.jid)).toBeUndefined();
      expect(await store.pendingRegistrations.latest(account.jid, "chat")).toBeUndefined();
    });
  });

  describe("a gateway restart in the middle of a registration", () => {
    it("ad-hoc: the same session goes on after the restart, with the password sealed on disk meanwhile", async () => {
      const database = await createTestDatabase(driver, cleanups);
      let running = await startGateway("2fa", [], database);
      const { name, jid } = newAccount();
      await registerAccount(prosody, name, "pw");
      const client = await connectClient({ server: prosody, username: name, password: "pw" });
      cleanups.add(() => client.stop());
      const execute = async (id: string, attrs: string, payload = ""): Promise<Element> => {
        await client.send(
          parseXml(
            `<iq type="set" id="${id}" to="${GW}"><command xmlns="${CMD}" node="${REGISTER}" ${attrs}>${payload}</command></iq>`,
          ),
        );
        return client.waitFor((s) => s.is("iq") && s.attrs.id === id);
      };
      const first = await execute("e1", `action="execute"`);
      const sid = String(first.getChild("command", CMD)?.attrs.sessionid);
      const code = await execute(
        "e2",
        `sessionid="${sid}"`,
        `<x xmlns="jabber:x:data" type="submit"><field var="username"><value>rosaline</value></field><field var="password"><value>S3cr3t-Xy7q</value></field></x>`,
      );
      expect(code.getChild("command", CMD)?.getChild("x", "jabber:x:data")?.getChildText("title")).toBe(
        "Enter your code",
      );

      await running.stop();
      // While it is down, the half-done registration is at rest, and the password is not readable there.
      expect(await database.holding(sid)).not.toEqual([]);
      expect(await database.holding("S3cr3t-Xy7q")).toEqual([]);
      running = await startGateway("2fa", [], database);

      const prefs = await execute(
        "e3",
        `sessionid="${sid}"`,
        `<x xmlns="jabber:x:data" type="submit"><field var="code"><value>123456</value></field></x>`,
      );
      expect(prefs.attrs.type).toBe("result");
      expect(prefs.getChild("command", CMD)?.getChild("x", "jabber:x:data")?.getChildText("title")).toBe(
        "Preferences",
      );
      expect((await running.store.users.get(jid))?.registration).toMatchObject({ username: "rosaline" });
    });
  });
});
