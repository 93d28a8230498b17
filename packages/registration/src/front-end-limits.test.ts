import { openStore, type Store } from "@gangway/store";
import { MemoryTransport } from "@gangway/testing";
import { type Element, type FormField, XmppComponent, type XmppComponentOptions, xml } from "@gangway/xmpp";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AdHocCommands } from "./adhoc.js";
import type { Command, Requester } from "./commands.js";
import { RegistrationType } from "./flow.js";
import { serveInBandRegistration } from "./ibr.js";
import { Registrar } from "./registrar.js";
import { seedFlow } from "./seed-flows.js";

const DOMAIN = "gateway.localhost";
const USER = "romeo@localhost";
const LIMIT = 4096;
const FIELDS: FormField[] = [
  { var: "username", type: "text-single", label: "Username", required: true },
  { var: "password", type: "text-private", label: "Password", required: true },
];
/** Tests read replies, not logs. */
const silent: XmppComponentOptions["logger"] = new Proxy({} as XmppComponentOptions["logger"], {
  get: (_target, key) => (key === "child" ? () => silent : () => {}),
});
const stores: Store[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function setUp() {
  const transport = new MemoryTransport({ domain: DOMAIN });
  const component = new XmppComponent(transport, { logger: silent });
  const store = await openStore({ driver: "sqlite" });
  stores.push(store);
  const validate = vi.fn(async () => undefined);
  const flow = seedFlow(
    RegistrationType.SingleStepForm,
    { validate },
    {
      componentName: "Test",
      fields: FIELDS,
      instructions: "Enter your credentials",
    },
  );
  const registrar = new Registrar({
    flow,
    store,
    isAllowed: () => true,
    onRegistered: () => {},
    onUnregister: async () => {},
  });
  serveInBandRegistration(component, { registrar, multiStepHint: "", maxFieldChars: LIMIT });
  await component.start();
  return { transport, store, validate };
}

const register = (...children: Element[]) =>
  xml(
    "iq",
    { type: "set", id: "r1", from: `${USER}/res`, to: DOMAIN },
    xml("query", { xmlns: "jabber:iq:register" }, ...children),
  );
const dataForm = (type: string, values: Record<string, string>) =>
  xml(
    "x",
    { xmlns: "jabber:x:data", type },
    ...Object.entries(values).map(([name, value]) => xml("field", { var: name }, xml("value", {}, value))),
  );
const errorText = (stanza: Element) =>
  stanza.getChild("error")?.getChildText("text", "urn:ietf:params:xml:ns:xmpp-stanzas");
const condition = (stanza: Element) => stanza.getChild("error")?.getChildElements()[0]?.name;

describe("XEP-0077 with --max-field-chars", () => {
  it("refuses a 100 KB username and password (data form) by label and limit; nothing is stored", async () => {
    const { transport, store, validate } = await setUp();
    const big = "s".repeat(100_000);
    await transport.inject(register(dataForm("submit", { username: big, password: big })));
    const reply = transport.nextSent();
    expect(reply.attrs.type).toBe("error");
    expect(condition(reply)).toBe("not-acceptable");
    expect(errorText(reply)).toBe(
      `Username, Password are too long: the gateway accepts at most ${LIMIT} characters per field.`,
    );
    expect(reply.toString().length).toBeLessThan(1000);
    expect(validate).not.toHaveBeenCalled();
    expect(await store.users.get(USER)).toBeUndefined();
  });

  it("refuses the same through the plain (non data form) fields", async () => {
    const { transport, store } = await setUp();
    await transport.inject(register(xml("username", {}, "u".repeat(LIMIT + 1)), xml("password", {}, "pw")));
    const reply = transport.nextSent();
    expect(errorText(reply)).toBe(
      `Username is too long: the gateway accepts at most ${LIMIT} characters per field.`,
    );
    expect(await store.users.get(USER)).toBeUndefined();
  });

  it("accepts values at the limit", async () => {
    const { transport, store } = await setUp();
    await transport.inject(register(dataForm("submit", { username: "u".repeat(LIMIT), password: "pw" })));
    expect(transport.nextSent().attrs.type).toBe("result");
    expect((await store.users.get(USER))?.registration.username).toHaveLength(LIMIT);
  });

  it("a cancel form stores nothing and is not an error (it used to be read as an empty submission)", async () => {
    const { transport, store, validate } = await setUp();
    await transport.inject(register(dataForm("cancel", {})));
    const reply = transport.nextSent();
    expect(reply.attrs.type).toBe("result");
    expect(validate).not.toHaveBeenCalled();
    expect(await store.users.get(USER)).toBeUndefined();
  });
});

describe("XEP-0050 with --max-field-chars and cancel forms", () => {
  async function adHoc() {
    const transport = new MemoryTransport({ domain: DOMAIN });
    const component = new XmppComponent(transport, { logger: silent });
    const submitted = vi.fn(async () => ({ kind: "result" as const, text: "done" }));
    const cancelled = vi.fn(async () => {});
    const command: Command = {
      node: "test",
      name: "Test",
      keyword: "test",
      help: "",
      access: "any",
      run: async () => ({ kind: "form", title: "T", fields: FIELDS, submit: submitted }),
      cancel: cancelled,
    };
    const requester = async (jid: string): Promise<Requester> => ({
      jid,
      allowed: true,
      registered: false,
      loggedIn: false,
      admin: false,
    });
    let next = 0;
    new AdHocCommands(component, {
      commands: [command],
      requester,
      newSessionId: () => `s${++next}`,
      sessionTimeoutMs: 60_000,
      maxFieldChars: LIMIT,
    });
    await component.start();
    await transport.inject(
      xml(
        "iq",
        { type: "set", id: "e1", from: `${USER}/res`, to: DOMAIN },
        xml("command", { xmlns: "http://jabber.org/protocol/commands", node: "test", action: "execute" }),
      ),
    );
    expect(transport.nextSent().getChild("command")?.attrs.status).toBe("executing");
    const send = async (attrs: Record<string, string>, form?: Element) => {
      await transport.inject(
        xml(
          "iq",
          { type: "set", id: "e2", from: `${USER}/res`, to: DOMAIN },
          xml(
            "command",
            { xmlns: "http://jabber.org/protocol/commands", node: "test", sessionid: "s1", ...attrs },
            form,
          ),
        ),
      );
      return transport.nextSent();
    };
    return { send, submitted, cancelled };
  }

  it("a too-long field comes back as the same stage with a note naming the field and the limit", async () => {
    const { send, submitted } = await adHoc();
    const stage = (
      await send({ action: "complete" }, dataForm("submit", { username: "x".repeat(100_000), password: "p" }))
    ).getChild("command")!;
    expect(stage.attrs.status).toBe("executing");
    expect(stage.getChildText("note")).toBe(
      `Username is too long: the gateway accepts at most ${LIMIT} characters per field.`,
    );
    expect(submitted).not.toHaveBeenCalled();
  });

  it("a submitted form of type cancel cancels the session", async () => {
    const { send, submitted, cancelled } = await adHoc();
    const stage = (await send({ action: "complete" }, dataForm("cancel", {}))).getChild("command")!;
    expect(stage.attrs.status).toBe("canceled");
    expect(submitted).not.toHaveBeenCalled();
    expect(cancelled).toHaveBeenCalledOnce();
    // The session is gone: a later submission is refused as unknown.
    const after = await send({ action: "complete" }, dataForm("submit", { username: "u", password: "p" }));
    expect(after.attrs.type).toBe("error");
    expect(submitted).not.toHaveBeenCalled();
  });

  it('action="cancel" cancels', async () => {
    const { send, submitted, cancelled } = await adHoc();
    const stage = (await send({ action: "cancel" })).getChild("command")!;
    expect(stage.attrs.status).toBe("canceled");
    expect(submitted).not.toHaveBeenCalled();
    expect(cancelled).toHaveBeenCalledOnce();
  });
});
