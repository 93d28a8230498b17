import { openStore, type Store } from "@gangway/store";
import { MemoryTransport } from "@gangway/testing";
import {
  type Element,
  type FormField,
  XmppComponent,
  type XmppComponentOptions,
  XmppError,
  xml,
} from "@gangway/xmpp";
import { afterEach, describe, expect, it } from "vitest";
import { AdHocCommands, NS_COMMANDS } from "./adhoc.js";
import type { Command, CommandPage, Requester } from "./commands.js";
import { RegistrationType } from "./flow.js";
import { NS_REGISTER, serveInBandRegistration } from "./ibr.js";
import { Registrar } from "./registrar.js";
import { seedFlow } from "./seed-flows.js";

/**
 * One user's requests are handled in arrival order even when the first is slow (an app validating
 * with its legacy network): the component lets async handlers overlap, so without a per-user queue
 * the second request would overtake the first.
 */

const DOMAIN = "gateway.localhost";
const USER = "romeo@localhost";
const FIELDS: FormField[] = [
  { var: "username", type: "text-single", label: "Username", required: true },
  { var: "password", type: "text-private", label: "Password", required: true },
];
const silent: XmppComponentOptions["logger"] = new Proxy({} as XmppComponentOptions["logger"], {
  get: (_target, key) => (key === "child" ? () => silent : () => {}),
});
const later = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

const iq = (id: string, child: Element, from = `${USER}/res`) =>
  xml("iq", { type: "set", id, from, to: DOMAIN }, child);
const condition = (stanza: Element) => stanza.getChild("error")?.getChildElements()[0]?.name;

/** Sends every stanza at once (back to back, as a client does), then waits for all the replies. */
async function backToBack(transport: MemoryTransport, ...stanzas: Element[]): Promise<Element[]> {
  await Promise.all(stanzas.map((stanza) => transport.inject(stanza)));
  while (transport.sent.length < stanzas.length) await later(5);
  return stanzas.map((stanza) => transport.sent.find((s) => s.attrs.id === stanza.attrs.id)!);
}

describe("XEP-0077: one user's requests in arrival order", () => {
  it("a removal sent right after a registration that is still validating removes it", async () => {
    const transport = new MemoryTransport({ domain: DOMAIN });
    const component = new XmppComponent(transport, { logger: silent });
    const store = await openStore({ driver: "sqlite" });
    stores.push(store);
    const validated: string[] = [];
    const flow = seedFlow(
      RegistrationType.SingleStepForm,
      {
        validate: async (jid) => {
          await later(50);
          validated.push(jid);
          return undefined;
        },
      },
      { componentName: "Test", fields: FIELDS, instructions: "" },
    );
    const registrar = new Registrar({
      flow,
      store,
      isAllowed: () => true,
      onRegistered: () => {},
      onUnregister: async () => {},
    });
    serveInBandRegistration(component, { registrar, multiStepHint: "" });
    await component.start();

    const query = (...children: Element[]) => xml("query", { xmlns: NS_REGISTER }, ...children);
    const replies = await backToBack(
      transport,
      iq("register", query(xml("username", {}, "romeo"), xml("password", {}, "pw"))),
      iq("remove", query(xml("remove"))),
      // A different user is not held up behind romeo.
      iq("other", query(xml("remove")), "juliet@localhost/res"),
    );
    expect(replies.map((r) => [r.attrs.id, r.attrs.type, condition(r)])).toEqual([
      ["register", "result", undefined],
      ["remove", "result", undefined],
      ["other", "error", "item-not-found"],
    ]);
    expect(transport.sent.map((s) => s.attrs.id)).toEqual(["other", "register", "remove"]);
    expect(validated).toEqual([USER]);
    expect(await store.users.get(USER)).toBeUndefined();
  });
});

