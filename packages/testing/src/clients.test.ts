import { readFileSync } from "node:fs";
import { type Element, parseXml, xml } from "@gangway/xmpp";
import { component, type XmppJsComponent } from "@xmpp/component";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountRegistrationError, connectClient, registerAccount, type TestClient } from "./clients.js";
import { type ProsodyServer, startProsody } from "./prosody.js";
import { runSlixmppClient, slixmppAvailable } from "./slixmpp.js";

const NS_REGISTER = "jabber:iq:register";

/**
 * A stand-in gateway, written straight on @xmpp/component: echoes chat bodies back from the
 * addressed JID and answers XEP-0077 registration with a data form, remembering what was submitted.
 */
class EchoComponent {
  readonly received: Element[] = [];
  readonly registrations: Array<{ from: string; values: Record<string, string> }> = [];
  readonly #component: XmppJsComponent;

  constructor(prosody: ProsodyServer) {
    this.#component = component({
      service: `xmpp://127.0.0.1:${prosody.componentPort}`,
      domain: prosody.componentDomain,
      password: prosody.componentSecret,
    });
    this.#component.on("error", () => {});
    this.#component.on("stanza", (stanza) => void this.#handle(stanza));
  }

  start(): Promise<unknown> {
    return this.#component.start();
  }

  stop(): Promise<unknown> {
    return this.#component.stop();
  }

  async #handle(stanza: Element): Promise<void> {
    this.received.push(stanza);
    const { from, to, id, type } = stanza.attrs;
    if (stanza.is("message") && type !== "error" && stanza.getChildText("body")) {
      await this.#component.send(
        xml(
          "message",
          { from: to, to: from, type: "chat" },
          xml("body", {}, `echo: ${stanza.getChildText("body")}`),
        ),
      );
    }
    const query = stanza.is("iq") ? stanza.getChild("query", NS_REGISTER) : undefined;
    if (query && type === "get") {
      await this.#component.send(
        parseXml(
          `<iq type="result" id="${id}" from="${to}" to="${from}"><query xmlns="${NS_REGISTER}">` +
            `<instructions>Log in to the echo network</instructions>` +
            `<x xmlns="jabber:x:data" type="form"><field var="FORM_TYPE" type="hidden"><value>${NS_REGISTER}</value></field>` +
            `<field var="username" type="text-single" label="Username"/><field var="password" type="text-private" label="Password"/>` +
            `</x></query></iq>`,
        ),
      );
    } else if (query && type === "set") {
      const values: Record<string, string> = {};
      for (const field of query.getChild("x", "jabber:x:data")?.getChildren("field") ?? []) {
        values[field.attrs.var ?? ""] = field.getChildText("value") ?? "";
      }
      this.registrations.push({ from: from ?? "", values });
      await this.#component.send(xml("iq", { type: "result", id, from: to, to: from }));
    }
  }
}

