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
    <instructions>Enter the email (or phone number) and password of your Facebook account. Chats with end-to-end encryption are not visible through this gateway.</instructions>
    <field var="email" type="text-single" label="Email or phone"><required/></field>
    <field var="password" type="text-private" label="Password"><required/></field>
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
    expect((await store.users.get(ROMEO))?.registration).toEqual({
      email: "romeo@example.org",
      password: "pw",
    });
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
    expect(user.legacyData).toEqual({ checkpoint: null });
    // The checkpoint is passed: a restart logs in without a code.
    await gateway.stop();
    ({ gateway, transport } = await startTestGateway(store));
    await transport.waitForSent(
      (s) => s.is("presence") && s.getChildText("status") === `Logged in as ${email}`,
    );
  });
});
