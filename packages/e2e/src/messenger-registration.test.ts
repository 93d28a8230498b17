import { runSlixmppClient } from "@gangway/testing";
import { parseXml } from "@gangway/xmpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  ALICE,
  BOB,
  loggedIn,
  MESSENGER,
  type MessengerStack,
  registerWithMessenger,
  startMessengerStack,
  why,
} from "./messenger-support.js";
import { Cleanups } from "./support.js";
import { onEachDriver } from "./test-databases.js";

/**
 * Registration with the real `gangway-messenger --backend fake` through a real Prosody, as a
 * slixmpp client does it: the gateway's XEP-0050 "Register" command (XEP-0077's single form cannot
 * carry Facebook's login checkpoint, so XEP-0077 points to the command), with and without the
 * checkpoint, a wrong password and a wrong code refused; then the friends in the roster.
 */

const STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

onEachDriver((driver) => {
  const cleanups = new Cleanups();
  let stack: MessengerStack;

  beforeAll(async () => {
    stack = await startMessengerStack(cleanups, driver);
  }, 90_000);
  afterAll(() => cleanups.run());

  it("without a checkpoint: email and password, the preferences, logged in; alice.fb and bob.fb in the roster group Facebook", async () => {
    const run = await registerWithMessenger(stack.server, "carol", "carol@example.org", "pw", {
      fetchRoster: true,
      waitForRosterItems: [ALICE, BOB],
    });
    expect(run.ok, why(run, stack.gateway)).toBe(true);
    const [credentials, preferences, done] = run.adhocStages;
    expect(credentials!.form!.fields.map((f) => [f.var, f.type])).toEqual([
      ["email", "text-single"],
      ["password", "text-private"],
      ["app_state", "text-private"],
    ]);
    expect(preferences!.form!.title).toBe("Preferences");
    expect(done!.status).toBe("completed");
    const friends = run.roster!.filter((item) => item.jid.endsWith(`@${MESSENGER}`));
    expect(friends.map(({ jid, name, groups }) => ({ jid, name, groups }))).toEqual([
      { jid: ALICE, name: "Alice Facebook", groups: ["Facebook"] },
      { jid: BOB, name: "Bob Facebook", groups: ["Facebook"] },
    ]);
    // The password never reaches the log.
    expect(stack.gateway.stdout).not.toContain('"pw"');
  }, 150_000);

  it("with a checkpoint: the code form, a wrong code refused and asked again, 123456 logs in", async () => {
    const email = "checkpoint.dave@example.org";
    const run = await registerWithMessenger(stack.server, "dave", email, "pw", {
      stages: [{ values: { code: "000000" } }, { values: { code: "123456" } }],
    });
    expect(run.ok, why(run, stack.gateway)).toBe(true);
    const [, codeForm, wrongCode, preferences, done] = run.adhocStages;
    expect(codeForm!.form!.title).toBe("Facebook login code");
    expect(codeForm!.form!.fields.map((f) => f.var)).toEqual(["code"]);
    expect(wrongCode!.notes).toEqual([{ type: "error", text: "Wrong login code." }]);
    expect(wrongCode!.form!.title).toBe("Facebook login code");
    expect(preferences!.form!.title).toBe("Preferences");
    expect(done!.status).toBe("completed");
  }, 150_000);

  it("refused, each with what to do and nothing quoted back: a wrong password, a checkpoint that needs a browser, a malformed cookie export; nothing registered", async () => {
    const run = await runSlixmppClient({
      server: stack.server,
      jid: "erin@localhost",
      password: "pw",
      registerAccount: true,
      adhoc: {
        jid: MESSENGER,
        node: "jabber:iq:register",
        // The credentials form comes back after each refusal: the same command goes on.
        stages: [
          { values: { email: "erin@example.org", password: "wrong" } },
          { values: { email: "browser.erin@example.org", password: "pw" } },
          { values: { app_state: '[{"key":"c_user","value":"SECRET-COOKIE-7q"}]' } },
        ],
      },
      raw: {
        steps: [
          { send: `<iq type="get" id="r1" to="${MESSENGER}"><query xmlns="jabber:iq:register"/></iq>` },
          {
            expect: {
              stanza: "iq",
              id: "r1",
              type: "result",
              lacks: "{jabber:iq:register}query/{jabber:iq:register}registered",
            },
          },
        ],
      },
      timeoutMs: 60_000,
    });
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const refusals = run.adhocStages.slice(1);
    expect(refusals.map((stage) => stage.notes)).toEqual([
      [{ type: "error", text: "Wrong email or password." }],
      [
        {
          type: "error",
          text: 'Facebook wants to confirm this login in a browser: log in at facebook.com, approve the login ("Was this you?"), then register again — or register with a cookie export of that browser.',
        },
      ],
      [
        {
          type: "error",
          text: "This is not a Facebook cookie export: paste the JSON array of cookies (with c_user and xs) exported from a browser logged in to facebook.com.",
        },
      ],
    ]);
    for (const stage of refusals) {
      expect(stage.status).toBe("executing");
      expect(stage.form!.fields.map((f) => f.var)).toEqual(["email", "password", "app_state"]);
    }
    expect(JSON.stringify(run.adhocStages)).not.toContain("SECRET-COOKIE");
    expect(stack.gateway.stdout).not.toContain("SECRET-COOKIE");
  }, 90_000);

  it("with a cookie export (app state) instead of email and password: logged in as its c_user, alice.fb answers", async () => {
    const appState = JSON.stringify([
      { key: "c_user", value: "grace.fb", domain: "facebook.com", path: "/" },
      { key: "xs", value: "xs-session-1", domain: "facebook.com", path: "/" },
    ]);
    const run = await runSlixmppClient({
      server: stack.server,
      jid: "grace@localhost",
      password: "pw",
      registerAccount: true,
      adhoc: {
        jid: MESSENGER,
        node: "jabber:iq:register",
        stages: [{ values: { app_state: appState } }, { values: {} }],
      },
      raw: {
        steps: [
          loggedIn("grace.fb"),
          { send: `<message type="chat" to="${ALICE}" id="c1"><body>cookies work</body></message>` },
          { expect: { from: ALICE, body: "^seen: cookies work$" }, timeoutMs: 60_000 },
        ],
      },
      timeoutMs: 120_000,
    });
    expect(run.rawError ?? run.adhocError ?? run.errors, why(run, stack.gateway)).toEqual([]);
    expect(run.adhocStages.at(-1)!.status).toBe("completed");
    expect(stack.gateway.stdout).not.toContain("xs-session-1");
  }, 150_000);

  it("XEP-0077 points to the Register command; a plain XEP-0077 submission is refused as needing more forms", async () => {
    const run = await runSlixmppClient({
      server: stack.server,
      jid: "frank@localhost",
      password: "pw",
      registerAccount: true,
      raw: {
        steps: [
          { send: `<iq type="get" id="r1" to="${MESSENGER}"><query xmlns="jabber:iq:register"/></iq>` },
          { expect: { stanza: "iq", id: "r1", type: "result" } },
          {
            send: `<iq type="set" id="r2" to="${MESSENGER}"><query xmlns="jabber:iq:register"><username>frank@example.org</username><password>pw</password></query></iq>`,
          },
          { expect: { stanza: "iq", id: "r2", type: "error" } },
        ],
      },
      timeoutMs: 60_000,
    });
    expect(run.rawError, why(run, stack.gateway)).toBeUndefined();
    const [form, refusal] = run.rawMatches.map((match) => parseXml(match.xml));
    expect(form!.getChild("query", "jabber:iq:register")!.getChildText("instructions")).toBe(
      `Registering with this gateway takes more than one form. Use its "Register" command, or send "register" to ${MESSENGER}.`,
    );
    const error = refusal!.getChild("error")!;
    expect(error.getChild("not-acceptable", STANZAS)).toBeDefined();
    expect(error.getChildText("text", STANZAS)).toBe(
      "This gateway needs more than one form to register: use its commands.",
    );
  }, 90_000);
});
