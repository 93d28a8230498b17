import type { Element } from "@gangway/core";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { MessengerGateway } from "./gateway.js";
import { GW, ROMEO, startTestGateway } from "./test-support/gateway.js";

const CMD = "http://jabber.org/protocol/commands";
const NEXT = `<actions execute="next"><next/><complete/></actions>`;

const CREDENTIALS_FORM = `
  <x xmlns="jabber:x:data" type="form">
    <title>Registration to 'Facebook Messenger (Gangway)'</title>
    <instructions>Enter the email (or phone number) and password of your Facebook account, or leave them empty and paste a cookie export (app state) of a browser logged in to Facebook. Chats with end-to-end encryption are not visible through this gateway.</instructions>
    <field var="email" type="text-single" label="Email or phone"/>
    <field var="password" type="text-private" label="Password"/>
    <field var="app_state" type="text-private" label="Or: cookie export (app state JSON)"><desc>Instead of email and password: the cookies of a browser logged in to facebook.com, as the JSON array cookie-export extensions give.</desc></field>
  </x>`;

const CODE_FORM = `
  <x xmlns="jabber:x:data" type="form">
    <title>Facebook login code</title>
    <instructions>Facebook asks to confirm this login: enter the code it sent you.</instructions>
    <field var="code" type="text-single" label="Code"><required/></field>
  </x>`;

