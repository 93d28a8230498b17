import { describe, expect, it } from "vitest";
import { REFUSAL_TEXTS, XmppComponent } from "./component.js";
import { parseXml, xml } from "./element.js";
import { captureLogger } from "./test-support/capture-logger.js";
import { MemoryTransport } from "./test-support/memory-transport.js";

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function message(id: string) {
  return parseXml(
    `<message type='chat' id='${id}' from='u@h/r' to='bot@gw.h'><body>private words</body></message>`,
  );
}

function setUp(maxInflight: number) {
  const transport = new MemoryTransport("gw.h");
  const reading: string[] = [];
  Object.assign(transport, {
    pauseReading: () => reading.push("pause"),
    resumeReading: () => reading.push("resume"),
  });
  const component = new XmppComponent(transport, { logger: captureLogger().logger, maxInflight });
  let release!: () => void;
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const handled: string[] = [];
  component.onMessage(async (stanza) => {
    handled.push(String(stanza.attrs.id));
    await held;
  });
  return { transport, component, reading, handled, release };
}

const errorsOf = (transport: MemoryTransport) =>
  transport.sent.filter((stanza) => stanza.attrs.type === "error");

describe("XmppComponent back-pressure", () => {
  it("pauses reading at the bound, refuses past twice the bound with an error naming it, resumes when done", async () => {
    const { transport, component, reading, handled, release } = setUp(2);
    for (const id of ["1", "2", "3", "4", "5"]) transport.receive(message(id));
    await settle();
    // Asked again on every stanza past the bound: the transport may have read on meanwhile.
    expect(new Set(reading)).toEqual(new Set(["pause"]));
    expect(handled).toEqual(["1", "2", "3", "4"]);
    expect(component.inflightStanzas).toBe(4);
    const [refused, ...rest] = errorsOf(transport);
    expect(rest).toEqual([]);
    expect(refused?.attrs).toMatchObject({ id: "5", to: "u@h/r", from: "bot@gw.h" });
    expect(refused?.getChild("error")?.getChild("resource-constraint")).toBeDefined();
    expect(refused?.getChild("error")?.getChildText("text")).toBe(REFUSAL_TEXTS.overloaded(2));
    expect(String(refused)).not.toContain("private words");
    release();
    await settle();
    expect(component.inflightStanzas).toBe(0);
    expect(reading.at(-1)).toBe("resume");
  });

  it("lets responses to its own requests through even when full", async () => {
    const { transport, component } = setUp(1);
    for (const id of ["1", "2"]) transport.receive(message(id));
    const response = component.request(xml("iq", { type: "get", to: "u@h" }, xml("query", { xmlns: "q" })));
    const id = transport.sent.at(-1)?.attrs.id;
    transport.receive(parseXml(`<iq type='result' id='${id}' from='u@h' to='gw.h'/>`));
    await expect(response).resolves.toBeDefined();
  });

  it("drain() refuses new stanzas as shutting down and waits for those being handled", async () => {
    const { transport, component, release } = setUp(10);
    transport.receive(message("early"));
    await settle();
    const drained = component.drain(1000);
    transport.receive(message("late"));
    transport.receive(parseXml("<presence from='u@h/r' to='bot@gw.h'/>"));
    await settle();
    const [refused, ...rest] = errorsOf(transport);
    expect(rest).toEqual([]);
    expect(refused?.attrs.id).toBe("late");
    expect(refused?.getChild("error")?.attrs.type).toBe("wait");
    expect(refused?.getChild("error")?.getChild("service-unavailable")).toBeDefined();
    release();
    await expect(drained).resolves.toBe(0);
  });
});