describe("XMPP test clients against a real Prosody", () => {
  let prosody: ProsodyServer;
  let echo: EchoComponent;
  const clients: TestClient[] = [];

  beforeAll(async () => {
    prosody = await startProsody();
    echo = new EchoComponent(prosody);
    await echo.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((client) => client.stop()));
    await echo?.stop();
    await prosody?.stop();
  });

  async function login(username: string, password = "secret"): Promise<TestClient> {
    const client = await connectClient({ server: prosody, username, password });
    clients.push(client);
    return client;
  }

  it("grants the component XEP-0356 privileges (urn:xmpp:privilege:2)", async () => {
    const deadline = Date.now() + 2000;
    let advertisement: Element | undefined;
    while (!advertisement && Date.now() < deadline) {
      advertisement = echo.received.find((stanza) => stanza.getChild("privilege", "urn:xmpp:privilege:2"));
      if (!advertisement) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(advertisement?.attrs.from).toBe("localhost");
    const perms = advertisement
      ?.getChild("privilege", "urn:xmpp:privilege:2")
      ?.getChildren("perm")
      .map((perm) => {
        // The IQ permission lists namespaces instead of a type (XEP-0356 v2). Prosody's
        // mod_privilege nests each further <namespace/> in the one before (a missing :up()), in
        // the order of a Lua table: collect them at any depth, sorted.
        const namespaces: string[] = [];
        const collect = (parent: Element) => {
          for (const ns of parent.getChildren("namespace")) {
            namespaces.push(`${ns.attrs.ns}:${ns.attrs.type}`);
            collect(ns);
          }
        };
        collect(perm);
        namespaces.sort();
        return `${perm.attrs.access}=${perm.attrs.type ?? namespaces.join(",")}`;
      })
      .sort();
    expect(perms).toEqual([
      "iq=http://jabber.org/protocol/pubsub:both,urn:xmpp:http:upload:0:get",
      "message=outgoing",
      "presence=roster",
      "roster=both",
    ]);
  });

  it("registers with prosodyctl and logs in with SASL PLAIN", async () => {
    await prosody.registerUser("alice", "secret");
    const started = performance.now();
    const alice = await login("alice");
    console.info(`client login took ${(performance.now() - started).toFixed(0)} ms`);
    expect(alice.jid).toBe("alice@localhost/test");
    expect(alice.bareJid).toBe("alice@localhost");
    // Prosody's debug log shows the <auth> element each client sent (attribute order varies); SCRAM is offered first.
    const authLines = readFileSync(prosody.logFile, "utf8")
      .split("\n")
      .filter((line) => line.includes("<auth "));
    expect(authLines.length).toBeGreaterThan(0);
    for (const line of authLines) expect(line).toContain("mechanism='PLAIN'");
  });

  it("rejects a wrong password with a clear error", async () => {
    await prosody.registerUser("bob", "right");
    await expect(connectClient({ server: prosody, username: "bob", password: "wrong" })).rejects.toThrow(
      /bob@localhost could not log in on 127\.0\.0\.1:\d+/,
    );
  });

  it("creates accounts with in-band registration and reports conflicts", async () => {
    const started = performance.now();
    await registerAccount(prosody, "carol", "pw");
    console.info(`IBR took ${(performance.now() - started).toFixed(0)} ms`);
    const carol = await login("carol", "pw");
    expect(carol.bareJid).toBe("carol@localhost");
    const conflict = await registerAccount(prosody, "carol", "other").catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(AccountRegistrationError);
    expect((conflict as AccountRegistrationError).condition).toBe("conflict");
  });

  it("chats with the component and waits for the reply", async () => {
    await registerAccount(prosody, "dave", "secret");
    const dave = await login("dave");
    const started = performance.now();
    await dave.send(`<message to="someone@gateway.localhost" type="chat"><body>hi there</body></message>`);
    const reply = await dave.waitFor((stanza) => stanza.getChildText("body") === "echo: hi there");
    console.info(`round trip took ${(performance.now() - started).toFixed(1)} ms`);
    expect(reply.attrs.from).toBe("someone@gateway.localhost");
    expect(dave.stanzas).toContain(reply);
    // A stanza returned once is not returned again.
    await expect(dave.waitFor((stanza) => stanza === reply, 50)).rejects.toThrow(/no matching stanza/);
  });

  it("waitFor times out listing what arrived", async () => {
    await registerAccount(prosody, "erin", "secret");
    const erin = await login("erin");
    await erin.send(xml("message", { to: "x@gateway.localhost", type: "chat" }, xml("body", {}, "ping")));
    await erin.waitFor((stanza) => stanza.getChildText("body") === "echo: ping");
    const failure = await erin
      .waitFor((stanza) => stanza.getChildText("body") === "never", 100)
      .then(
        () => new Error("waitFor should have timed out"),
        (error: unknown) => error as Error,
      );
    expect(failure.message).toContain("erin@localhost/test: no matching stanza within 100 ms");
    expect(failure.message).toContain('"never"');
    expect(failure.message).toContain("echo: ping");
  });

  it("gets a working XEP-0363 upload slot from the upload service", async () => {
    await registerAccount(prosody, "ivan", "secret");
    const ivan = await login("ivan");
    const content = "hello upload\n";
    const result = await ivan.request(
      `<iq type="get" to="${prosody.uploadDomain}"><request xmlns="urn:xmpp:http:upload:0" filename="hello.txt" size="${content.length}" content-type="text/plain"/></iq>`,
    );
    const slot = result.getChild("slot", "urn:xmpp:http:upload:0");
    const putUrl = slot?.getChild("put")?.attrs.url ?? "";
    const getUrl = slot?.getChild("get")?.attrs.url ?? "";
    expect(putUrl).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${prosody.httpPort}/`));
    // mod_http_file_share authorises the PUT with a token in the slot's <header name="Authorization">.
    const headers: Record<string, string> = { "Content-Type": "text/plain" };
    for (const header of slot?.getChild("put")?.getChildren("header") ?? []) {
      headers[header.attrs.name ?? ""] = header.text();
    }
    const put = await fetch(putUrl, { method: "PUT", body: content, headers });
    expect(put.status).toBe(201);
    expect(await (await fetch(getUrl)).text()).toBe(content);
  });

  it("sends IQ requests and gets the result", async () => {
    await registerAccount(prosody, "frank", "secret");
    const frank = await login("frank");
    const roster = await frank.request(`<iq type="get"><query xmlns="jabber:iq:roster"/></iq>`);
    expect(roster.attrs.type).toBe("result");
    expect(roster.getChild("query", "jabber:iq:roster")).toBeDefined();
    await expect(
      frank.request(`<iq type="get" to="localhost"><nope xmlns="urn:example:nope"/></iq>`),
    ).rejects.toThrow(/service-unavailable|feature-not-implemented/);
  });
});

describe("slixmpp as an independent real client", () => {
  let prosody: ProsodyServer;
  let echo: EchoComponent;

  beforeAll(async () => {
    prosody = await startProsody();
    echo = new EchoComponent(prosody);
    await echo.start();
  });
  afterAll(async () => {
    await echo?.stop();
    await prosody?.stop();
  });

  it("is installed (python3-slixmpp from Debian)", () => {
    expect(slixmppAvailable()).toBe(true);
  });

  it("registers an account, messages the component and gets the echo", async () => {
    const started = performance.now();
    const result = await runSlixmppClient({
      server: prosody,
      jid: "grace@localhost",
      password: "pw",
      registerAccount: true,
      sendTo: "someone@gateway.localhost",
      message: "hello from slixmpp",
      waitReply: true,
    });
    console.info(`slixmpp run took ${(performance.now() - started).toFixed(0)} ms`);
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.events.map((event) => event.event)).toEqual([
      "account_registered",
      "session_start",
      "sent",
      "message",
      "done",
    ]);
    expect(result.messages).toEqual([
      {
        from: "someone@gateway.localhost",
        to: expect.stringMatching(/^grace@localhost\//),
        type: "chat",
        body: "echo: hello from slixmpp",
      },
    ]);
  });

  it("registers with the gateway through its data form and fetches the roster", async () => {
    await prosody.registerUser("heidi", "pw");
    const result = await runSlixmppClient({
      server: prosody,
      jid: "heidi@localhost",
      password: "pw",
      registerGateway: prosody.componentDomain,
      gatewayFields: { username: "heidi-legacy", password: "legacy-pw" },
      fetchRoster: true,
    });
    expect(result.errors).toEqual([]);
    expect(result.ok).toBe(true);
    expect(echo.registrations).toEqual([
      {
        from: expect.stringMatching(/^heidi@localhost\//),
        values: { FORM_TYPE: NS_REGISTER, username: "heidi-legacy", password: "legacy-pw" },
      },
    ]);
    expect(result.roster).toEqual([]);
  });

  it("reports a failed login", async () => {
    const result = await runSlixmppClient({
      server: prosody,
      jid: "nobody@localhost",
      password: "x",
      timeoutMs: 5000,
    });
    expect(result.ok).toBe(false);
    expect(result.errors.map((error) => error.step)).toContain("login");
  });
});
