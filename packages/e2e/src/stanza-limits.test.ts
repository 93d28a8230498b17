import { connectClient, registerAccount, startProsody } from "@gangway/testing";
import type { Element } from "@gangway/xmpp";
import { afterEach, describe, expect, it } from "vitest";
import { startGatewayProcess } from "./gateway-process.js";
import { Cleanups, echoRoundTrip, GW, registerWithGateway } from "./support.js";
import { createTestDatabase } from "./test-databases.js";

/**
 * --max-stanza-bytes with the real executable and a real Prosody: echo asked to repeat a text that
 * cannot fit one stanza under the limit answers in several messages, each under it, together the
 * whole text; the component connection is never dropped, and what follows still works.
 */

const RUNNING = /"msg":"gateway running"/;
const STANZA_BYTES = 8192;
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

describe("outgoing stanza size (real Prosody, the gangway-demo executable)", () => {
  it("echo's answer to a 20 KB message arrives split, under --max-stanza-bytes, and the component stays connected", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    const db = await createTestDatabase("sqlite", cleanups);
    const gateway = startGatewayProcess(
      cleanups,
      [...db.cliArgs, "--max-stanza-bytes", String(STANZA_BYTES)],
      {
        GANGWAY_JID: GW,
        GANGWAY_SECRET: prosody.componentSecret,
        GANGWAY_PORT: String(prosody.componentPort),
      },
    );
    await gateway.waitForOutput(RUNNING);
    await registerAccount(prosody, "long", "pw");
    const client = await connectClient({ server: prosody, username: "long", password: "pw" });
    cleanups.add(() => client.stop());
    await registerWithGateway(client, "long");

    // Lines of words with characters that grow when escaped or encoded: 20 KB of text, ~24 KB as XML.
    const line = `${"word ".repeat(15)}é€😀 &amp; &lt;tag&gt;\n`;
    const text = line.repeat(200);
    const expected = `echo: ${text.replaceAll("&amp;", "&").replaceAll("&lt;", "<").replaceAll("&gt;", ">")}`;
    expect(Buffer.byteLength(expected)).toBeGreaterThan(2 * STANZA_BYTES);
    await client.send(`<message type="chat" id="big" to="echo@${GW}"><body>${text}</body></message>`);

    const parts: Element[] = [];
    let received = "";
    while (received.length < expected.length) {
      const part = await client.waitFor(
        (s) =>
          s.is("message") &&
          s.attrs.from?.startsWith(`echo@${GW}`) === true &&
          s.getChild("body") !== undefined,
        10_000,
      );
      expect(part.attrs.type).not.toBe("error");
      parts.push(part);
      received += part.getChildText("body") ?? "";
    }
    expect(received).toBe(expected);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    for (const part of parts) expect(Buffer.byteLength(part.toString())).toBeLessThanOrEqual(STANZA_BYTES);

    // Still connected: no reconnect happened, and the next message goes through.
    await echoRoundTrip(client, "still there");
    expect(gateway.logEntries().some((e) => e.msg === "component connection lost; reconnecting")).toBe(false);
    expect(gateway.logEntries().some((e) => e.msg === "stanza over the size limit: not sent")).toBe(false);
    expect(await gateway.stop()).toEqual({ code: 0, signal: null });
  });

  it("--max-field-chars: a 100 KB username and XEP-0100 prompt are refused naming the field, nothing stored", async () => {
    const prosody = await startProsody({ componentDomain: GW });
    cleanups.add(() => prosody.stop());
    const db = await createTestDatabase("sqlite", cleanups);
    const gateway = startGatewayProcess(cleanups, db.cliArgs, {
      GANGWAY_JID: GW,
      GANGWAY_SECRET: prosody.componentSecret,
      GANGWAY_PORT: String(prosody.componentPort),
    });
    await gateway.waitForOutput(RUNNING);
    await registerAccount(prosody, "wide", "pw");
    const client = await connectClient({ server: prosody, username: "wide", password: "pw" });
    cleanups.add(() => client.stop());
    const answer = async (id: string, payload: string) => {
      await client.send(`<iq type="set" id="${id}" to="${GW}">${payload}</iq>`);
      const reply = await client.waitFor((s) => s.is("iq") && s.attrs.id === id, 10_000);
      const error = reply.getChild("error");
      const ns = "urn:ietf:params:xml:ns:xmpp-stanzas";
      return {
        type: reply.attrs.type,
        condition: error?.getChildElements()[0]?.name,
        text: error?.getChildText("text", ns),
        size: reply.toString().length,
      };
    };
    const huge = "h".repeat(100_000);
    const refused = await answer(
      "r1",
      `<query xmlns="jabber:iq:register"><username>${huge}</username><password>${huge}</password></query>`,
    );
    expect(refused).toMatchObject({
      type: "error",
      condition: "not-acceptable",
      text: "Username, Password are too long: the gateway accepts at most 4096 characters per field.",
    });
    expect(refused.size).toBeLessThan(1000);
    // Nothing was stored: the registration form shows no <registered/>, and a normal one works.
    const form = await client.request(`<iq type="get" to="${GW}"><query xmlns="jabber:iq:register"/></iq>`);
    expect(form.getChild("query")?.getChild("registered")).toBeUndefined();
    await registerWithGateway(client, "wide");
    const prompt = await answer("p1", `<query xmlns="jabber:iq:gateway"><prompt>${huge}</prompt></query>`);
    expect(prompt).toMatchObject({ type: "error", condition: "not-acceptable" });
    expect(prompt.text).toMatch(/is too long: the gateway accepts at most 4096 characters\.$/);
    expect(prompt.size).toBeLessThan(1000);
    expect(await gateway.stop()).toEqual({ code: 0, signal: null });
  });
});
