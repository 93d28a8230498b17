import { loadGatewayConfig } from "@gangway/core";
import { IrcGateway } from "@gangway/irc-gateway";
import { openStore } from "@gangway/store";
import {
  connectIrcBot,
  type IrcBot,
  type NgircdServer,
  type ProsodyServer,
  runSlixmppClient,
  startNgircd,
  startProsody,
} from "@gangway/testing";
import { ComponentTransport } from "@gangway/xmpp";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Cleanups } from "./support.js";
import { createTestDatabase, onEachDriver } from "./test-databases.js";

/**
 * The IRC gateway end to end: a real Prosody, a real ngIRCd, Debian's slixmpp as the user's
 * client and an IRC bot on the other side. Registration with a nickname, then talk both ways.
 */

const GW = "irc.localhost";
const silent = pino({ level: "silent" });

// Those of the driver whose suite runs now (the drivers' suites run one after the other).
let prosody: ProsodyServer;
let ircd: NgircdServer;
let bob: IrcBot;
const cleanups = new Cleanups();

onEachDriver((driver) => {
  beforeAll(async () => {
    prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    ircd = await startNgircd();
    cleanups.add(() => ircd.stop());
    const database = await createTestDatabase(driver, cleanups);
    const config = loadGatewayConfig({
      appName: "irc",
      argv: [
        ...["--jid", GW, "--secret", prosody.componentSecret, "--port", String(prosody.componentPort)],
        ...["--irc-server", `127.0.0.1:${ircd.port}:plain`],
      ],
      env: {},
      appOptions: IrcGateway.OPTIONS,
    });
    const store = await openStore(database.options, silent);
    const transport = new ComponentTransport({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: GW,
      password: prosody.componentSecret,
      logger: silent,
    });
    const gateway = new IrcGateway({ config, store, transport, logger: silent });
    await gateway.start();
    cleanups.add(async () => {
      await gateway.stop();
      await store.close();
    });
    bob = await connectIrcBot({ host: "127.0.0.1", port: ircd.port, nick: "bob" });
    cleanups.add(() => bob.quit());
  });
  afterAll(() => cleanups.run());

  describe("IRC gateway: slixmpp ↔ Prosody ↔ gateway ↔ ngIRCd ↔ IRC bot", () => {
    it("registers with a nickname over XEP-0077 and chats with an IRC user both ways", async () => {
      // The bot answers the first private message it gets, as a person on IRC would.
      const answered = bob
        .waitForMessage((m) => m.kind === "privmsg" && m.from === "romeo", 20_000)
        .then(async (m) => {
          await bob.say("romeo", `bob here, got "${m.text}"`);
          return m;
        });
      const run = await runSlixmppClient({
        server: prosody,
        jid: "romeo@localhost",
        password: "pw",
        registerAccount: true,
        registerGateway: GW,
        gatewayFields: { nickname: "romeo", password: "" },
        waitForPresence: { from: GW, status: "Connected to 127.0.0.1 as romeo" },
        sendTo: `bob@${GW}`,
        message: "hello from *XMPP*",
        waitReply: true,
        timeoutMs: 20_000,
      });
      expect(run.errors).toEqual([]);
      // Styling became IRC bold on the way out.
      expect((await answered).text).toBe("hello from \x02XMPP\x02");
      const reply = run.messages.find((m) => m.from.startsWith(`bob@${GW}`));
      // And IRC bold became XEP-0393 styling on the way in.
      expect(reply?.body).toBe('bob here, got "hello from *XMPP*"');
    });
  });
});