describe("XEP-0050: one user's stages in arrival order", () => {
  it("a cancel sent right after a slow 'next' ends the session; it is not brought back by the late answer", async () => {
    const transport = new MemoryTransport({ domain: DOMAIN });
    const component = new XmppComponent(transport, { logger: silent });
    const steps: string[] = [];
    const command: Command = {
      node: "test",
      name: "Test",
      keyword: "test",
      help: "",
      access: "any",
      run: async () => ({
        kind: "form",
        title: "First",
        fields: FIELDS,
        submit: async () => {
          steps.push("submit started");
          await later(50);
          steps.push("submit done");
          return { kind: "form", title: "Second", fields: FIELDS, submit: async () => ({ kind: "result" }) };
        },
      }),
      cancel: async () => {
        steps.push("cancelled");
      },
    };
    const requester = async (jid: string): Promise<Requester> => ({
      jid,
      allowed: true,
      registered: false,
      loggedIn: false,
      admin: false,
    });
    new AdHocCommands(component, {
      commands: [command],
      requester,
      newSessionId: () => "s1",
      sessionTimeoutMs: 60_000,
    });
    await component.start();
    const stage = (id: string, action: string, sessionid?: string, form?: Element) =>
      iq(id, xml("command", { xmlns: NS_COMMANDS, node: "test", action, sessionid }, form));
    const [started] = await backToBack(transport, stage("e", "execute"));
    expect(started?.getChild("command")?.attrs).toMatchObject({ sessionid: "s1", status: "executing" });
    transport.sent.length = 0;

    const filled = xml(
      "x",
      { xmlns: "jabber:x:data", type: "submit" },
      xml("field", { var: "username" }, xml("value", {}, "romeo")),
      xml("field", { var: "password" }, xml("value", {}, "pw")),
    );
    const [next, cancel] = await backToBack(
      transport,
      stage("next", "next", "s1", filled),
      stage("cancel", "cancel", "s1"),
    );
    expect(steps).toEqual(["submit started", "submit done", "cancelled"]);
    expect(next?.getChild("command")?.attrs.status).toBe("executing");
    expect(cancel?.getChild("command")?.attrs.status).toBe("canceled");
    expect(transport.sent.map((s) => s.attrs.id)).toEqual(["next", "cancel"]);
    // The session is over: a stage sent after the cancel is refused, not shown the second form.
    transport.sent.length = 0;
    const [after] = await backToBack(transport, stage("after", "next", "s1", filled));
    expect(after?.attrs.type).toBe("error");
    expect(after?.getChild("error")?.getChild("bad-sessionid", NS_COMMANDS)).toBeDefined();
  });

  it("a cancel during a wait for something outside (a QR scan) is answered at once, not after the wait", async () => {
    const transport = new MemoryTransport({ domain: DOMAIN });
    const component = new XmppComponent(transport, { logger: silent });
    let abort: (err: Error) => void = () => {};
    const display = async (): Promise<CommandPage> => ({
      kind: "display",
      title: "Scan",
      instructions: "Scan this.",
      text: "pairing-token",
      render: "text",
      proceed: () =>
        new Promise((_resolve, reject) => {
          abort = reject;
        }),
    });
    // Like the registration command: its state is persisted, so a stage of a session that is not
    // held in memory (waiting, or lost in a restart) finds it again.
    const command: Command = {
      node: "qr",
      name: "QR",
      keyword: "qr",
      help: "",
      access: "any",
      run: display,
      resume: display,
      cancel: async () => abort(new XmppError("not-acceptable", "Cancelled.")),
    };
    new AdHocCommands(component, {
      commands: [command],
      requester: async (jid) => ({ jid, allowed: true, registered: false, loggedIn: false, admin: false }),
      newSessionId: () => "q1",
      sessionTimeoutMs: 60_000,
    });
    await component.start();
    const stage = (id: string, action: string, sessionid?: string) =>
      iq(id, xml("command", { xmlns: NS_COMMANDS, node: "qr", action, sessionid }));
    await backToBack(transport, stage("e", "execute"));
    transport.sent.length = 0;
    // "next" waits for the scan; the cancel behind it must not wait for that wait.
    const [waited, cancel] = await backToBack(
      transport,
      stage("next", "next", "q1"),
      stage("cancel", "cancel", "q1"),
    );
    expect(cancel?.getChild("command")?.attrs.status).toBe("canceled");
    expect(waited?.attrs.type).toBe("error");
    expect(transport.sent.map((s) => s.attrs.id)).toEqual(["cancel", "next"]);
  });
});
