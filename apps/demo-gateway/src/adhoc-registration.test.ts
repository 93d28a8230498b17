import type { Element } from "@gangway/core";
import type { Store } from "@gangway/store";
import { forEachDriver } from "@gangway/store/testing";
import { canonicalXml, type MemoryTransport } from "@gangway/testing";
import { afterEach, expect, it } from "vitest";
import type { DemoGateway } from "./gateway.js";
import { GW, startTestGateway } from "./test-support/gateway.js";

const USER = "romeo@localhost";
const ADMIN = "admin@localhost";
const CMD = "http://jabber.org/protocol/commands";

const CREDENTIALS_FORM = `
  <x xmlns="jabber:x:data" type="form">
    <title>Registration to 'Demo (Gangway)'</title>
    <instructions>Any username works. Any password logs in, except 'wrong'.</instructions>
    <field var="username" type="text-single" label="Username"><required/></field>
    <field var="password" type="text-private" label="Password"><required/></field>
  </x>`;

const PREFERENCES_FORM = `
  <x xmlns="jabber:x:data" type="form">
    <title>Preferences</title>
    <instructions>How the gateway should behave for you. You can change this later with 'preferences'.</instructions>
    <field var="sync_presence" type="boolean" label="Show my XMPP presence on the legacy network"><value>1</value></field>
    <field var="sync_avatar" type="boolean" label="Use my XMPP avatar on the legacy network"><value>1</value></field>
  </x>`;

const NEXT = `<actions execute="next"><next/><complete/></actions>`;