/** Registration through the ad-hoc command jabber:iq:register: email + password, the checkpoint code when asked. */
forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: MessengerGateway;
  let iqId = 0;

  beforeEach(async () => {
    store = await driver.openStore();
    ({ gateway, transport } = await startTestGateway(store));
  });
  afterEach(async () => {
    await gateway.stop();
  });

  async function command(attrs: string, payload = ""): Promise<Element> {
    const id = `c${++iqId}`;
    await transport.inject(
      `<iq type="set" id="${id}" from="${ROMEO}/phone" to="${GW}"><command xmlns="${CMD}" node="jabber:iq:register" ${attrs}>${payload}</command></iq>`,
    );
    const reply = transport.sent.find((s) => s.is("iq") && s.attrs.id === id);
    if (!reply) throw new Error(`no reply to ${id}`);
    return reply;
  }

  const submit = (fields: Record<string, string>) =>
    `<x xmlns="jabber:x:data" type="submit">${Object.entries(fields)
      .map(([name, value]) => `<field var="${name}"><value>${value}</value></field>`)
      .join("")}</x>`;

  /** The command's payload at this stage, without the preferences form's details. */
  function stage(reply: Element): { status: string; inner: string } {
    const command = reply.getChild("command", CMD)!;
    return { status: String(command.attrs.status), inner: canonicalXml(command.children.join("")) };
  }

  async function begin(): Promise<string> {
    const first = await command(`action="execute"`);
    expect(stage(first)).toEqual({ status: "executing", inner: canonicalXml(`${NEXT}${CREDENTIALS_FORM}`) });
    return String(first.getChild("command", CMD)!.attrs.sessionid);
  }

  /** Accepts the preferences form and waits for the session's login. */
  async function finish(sid: string, email: string): Promise<void> {
    const done = await command(`sessionid="${sid}"`, submit({ sync_presence: "1", sync_avatar: "1" }));
    expect(stage(done).status).toBe("completed");
    await transport.waitForSent(
      (s) => s.is("presence") && s.getChildText("status") === `Logged in as ${email}`,
    );
  }

  it("without a checkpoint: email and password, then the preferences, then logged in", async () => {
    const sid = await begin();
    const prefs = await command(`sessionid="${sid}"`, submit({ email: "romeo@example.org", password: "pw" }));
    expect(stage(prefs).inner).toContain("<title>Preferences</title>");
    await finish(sid, "romeo@example.org");
    const user = (await store.users.get(ROMEO))!;
    expect(user.registration).toEqual({ email: "romeo@example.org", password: "pw" });
    // The registration's login is the only one: the session resumed the session it opened.
    expect(user.legacyData).toEqual({ session: expect.any(String) });
    expect(gateway.cloud.logins("romeo@example.org")).toBe(1);
  });

  it("a wrong password is refused on the credentials stage", async () => {
    const sid = await begin();
    const wrong = await command(
      `sessionid="${sid}"`,
      submit({ email: "romeo@example.org", password: "wrong" }),
    );
    expect(stage(wrong)).toEqual({
      status: "executing",
      inner: canonicalXml(`${NEXT}<note type="error">Wrong email or password.</note>${CREDENTIALS_FORM}`),
    });
    expect(await store.users.get(ROMEO)).toBeUndefined();
  });

  it("with a checkpoint: asks for the code, refuses a wrong one, takes 123456, keeps no password aside", async () => {
    const email = "checkpoint.romeo@example.org";
    const sid = await begin();
    const code = await command(`sessionid="${sid}"`, submit({ email, password: "pw" }));
    expect(stage(code)).toEqual({ status: "executing", inner: canonicalXml(`${NEXT}${CODE_FORM}`) });
    const wrong = await command(`sessionid="${sid}"`, submit({ code: "000000" }));
    expect(stage(wrong)).toEqual({
      status: "executing",
      inner: canonicalXml(`${NEXT}<note type="error">Wrong login code.</note>${CODE_FORM}`),
    });
    const prefs = await command(`sessionid="${sid}"`, submit({ code: "123456" }));
    expect(stage(prefs).inner).toContain("<title>Preferences</title>");
    await finish(sid, email);
    const user = (await store.users.get(ROMEO))!;
    expect(user.registration).toEqual({ email, password: "pw", code: "123456" });
    expect(user.legacyData).toEqual({ checkpoint: null, session: expect.any(String) });
    expect(gateway.cloud.logins(email)).toBe(1);
    // The checkpoint is passed: a restart logs in without a code.
    await gateway.stop();
    ({ gateway, transport } = await startTestGateway(store));
    await transport.waitForSent(
      (s) => s.is("presence") && s.getChildText("status") === `Logged in as ${email}`,
    );
  });

  /** Submits the credentials form; returns the refusal's note text (the form stays). */
  async function refused(fields: Record<string, string>): Promise<string> {
    const sid = await begin();
    const reply = await command(`sessionid="${sid}"`, submit(fields));
    const note = reply.getChild("command", CMD)!.getChild("note");
    expect(note?.attrs.type).toBe("error");
    // The credentials form again, to try once more.
    expect(canonicalXml(reply.getChild("command", CMD)!.getChild("x", "jabber:x:data")!)).toBe(
      canonicalXml(CREDENTIALS_FORM),
    );
    return note!.getText();
  }

  it("with a cookie export (app state) instead: logged in as its c_user, the export kept sealed", async () => {
    const appState = JSON.stringify(cookies("romeo.fb", "xs-value"));
    const sid = await begin();
    const prefs = await command(`sessionid="${sid}"`, submit({ app_state: escapeXml(appState) }));
    expect(stage(prefs).inner).toContain("<title>Preferences</title>");
    await finish(sid, "romeo.fb");
    const user = (await store.users.get(ROMEO))!;
    expect(user.registration).toEqual({ app_state: appState });
    expect(user.legacyData).toEqual({ session: expect.any(String) });
    expect(gateway.cloud.logins("romeo.fb")).toBe(1);
  });

  it("refuses neither, both, half of the credentials, and a malformed export, never quoting it", async () => {
    expect(await refused({})).toBe(
      "Enter your email and password, or paste a cookie export (app state) instead.",
    );
    expect(await refused({ email: "romeo@example.org" })).toBe(
      "Enter both your email (or phone) and your password.",
    );
    expect(
      await refused({
        email: "romeo@example.org",
        password: "pw",
        app_state: escapeXml(JSON.stringify(cookies("x", "y"))),
      }),
    ).toBe("Enter either your email and password or a cookie export, not both.");
    const secret = "[{&quot;key&quot;:&quot;c_user&quot;,&quot;value&quot;:&quot;SECRET-COOKIE&quot;}]";
    const note = await refused({ app_state: secret });
    expect(note).toBe(
      "This is not a Facebook cookie export: paste the JSON array of cookies (with c_user and xs) exported from a browser logged in to facebook.com.",
    );
    expect(transport.sent.some((s) => s.toString().includes("SECRET-COOKIE"))).toBe(false);
    expect(await refused({ app_state: "not json {" })).toContain("This is not a Facebook cookie export");
    expect(await store.users.get(ROMEO)).toBeUndefined();
  });

  it("an ended session in the export, and a checkpoint that needs a browser, say what to do", async () => {
    expect(await refused({ app_state: escapeXml(JSON.stringify(cookies("romeo.fb", "expired"))) })).toBe(
      "Your Facebook session has ended: register again, with your email and password or a fresh cookie export.",
    );
    expect(await refused({ email: "browser.romeo@example.org", password: "pw" })).toBe(
      'Facebook wants to confirm this login in a browser: log in at facebook.com, approve the login ("Was this you?"), then register again — or register with a cookie export of that browser.',
    );
  });
});

/** A browser's cookie export as cookie-export extensions write it. */
function cookies(user: string, session: string) {
  return [
    { key: "c_user", value: user, domain: "facebook.com", path: "/" },
    { key: "xs", value: session, domain: "facebook.com", path: "/" },
    { key: "datr", value: "d", domain: "facebook.com", path: "/" },
  ];
}

function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll('"', "&quot;");
}