forEachDriver((driver) => {
  let store: Store;
  let transport: MemoryTransport;
  let gateway: DemoGateway;
  let iqId = 0;

  async function start(registration: "single" | "2fa" | "qr", extra: string[] = []) {
    store ??= await driver.openStore();
    ({ gateway, transport } = await startTestGateway(store, [
      ...["--registration", registration, "--admins", ADMIN],
      ...extra,
    ]));
  }
  afterEach(async () => {
    await gateway.stop();
    await store.close();
    store = undefined as unknown as Store;
  });

  /** Sends one ad-hoc request and returns the gateway's reply. */
  async function command(attrs: string, payload = "", from = USER): Promise<Element> {
    const id = `c${++iqId}`;
    await transport.inject(
      `<iq type="set" id="${id}" from="${from}/phone" to="${GW}"><command xmlns="${CMD}" ${attrs}>${payload}</command></iq>`,
    );
    const reply = transport.sent.find((s) => s.is("iq") && s.attrs.id === id);
    if (!reply) throw new Error(`no reply to ${id}`);
    return reply;
  }

  const submit = (fields: Record<string, string>) =>
    `<x xmlns="jabber:x:data" type="submit">${Object.entries(fields)
      .map(([name, value]) => `<field var="${name}"><value>${value}</value></field>`)
      .join("")}</x>`;

  function expectStage(reply: Element, sessionId: string, status: string, inner: string) {
    expect(canonicalXml(reply.getChild("command", CMD)!)).toBe(
      canonicalXml(
        `<command xmlns="${CMD}" node="jabber:iq:register" sessionid="${sessionId}" status="${status}">${inner}</command>`,
      ),
    );
  }

  async function listCommands(from: string): Promise<string[]> {
    await transport.inject(
      `<iq type="get" id="items" from="${from}/phone" to="${GW}"><query xmlns="http://jabber.org/protocol/disco#items" node="${CMD}"/></iq>`,
    );
    const reply = transport.sent.findLast((s) => s.attrs.id === "items")!;
    return reply
      .getChild("query")!
      .getChildren("item")
      .map((item) => String(item.attrs.name));
  }

  it("lists only the commands each requester may run", async () => {
    await start("single");
    expect(await listCommands(USER)).toEqual(["Register with this gateway"]);
    expect(await listCommands(ADMIN)).toEqual([
      "Register with this gateway",
      "List the gateway's users",
      "Delete a user",
      "Gateway information",
      "Check the server's grants",
    ]);
    expect(await listCommands("eve@elsewhere.org")).toEqual([]);
  });

  it("single form: wrong password shows the form again with why, then preferences, then done", async () => {
    await start("single");
    const first = await command(`node="jabber:iq:register" action="execute"`);
    const sid = String(first.getChild("command", CMD)!.attrs.sessionid);
    expectStage(first, sid, "executing", `${NEXT}${CREDENTIALS_FORM}`);

    const refused = await command(
      `node="jabber:iq:register" sessionid="${sid}" action="next"`,
      submit({ username: "romeo", password: "wrong" }),
    );
    expectStage(
      refused,
      sid,
      "executing",
      `${NEXT}<note type="error">Wrong password</note>${CREDENTIALS_FORM}`,
    );
    expect(await store.users.get(USER)).toBeUndefined();

    const prefs = await command(
      `node="jabber:iq:register" sessionid="${sid}" action="next"`,
      submit({ username: "romeo", password: "S3cr3t-Xy7q" }),
    );
    expectStage(prefs, sid, "executing", `${NEXT}${PREFERENCES_FORM}`);
    await transport.waitForSent((s) => s.getChildText("status") === "Logged in as romeo");

    const done = await command(
      `node="jabber:iq:register" sessionid="${sid}" action="complete"`,
      submit({ sync_presence: "0", sync_avatar: "1" }),
    );
    expectStage(done, sid, "completed", `<note type="info">Registration complete.</note>`);
    const user = await store.users.get(USER);
    expect(user?.registration).toEqual({ username: "romeo", password: "S3cr3t-Xy7q" });
    expect(user?.preferences).toEqual({ sync_presence: false, sync_avatar: true });
    expect(await store.pendingRegistrations.latest(USER, "adhoc")).toBeUndefined();

    // Registered now: register is gone from the list, the user commands are there.
    expect(await listCommands(USER)).toEqual([
      "Unregister from this gateway",
      "Preferences",
      "Search for legacy contacts",
      "Leave the lobby",
    ]);
    const again = await command(`node="jabber:iq:register" action="execute"`);
    expect(canonicalXml(again.getChild("error")!)).toBe(
      canonicalXml(`<error type="cancel"><conflict xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">You are already registered to this gateway. Unregister first.</text></error>`),
    );
  });

  it("two-factor: a wrong code is refused on the code stage; survives a gateway restart midway", async () => {
    await start("2fa");
    const first = await command(`node="jabber:iq:register" action="execute"`);
    const sid = String(first.getChild("command", CMD)!.attrs.sessionid);
    const codeForm = `
      <x xmlns="jabber:x:data" type="form">
        <title>Enter your code</title>
        <instructions>You should have received a code. Enter it here.</instructions>
        <field var="code" type="text-single" label="Code"><required/></field>
      </x>`;
    const code = await command(
      `node="jabber:iq:register" sessionid="${sid}"`,
      submit({ username: "romeo", password: "pw" }),
    );
    expectStage(code, sid, "executing", `${NEXT}${codeForm}`);

    // The gateway restarts: the half-done registration is in the database, sealed, and resumes.
    await gateway.stop();
    await start("2fa");
    const wrong = await command(`node="jabber:iq:register" sessionid="${sid}"`, submit({ code: "000000" }));
    expectStage(wrong, sid, "executing", `${NEXT}<note type="error">Wrong code</note>${codeForm}`);
    const prefs = await command(`node="jabber:iq:register" sessionid="${sid}"`, submit({ code: "123456" }));
    expectStage(prefs, sid, "executing", `${NEXT}${PREFERENCES_FORM}`);
    expect((await store.users.get(USER))?.registration).toEqual({
      username: "romeo",
      password: "pw",
      code: "123456",
    });
  });

  it("refuses an unknown session, and cancelling forgets the pending registration", async () => {
    await start("2fa");
    const unknown = await command(`node="jabber:iq:register" sessionid="nope"`, submit({ code: "1" }));
    expect(canonicalXml(unknown.getChild("error")!)).toBe(
      canonicalXml(`<error type="modify"><bad-request xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">This command session has expired or is unknown. Start the command again.</text>
        <bad-sessionid xmlns="${CMD}"/></error>`),
    );
    const first = await command(`node="jabber:iq:register" action="execute"`);
    const sid = String(first.getChild("command", CMD)!.attrs.sessionid);
    await command(
      `node="jabber:iq:register" sessionid="${sid}"`,
      submit({ username: "romeo", password: "pw" }),
    );
    expect(await store.pendingRegistrations.get(sid)).toBeDefined();
    const canceled = await command(`node="jabber:iq:register" sessionid="${sid}" action="cancel"`);
    expectStage(canceled, sid, "canceled", "");
    expect(await store.pendingRegistrations.get(sid)).toBeUndefined();
  });

  it("a disallowed JID gets not-allowed", async () => {
    await start("single");
    const reply = await command(`node="jabber:iq:register" action="execute"`, "", "eve@elsewhere.org");
    expect(canonicalXml(reply.getChild("error")!)).toBe(
      canonicalXml(`<error type="cancel"><not-allowed xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">Your account is not allowed to use this gateway.</text></error>`),
    );
  });

  it("QR: shows the code inline and by chat, waits for the scan, then registers", async () => {
    await start("qr");
    gateway.network.qrScanDelayMs = 100;
    const first = await command(`node="jabber:iq:register" action="execute"`);
    const sid = String(first.getChild("command", CMD)!.attrs.sessionid);
    const before = transport.sent.length;
    const qr = await command(
      `node="jabber:iq:register" sessionid="${sid}"`,
      submit({ username: "romeo", password: "pw" }),
    );
    const stage = qr.getChild("command", CMD)!;
    expect(stage.attrs.status).toBe("executing");
    const form = stage.getChild("x", "jabber:x:data")!;
    expect(form.getChildText("title")).toBe("Scan this QR code");
    const fields = form.getChildren("field");
    expect(fields.map((f) => f.attrs.var)).toEqual(["qr_image", "qr_text"]);
    expect(fields[1]!.getChildText("value")).toBe("gangway-demo:romeo");
    // No upload service: the PNG travels inline as bits of binary, referenced by the media element.
    const uri = fields[0]!.getChild("media", "urn:xmpp:media-element")!.getChildText("uri")!;
    const bob = stage.getChild("data", "urn:xmpp:bob")!;
    expect(uri).toBe(`cid:${bob.attrs.cid}`);
    expect(Buffer.from(bob.text(), "base64").subarray(1, 4).toString()).toBe("PNG");
    // And by chat, for clients that show no media in forms: the UTF-8 rendering and the text.
    const chat = transport.sent.slice(before).filter((s) => s.is("message"));
    expect(chat).toHaveLength(1);
    expect(chat[0]!.getChildText("body")).toMatch(/[▀▄█][\s\S]*\ngangway-demo:romeo$/);

    const prefs = await command(`node="jabber:iq:register" sessionid="${sid}" action="next"`);
    expectStage(prefs, sid, "executing", `${NEXT}${PREFERENCES_FORM}`);
    expect(await store.users.get(USER)).toBeDefined();
  });

  it("QR: a code nobody scans times out with remote-server-timeout", async () => {
    await start("qr", ["--qr-timeout", "0.2"]);
    gateway.network.qrScanDelayMs = 60_000;
    const first = await command(`node="jabber:iq:register" action="execute"`);
    const sid = String(first.getChild("command", CMD)!.attrs.sessionid);
    await command(
      `node="jabber:iq:register" sessionid="${sid}"`,
      submit({ username: "romeo", password: "pw" }),
    );
    const timedOut = await command(`node="jabber:iq:register" sessionid="${sid}" action="next"`);
    expect(canonicalXml(timedOut.getChild("error")!)).toBe(
      canonicalXml(`<error type="wait"><remote-server-timeout xmlns="urn:ietf:params:xml:ns:xmpp-stanzas"/>
        <text xmlns="urn:ietf:params:xml:ns:xmpp-stanzas" xml:lang="en">The QR code was not scanned in time. Start the registration again to get a new code.</text></error>`),
    );
    expect(await store.users.get(USER)).toBeUndefined();
  });
});
